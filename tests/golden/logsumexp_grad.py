def logsumexp_grad(x):
    # forward sweep
    m = np.max(x)
    exp_x_minus_m = np.exp(x - m)
    sum_exp_x_minus_m = np.sum(exp_x_minus_m)

    # reverse sweep
    # golden_cases.py:49  return m + np.log(np.sum(np.exp(x - m)))
    sum_exp_x_minus_m_bar = 1.0 / sum_exp_x_minus_m
    x_minus_m_bar = sum_exp_x_minus_m_bar * exp_x_minus_m
    # golden_cases.py:48  m = np.max(x)
    # (the max gets no adjoint: the result does not change when it shifts)
    return as_grad(x_minus_m_bar, x)
