;; fuzz exec find: a guest growing a table without a maximum by 2**31 made wasmlite
;; allocate a 16 GiB list. Tables now stop at 10,000,000 elements (an implementation
;; limit; the spec lets table.grow fail for want of resources). wasmtime grows such
;; tables lazily, so this case asserts our limit, not wasmtime's outcome.
(module
  (table $t 0 externref)
  (func (export "grow") (param i32) (result i32)
    (table.grow $t (ref.null extern) (local.get 0)))
  (func (export "size") (result i32) (table.size $t)))
(assert_return (invoke "grow" (i32.const 0x7fffffff)) (i32.const -1))
(assert_return (invoke "grow" (i32.const 10000001)) (i32.const -1))
(assert_return (invoke "grow" (i32.const 1000)) (i32.const 0))
(assert_return (invoke "size") (i32.const 1000))
(assert_return (invoke "grow" (i32.const 9999000)) (i32.const 1000))
(assert_return (invoke "grow" (i32.const 1)) (i32.const -1))
(assert_return (invoke "size") (i32.const 10000000))
