def mlp_loss_grad(W1, b1, W2, b2, X, Y):
    # forward sweep
    h = np.tanh(X @ W1 + b1)
    z = h @ W2 + b2
    z_1 = z - np.max(z, axis=1, keepdims=True)
    exp_z = np.exp(z_1)
    sum_exp_z = np.sum(exp_z, axis=1, keepdims=True)

    # reverse sweep
    # golden_cases.py:20  return -np.mean(np.sum(Y * logp, axis=1))
    Y_times_logp_bar = -1.0 / X.shape[0]
    logp_bar = Y * Y_times_logp_bar
    # golden_cases.py:19  logp = z - np.log(np.sum(np.exp(z), axis=1, keepdims=True))
    log_sum_exp_z_bar = -np.add.reduce(logp_bar, axis=1, keepdims=True)
    sum_exp_z_bar = log_sum_exp_z_bar / sum_exp_z
    z_1_bar = logp_bar + sum_exp_z_bar * exp_z
    # golden_cases.py:18  z = z - np.max(z, axis=1, keepdims=True)
    # (the max gets no adjoint: the result does not change when it shifts)
    # golden_cases.py:17  z = h @ W2 + b2
    b2_bar = np.add.reduce(z_1_bar, axis=0)
    h_bar = z_1_bar @ W2.T
    W2_bar = h.T @ z_1_bar
    # golden_cases.py:16  h = np.tanh(X @ W1 + b1)
    X_at_W1_plus_b1_bar = h_bar * (1.0 - h * h)
    b1_bar = np.add.reduce(X_at_W1_plus_b1_bar, axis=0)
    W1_bar = X.T @ X_at_W1_plus_b1_bar
    return as_grad(W1_bar, W1), as_grad(b1_bar, b1), as_grad(W2_bar, W2), as_grad(b2_bar, b2)
