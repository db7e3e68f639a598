;; f32 arithmetic: a damped oscillator and a polynomial in single precision
;; (add, mul, div, sqrt, min/max, abs, conversions); returns the bit pattern.
(module
  (func (export "run") (param $n i32) (result i32)
    (local $i i32) (local $x f32) (local $v f32) (local $acc f32) (local $t f32)
    (local.set $x (f32.const 1.5))
    (loop $l
      (local.set $t (f32.mul (f32.convert_i32_u (local.get $i)) (f32.const 0.001)))
      (local.set $v (f32.sub (f32.mul (local.get $v) (f32.const 0.999)) (f32.mul (local.get $x) (f32.const 0.01))))
      (local.set $x (f32.add (local.get $x) (f32.mul (local.get $v) (f32.const 0.01))))
      (local.set $acc (f32.add (local.get $acc)
        (f32.div (f32.add (f32.mul (local.get $x) (local.get $x)) (f32.const 1))
                 (f32.add (f32.sqrt (f32.abs (local.get $t))) (f32.const 1)))))
      (local.set $acc (f32.min (f32.max (local.get $acc) (f32.const -1e30)) (f32.const 1e30)))
      (br_if $l (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (local.get $n))))
    (i32.xor (i32.reinterpret_f32 (local.get $acc)) (i32.trunc_sat_f32_s (local.get $x)))))
