def branch_grad(x):
    # forward sweep
    cond = x > 0.0

    # reverse sweep
    # golden_cases.py:35  return y * 3.0
    if cond:
        # golden_cases.py:32  y = x * x
        x_bar = 3.0 * x + x * 3.0
    else:
        # golden_cases.py:34  y = np.sin(x)
        x_bar = 3.0 * np.cos(x)
    return x_bar
