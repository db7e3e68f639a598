;; fuzz exec find (seed 4000, module 1383, SIMD): tier 1 splices a shuffle's
;; expression, which holds a bytes literal such as b'\x03\x02...', through
;; extract_lane into a load's address, then put the address into the load's
;; expression with re.sub, which read the backslashes as escapes: re.error escaped
;; from the engine. Result checked against wasmtime.
(module
  (memory 1)
  (data (i32.const 0) "\01\02\03\04\05\06\07\08")
  (func (export "load16_s") (param v128) (result i32)
    (i32.load16_s (i8x16.extract_lane_u 0
      (i8x16.shuffle 3 2 1 0 4 5 6 7 8 9 10 11 12 13 14 15 (local.get 0) (local.get 0)))))
  (func (export "f32.load") (param v128) (result f32)
    (f32.load offset=1 (i8x16.extract_lane_u 0
      (i8x16.shuffle 3 2 1 0 4 5 6 7 8 9 10 11 12 13 14 15 (local.get 0) (local.get 0))))))
(assert_return (invoke "load16_s" (v128.const i8x16 0 0 0 2 0 0 0 0 0 0 0 0 0 0 0 0)) (i32.const 0x0403))
(assert_return (invoke "f32.load" (v128.const i8x16 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0)) (f32.const 0x1.080604p-117))
