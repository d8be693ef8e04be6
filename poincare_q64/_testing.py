from poincare_q64._kernels import set_force_slow_path, set_simd, debug_stage1, debug_approx, debug_divrem  # replaced by the C hooks module
