;; i64 arithmetic: a 64-bit LCG and splitmix-style mixing with mul, xor, shifts,
;; rotates, division and remainder; returns the folded 64-bit result.
(module
  (func (export "run") (param $n i32) (result i32)
    (local $i i32) (local $x i64) (local $acc i64) (local $z i64)
    (local.set $x (i64.const 0x9E3779B97F4A7C15))
    (loop $l
      (local.set $x (i64.add (i64.mul (local.get $x) (i64.const 6364136223846793005)) (i64.const 1442695040888963407)))
      (local.set $z (i64.mul (i64.xor (local.get $x) (i64.shr_u (local.get $x) (i64.const 30))) (i64.const 0xBF58476D1CE4E5B9)))
      (local.set $z (i64.mul (i64.xor (local.get $z) (i64.shr_u (local.get $z) (i64.const 27))) (i64.const 0x94D049BB133111EB)))
      (local.set $z (i64.xor (local.get $z) (i64.shr_s (local.get $z) (i64.const 31))))
      (local.set $acc (i64.add (i64.rotl (local.get $acc) (i64.const 7)) (local.get $z)))
      (local.set $acc (i64.xor (local.get $acc)
        (i64.rem_u (local.get $z) (i64.or (i64.shr_u (local.get $x) (i64.const 40)) (i64.const 1)))))
      (local.set $acc (i64.sub (local.get $acc) (i64.div_s (local.get $z) (i64.const -977))))
      (br_if $l (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (local.get $n))))
    (i32.wrap_i64 (i64.xor (local.get $acc) (i64.shr_u (local.get $acc) (i64.const 32))))))
