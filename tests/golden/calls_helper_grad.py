def calls_helper_grad(x, y):
    # forward sweep
    helper_x_y, helper_saved = helper_fwd(x, y)
    helper_y_x, helper_saved_1 = helper_fwd(y, x)

    # reverse sweep
    # golden_cases.py:43  z = helper(x, y) + helper(y, x)
    helper_adjoints = helper_bwd(helper_saved_1, 2.0)
    helper_adjoints_1 = helper_bwd(helper_saved, 2.0)
    x_bar = helper_adjoints[1] + helper_adjoints_1[0]
    y_bar = helper_adjoints[0] + helper_adjoints_1[1]
    return x_bar, y_bar
