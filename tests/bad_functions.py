"""Functions that sct must refuse, each marked on the offending line with '# <- name'."""

import numpy as np


def uses_yield(x):
    yield x * 2.0  # <- yield


def uses_try(x):
    try:  # <- try
        y = x * 2.0
    except ValueError:
        y = x
    return y


def uses_with(x):
    with open("f") as fh:  # <- with
        y = x
    return y


def uses_global(x):
    global COUNTER  # <- global
    return x


def local_function_as_value(x):
    def inner(t):
        return t * 2.0
    return sum(map(inner, [x]))  # <- local value


def uses_del(x):
    y = x * 2.0
    del y  # <- del
    return x


def uses_star_args(*xs):  # <- star args
    return xs[0]


def uses_early_return(x):
    if x > 0.0:
        return x  # <- early return
    return -x


def recursive_local(x):
    def fact(n):  # <- local recursion
        return 1.0 if n <= 1 else n * fact(n - 1)
    return x * fact(3)


def uses_exec(x):
    exec("y = 1")  # <- exec
    return x


def uses_nested_item_store(x):
    y = [np.zeros(3)]
    y[0][1] = x  # <- nested item store
    return np.sum(y[0])


def uses_attribute_store(x, obj):
    obj.value = x  # <- attribute store
    return x


def uses_while_else(x):
    while x > 10.0:  # <- while else
        x = x / 2.0
    else:
        x = x + 1.0
    return x


def uses_break(x):
    for i in range(3):
        if i > 1:
            break  # <- break
        x = x * 2.0
    return x


def many_problems(x):
    try:  # <- many 1
        pass
    except ValueError:
        pass
    del x  # <- many 2
    return x


def _no_rule_helper(x):
    return x


def calls_unknown_builtin(x):
    return np.sum(np.fft.fft(x).real)  # <- no rule


def calls_local_function(x, fn):
    return fn(x)  # <- unknown call


def no_return(x):
    y = x * 2.0  # <- no return


def writes_into_shared_array(x):
    y = np.zeros(3)
    z = y  # <- alias
    y[0] = x
    return np.sum(z)


def writes_through_a_view(x):
    c = np.zeros(3)
    y = c[0:2]  # <- view
    y[0] = x  # changes c: its gradient came out as 0.0 instead of 2 x
    return np.sum(c * c)


def writes_through_a_reshape(x):
    c = np.zeros(4)
    v = np.reshape(c, (2, 2))  # <- reshape
    v[0, 0] = x
    return np.sum(c * c) + x


def hands_back(a):
    return a


def writes_through_a_helper_result(x):
    c = np.zeros(3)
    v = hands_back(c)  # <- helper result
    v[0] = x  # changes c: the gradient came out as 1.0 instead of 2 x + 1
    return np.sum(c * c) + x


def reads_a_helper_result_after_writing(x):
    c = np.zeros(3)
    c[0] = x
    d = hands_back(c)  # c is not written after: d sees what c holds
    return np.sum(d * d)




def bad_helper_one(x):
    try:  # <- helper one
        pass
    finally:
        pass
    return x


def bad_helper_two(x):
    yield x  # <- helper two


def calls_two_bad_helpers(x):
    return bad_helper_one(x) * bad_helper_two(x)


def repeats_a_tuple(x):
    t = (x, 2.0 * x)
    u = t * 2  # <- tuple repetition
    return u[3] * u[0]


def concatenates_lists(x):
    items = [x]
    more = items + [2.0 * x]  # <- list concatenation
    return more[0] * more[1]


def pops_from_the_front(x, n):
    hs = []
    for i in range(n):
        hs.append(x * (i + 1.0))
    first = hs.pop(0)  # <- pop index
    return sum(hs) + first


def einsum_three_operands(x):
    return np.einsum("i,i,i->", x, x, x)  # <- three operands


def einsum_summed_alone(A, x):
    return np.sum(np.einsum("ij,j->j", A, x))  # <- summed alone


def linspace_axis_1(x):
    return np.sum(np.linspace(x, 2.0 * x, 4, axis=1))  # <- axis 1


def meshgrid_of_an_argument(x):
    X, Y = np.meshgrid(x, x)  # <- meshgrid
    return np.sum(X * Y)


def meshgrid_of_constants(x):
    X, Y = np.meshgrid(np.arange(3.0), np.arange(2.0))
    return np.sum(X * x + Y)


def enumerate_held(x):
    pairs = enumerate(x)  # <- enumerate
    s = 0.0
    for i, v in pairs:
        s = s + v * v
    return s
