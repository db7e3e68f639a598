;; Call overhead: n iterations of a direct call to a small function, a direct call
;; to a two-result function and an indirect call through a table.
(module
  (type $bin (func (param i32 i32) (result i32)))
  (table 2 funcref)
  (elem (i32.const 0) $add $mix)
  (func $add (type $bin) (i32.add (local.get 0) (local.get 1)))
  (func $mix (type $bin) (i32.xor (i32.mul (local.get 0) (i32.const 31)) (local.get 1)))
  (func $pair (param i32) (result i32 i32) (local.get 0) (i32.shr_u (local.get 0) (i32.const 3)))
  (func (export "run") (param $n i32) (result i32)
    (local $i i32) (local $acc i32)
    (loop $l
      (local.set $acc (call $add (local.get $acc) (local.get $i)))
      (local.set $acc (i32.add (call $pair (local.get $acc))))
      (local.set $acc
        (call_indirect (type $bin) (local.get $acc) (local.get $i)
          (i32.and (local.get $i) (i32.const 1))))
      (br_if $l (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (local.get $n))))
    (local.get $acc)))
