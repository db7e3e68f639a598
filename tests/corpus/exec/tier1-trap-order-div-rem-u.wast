;; fuzz exec find (seed 1000, module 3028): tier 1 spliced a trapping producer into
;; div_u's template "{0} // {1} if {1} else trap", which tests the divisor first: an
;; out-of-range i64.trunc_f32_s divided by zero trapped "integer divide by zero"
;; instead of the trunc's "integer overflow". wasmtime traps with the trunc's.
(module
  (func (export "i64.div_u") (param i64) (result i64)
    (i64.div_u (i64.trunc_f32_s (f32.const -0x1.5804bcp+86)) (local.get 0)))
  (func (export "i64.rem_u") (param i64) (result i64)
    (i64.rem_u (i64.trunc_f32_s (f32.const -0x1.5804bcp+86)) (local.get 0)))
  (func (export "i32.div_u") (param i32) (result i32)
    (i32.div_u (i32.trunc_f32_u (f32.const nan)) (local.get 0)))
  (func (export "i32.rem_u") (param i32) (result i32)
    (i32.rem_u (i32.div_u (i32.const 1) (i32.const 0)) (local.get 0)))
  (func (export "ok") (param i32) (result i32)
    (i32.rem_u (i32.trunc_f32_u (f32.const 7.5)) (local.get 0))))
(assert_trap (invoke "i64.div_u" (i64.const 0)) "integer overflow")
(assert_trap (invoke "i64.rem_u" (i64.const 0)) "integer overflow")
(assert_trap (invoke "i64.div_u" (i64.const 3)) "integer overflow")
(assert_trap (invoke "i32.div_u" (i32.const 0)) "invalid conversion to integer")
(assert_trap (invoke "i32.rem_u" (i32.const 0)) "integer divide by zero")
(assert_trap (invoke "ok" (i32.const 0)) "integer divide by zero")
(assert_return (invoke "ok" (i32.const 4)) (i32.const 3))
