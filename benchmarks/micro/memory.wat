;; Memory load/store mixes: n passes over a 4 KiB buffer with i32, i64, 8- and
;; 16-bit loads and stores, signed and unsigned.
(module
  (memory 1)
  (func (export "run") (param $n i32) (result i32)
    (local $i i32) (local $p i32) (local $acc i32) (local $wide i64)
    (loop $fill
      (i32.store (local.get $p) (i32.mul (local.get $p) (i32.const 2654435761)))
      (br_if $fill (i32.lt_u (local.tee $p (i32.add (local.get $p) (i32.const 4))) (i32.const 4096))))
    (loop $pass
      (local.set $p (i32.const 0))
      (loop $inner
        (local.set $acc (i32.add (local.get $acc) (i32.load offset=0 (local.get $p))))
        (local.set $acc (i32.xor (local.get $acc) (i32.load8_s offset=5 (local.get $p))))
        (local.set $acc (i32.add (local.get $acc) (i32.load16_u offset=6 (local.get $p))))
        (local.set $wide (i64.add (local.get $wide) (i64.load offset=8 (local.get $p))))
        (i32.store16 offset=2 (local.get $p) (local.get $acc))
        (i64.store offset=8 (local.get $p) (i64.rotl (local.get $wide) (i64.const 1)))
        (i32.store8 offset=4100 (local.get $p) (i32.load8_u offset=1 (local.get $p)))
        (br_if $inner (i32.lt_u (local.tee $p (i32.add (local.get $p) (i32.const 16))) (i32.const 4080))))
      (br_if $pass (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (local.get $n))))
    (i32.xor (local.get $acc) (i32.wrap_i64 (i64.xor (local.get $wide) (i64.shr_u (local.get $wide) (i64.const 32)))))))
