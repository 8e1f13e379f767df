def scalar_loop_grad(x, y0, n):
    # forward sweep
    # the tape records, per pass: values of sin_y, y
    tape = []
    sin_y = None
    y = y0
    n_iter = 0
    for i in range(n):
        tape.append(sin_y)
        sin_y = np.sin(y)
        tape.append(y)
        y = sin_y * x + 0.1 * y
        n_iter = n_iter + 1

    # reverse sweep
    y_bar = 1.0
    x_bar = 0.0
    for t in range(n_iter):
        # golden_cases.py:26  y = np.sin(y) * x + 0.1 * y
        y = tape.pop()
        sin_y_bar = y_bar * x
        x_bar = x_bar + sin_y * y_bar
        y_bar = 0.1 * y_bar + sin_y_bar * np.cos(y)
        sin_y = tape.pop()
    return x_bar, y_bar
