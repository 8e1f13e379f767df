def loss_grad(w, x):
    # forward sweep
    h = np.tanh(w * x)

    # reverse sweep
    # golden_cases.py:12  return np.sum(h * h)
    h_bar = h + h
    # golden_cases.py:11  h = np.tanh(w * x)
    w_times_x_bar = h_bar * (1.0 - h * h)
    w_bar = w_times_x_bar * x
    return as_grad(w_bar, w)
