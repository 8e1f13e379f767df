def f_grad(x1, x2):
    # reverse sweep
    # golden_cases.py:7  return np.log(x1) + x1 * x2 - np.sin(x2)
    x2_bar = x1 - np.cos(x2)
    x1_bar = x2 + 1.0 / x1
    return x1_bar, x2_bar
