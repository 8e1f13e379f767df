def loss_fwd(w, x):
    w_times_x = w * x
    h = np.tanh(w_times_x)
    h_times_h = h * h
    out = np.sum(h_times_h)
    return out, (h_times_h, x, w, h)

def loss_bwd(saved, out_bar):
    h_times_h, x, w, h = saved
    # golden_cases.py:12  return np.sum(h * h)
    h_times_h_bar = unreduce(out_bar, h_times_h, None, False)
    h_bar = h_times_h_bar * h + h * h_times_h_bar
    # golden_cases.py:11  h = np.tanh(w * x)
    w_times_x_bar = h_bar * (1.0 - h * h)
    w_bar = w_times_x_bar * x
    x_bar = w * w_times_x_bar
    return as_grad(w_bar, w), as_grad(x_bar, x)
