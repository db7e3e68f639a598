;; br_table dispatch: a loop switching on a pseudo-random 3-bit value over eight
;; cases, as compilers lower a C switch (nested blocks, a br_table at the bottom).
(module
  (func (export "run") (param $n i32) (result i32)
    (local $i i32) (local $x i32) (local $acc i32)
    (local.set $x (i32.const 2463534242))
    (loop $l
      (local.set $x (i32.xor (local.get $x) (i32.shl (local.get $x) (i32.const 13))))
      (local.set $x (i32.xor (local.get $x) (i32.shr_u (local.get $x) (i32.const 17))))
      (local.set $x (i32.xor (local.get $x) (i32.shl (local.get $x) (i32.const 5))))
      (block $done
        (block $c7 (block $c6 (block $c5 (block $c4 (block $c3 (block $c2 (block $c1 (block $c0
          (br_table $c0 $c1 $c2 $c3 $c4 $c5 $c6 $c7 (i32.and (local.get $x) (i32.const 7))))
          (local.set $acc (i32.add (local.get $acc) (i32.const 1))) (br $done))
          (local.set $acc (i32.mul (local.get $acc) (i32.const 3))) (br $done))
          (local.set $acc (i32.xor (local.get $acc) (local.get $x))) (br $done))
          (local.set $acc (i32.sub (local.get $acc) (i32.const 7))) (br $done))
          (local.set $acc (i32.rotl (local.get $acc) (i32.const 5))) (br $done))
          (local.set $acc (i32.add (local.get $acc) (local.get $i))) (br $done))
          (local.set $acc (i32.shr_u (local.get $acc) (i32.const 1))) (br $done))
        (local.set $acc (i32.or (local.get $acc) (i32.const 0x100))))
      (br_if $l (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (local.get $n))))
    (local.get $acc)))
