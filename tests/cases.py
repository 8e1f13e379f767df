"""Small user functions that drive the cross-checks of every engine.

Each case is ``Case(fn, args, argnums)``. The functions are ordinary module-level
NumPy code, as a user would write it; the tests differentiate them with every engine
and compare with central finite differences.
"""

import math
from dataclasses import dataclass

import numpy as np

import sct

SCALE = 0.5


@dataclass
class Case:
    fn: object
    args: tuple
    argnums: tuple
    scalar_output: bool = True

    @property
    def id(self):
        return self.fn.__name__


# --- straight-line code ---------------------------------------------------------------
def demo(x1, x2):
    return np.log(x1) + x1 * x2 - np.sin(x2)


def arith(a, b):
    c = a * b - a / b + a ** 2 - (-b) + b ** a
    c += 3.0
    c *= a
    return c / 2.0 + abs(a - 3.0 * b) + a // 1.0


def math_module(x, y):
    z = math.sin(x) * math.exp(y) + math.log(x) - math.sqrt(y) + math.tanh(x * y)
    return z + math.atan2(x, y) + math.pow(x, 1.5) + math.log1p(y) + math.hypot(x, y)


def mlp_loss(W1, b1, W2, b2, X, Y):
    h = np.tanh(X @ W1 + b1)
    z = h @ W2 + b2
    z = z - np.max(z, axis=1, keepdims=True)
    logp = z - np.log(np.sum(np.exp(z), axis=1, keepdims=True))
    return -np.mean(np.sum(Y * logp, axis=1))



# --- a shifted softmax: the max's adjoint is zero (sct/invariance.py), ties too --------
def log_softmax_ties(z, w):
    m = np.max(z, axis=1, keepdims=True)
    logp = z - m - np.log(np.sum(np.exp(z - m), axis=1, keepdims=True))
    return np.sum(w * logp)


def softmax_weights(z, v):
    e = np.exp(z - np.max(z, axis=-1, keepdims=True))
    p = e / np.sum(e, axis=-1, keepdims=True)
    return np.sum(p * v)


def logsumexp(x):
    m = np.max(x)
    return m + np.log(np.sum(np.exp(x - m)))



def softmax(z):
    e = np.exp(z - np.max(z, axis=-1, keepdims=True))
    return e / np.sum(e, axis=-1, keepdims=True)


def attention(q, k, v):
    # a helper derived for every shape: its max's axis is negative, kept
    p = softmax(q @ k.T)
    return np.sum((p @ v) ** 2)

def shifted_not_invariant(z):
    # the max is over the other axis, and a square is not invariant: both kept
    m = np.max(z, axis=0, keepdims=True)
    a = np.log(np.sum(np.exp(z - m), axis=1))
    return np.sum(a) + np.sum((z - np.min(z)) ** 2)


def gaussian_nll(L, r):
    # a Gaussian's negative log-likelihood, covariance S = L L^T + I
    S = L @ L.T + np.eye(3)
    return 0.5 * (r @ np.linalg.solve(S, r) + np.log(np.linalg.det(S))) + np.trace(
        np.linalg.inv(S) @ L)


def gp_nll(ell, X, y):
    # a Gaussian process's negative log marginal likelihood, through a Cholesky factor
    K = np.exp(-0.5 * (X[:, None] - X[None, :]) ** 2 / (ell * ell)) + 0.1 * np.eye(4)
    L = np.linalg.cholesky(K)
    alpha = np.linalg.solve(L.T, np.linalg.solve(L, y))
    return 0.5 * (y @ alpha) + np.log(np.linalg.det(L)) + np.sum(np.triu(L.T, 1))


def bilinear_form(A, x, W):
    # einsum contractions: a batch of quadratic forms and a matrix product
    q = np.einsum("bi,bi->b", np.einsum("bi,ij->bj", x, A), x)
    return np.sum(np.tanh(q)) + np.sum(np.einsum("ij,jk", W, A) ** 2)


def filled(x, a):
    # constructors whose values come from an argument, and a sign copied from another
    f = np.full(3, x[0]) ** 2 + np.full_like(x, x[1] * 2.0) * x
    g = np.linspace(a, x[2], 3) ** 2
    return np.sum(f) + np.sum(g) + np.copysign(a, x[0]) + np.sum(np.copysign(x, -1.0))


def negative_base(x, n):
    return x * (-2.0) ** n + (-x) ** 2  # printed -2.0 ** n once: the sign was lost


def ramp(a, b):
    return np.sum(np.sin(np.arange(a, 4.0, b * 0.3)))  # start + i step: 7 values here

def reductions(x):
    a = np.sum(x, axis=0)
    b = np.mean(x, axis=1, keepdims=True)
    c = np.prod(x + 2.0)
    d = np.max(x, axis=0) + np.min(x)
    return np.sum(a * a) + np.sum(b) + c + np.sum(d) + np.std(x) + np.var(x, axis=0)[1]


def shapes(x, w):
    y = x.T @ w
    z = np.reshape(y, (-1,))
    s = np.concatenate([z, z * 2.0])
    t = np.stack([s, s ** 2], axis=1)
    u = np.outer(s[:3], z)
    return np.sum(t) + np.sum(u) + x.sum() + np.dot(z, z) + np.transpose(x)[0, 1]


def indexing(x):
    a = x[0]
    b = x[1:3]
    c = x[-1] * x[2]
    d = x[np.array([0, 0, 3])]
    return a * np.sum(b) + c + np.sum(d ** 2)


def matrix_index(m):
    return m[0, 1] * m[1, 0] + np.sum(m[:, 1]) + np.sum(m[1, :] ** 2)


def elementwise(x, y):
    a = np.maximum(x, y) + np.minimum(x, 0.5 * y)
    b = np.where(x > 0.0, x * y, y)
    c = np.clip(x, -0.5, 0.5)
    d = np.exp(-x * x) * np.cosh(y) + np.arctan(x) + np.sqrt(np.abs(y) + 1.0)
    return np.sum(a + b + c + d + np.square(x) + np.log1p(y * y))


def broadcasting(a, b, c):
    return np.sum(a * b + c) + np.sum((a - c) / (b + 3.0))


def nondiff(x):
    n = len(x)
    k = np.argmax(x)
    s = np.floor(x[0]) + int(n > 2)
    return np.sum(x * n) + x[k] + s + np.sum(x > 0.0)


def defaults(x, scale=2.0, *, shift=1.0):
    return np.sum(x * scale + shift) * SCALE


def uses_defaults(x):
    return defaults(x) + defaults(x, scale=3.0)


def tuples(x, y):
    p = (x, y * 2.0)
    a, b = p
    c, d = b, a
    return a * b + c * d


def helper(a, b):
    return a * np.sin(b)


def calls_helper(x, y):
    z = helper(x, y) + helper(y, x)
    return z * 2.0


def pair(a, b):
    return a * b, a + b


def calls_pair(x, y):
    s, t = pair(x, y)
    return s * t


def stopped(x):
    return np.sum(x * sct.stop_gradient(x))


def methods(x):
    return x.mean() + x.max(axis=0).sum() + x.clip(-0.2, 0.2).sum() + x.astype(float).prod()


def ternary(x):
    y = x * 2.0 if x > 0.0 else -x
    return y * y + (x if x < 1.0 else 1.0)


def chained(x):
    ok = 0.0 < x < 2.0 and x != 1.0
    return x * 3.0 if ok else x


def shadowing(np_, tape, x_bar, grad, result):
    out = np_ * tape + x_bar * grad
    result = out * result
    return result


# --- control flow ---------------------------------------------------------------------
def branch(x):
    if x > 0.0:
        y = x * x
    elif x > -1.0:
        y = np.sin(x)
    else:
        y = -x
    return y * 3.0


def scalar_loop(x, y0, n):
    y = y0
    for i in range(n):
        y = np.sin(y) * x + 0.1 * y
    return y


def rnn(W, U, b, xs):
    h = np.zeros(W.shape[0])
    for t in range(xs.shape[0]):
        h = np.tanh(W @ h + U @ xs[t] + b)
    return np.sum(h ** 2)


def while_loop(x):
    s = 0.0
    k = 0
    while s < 10.0:
        s = s + x * k
        k = k + 1
    return s


def affine(ps, x):
    return ps[0] * x + ps[1]


def passes_a_list_literal(a, b, x):
    return np.sum(affine([a, b], x) * affine((b, a), x))


def loop_reuses_output(x, n):
    # tanh's rule reads its output: the value of each pass must come back
    for k in range(n):
        x = np.tanh(x)
    return x


def branch_in_loop_reuses_output(x):
    for k in range(5):
        if k < 3:
            x = np.tanh(x)
        else:
            x = np.exp(x) * 0.5
    return x


def while_sqrt(x):
    while x > 1.2:
        x = np.sqrt(x)
    return x


def loop_array_reuses_output(x, W):
    for k in range(3):
        x = np.tanh(x)
        x = W @ x
    return np.sum(np.exp(x))


def loop_branch(x, n):
    acc = 0.0
    for i in range(n):
        if i % 2 == 0:
            acc = acc + np.sin(x * i)
        else:
            acc = acc * x
    return acc


def nested_loops(x, n):
    total = 0.0
    for i in range(n):
        y = x
        for j in range(i):
            y = y * 0.9 + np.cos(y)
        total = total + y
    return total


def loop_calls_helper(x, n):
    y = x
    for i in range(1, n, 2):
        y = helper(y, x) + 0.5 * y
    return y


def range_forms(x):
    s = 0.0
    for i in range(2, 9, 3):
        s = s + x ** i
    for i in range(5, 0, -2):
        s = s * x + i
    return s


def early_return(x):
    if x > 1.0:
        return x * x
    y = np.sin(x)
    if y < 0.0:
        return -y
    return y * 2.0


def loop_break(x, n):
    y = x
    for i in range(n):
        if y > 5.0:
            break
        y = y * 1.5 + np.sin(y)
    return y


def loop_continue(x, n):
    acc = 0.0
    for i in range(n):
        if i % 3 == 1:
            continue
        acc = acc + x ** i
    return acc


def while_break(x):
    y = x
    k = 0
    while True:
        y = np.cos(y) + y * 0.5
        k = k + 1
        if k >= 6:
            break
    return y


def return_in_loop(x, n):
    y = x
    for i in range(n):
        y = y * x + 0.1
        for j in range(3):
            if y > 2.0:
                return y * 10.0
            y = y + 0.01 * j
    return y


def loop_over_rows(W, x):
    total = 0.0
    for row in W:
        total = total + np.tanh(row @ x)
    return total


def loop_enumerate_zip(xs, ys):
    acc = 0.0
    for i, x in enumerate(xs):
        acc = acc + x * (i + 1.0)
    for a, b in zip(xs, ys):
        acc = acc + a * np.sin(b)
    for y in reversed(ys):
        acc = acc * 0.5 + y
    return acc


def fill_array(x, n):
    out = np.zeros(n)
    for i in range(n):
        out[i] = np.sin(x * i)
    out[0] += x * x
    out[1:3] = out[1:3] * x
    return np.sum(out ** 2)


def update_argument(v):
    v[0] = v[1] * v[2]
    v[2] += v[0]
    v[1:] = np.tanh(v[1:])
    return np.sum(v * v)


def matrix_updates(m, x):
    for i in range(m.shape[0]):
        m[i, :] = m[i, :] * x[i]
        m[i, i] = m[i, i] + 1.0
    return np.sum(np.sin(m))


def list_grown(x, n):
    hs = []
    h = x
    for i in range(n):
        h = np.tanh(h * 1.1 + 0.2)
        hs.append(h)
    last = hs.pop()
    return sum(hs) + last * hs[0] + len(hs)


def comprehension(xs, w):
    ys = [np.sin(x * w) for x in xs if x > -5.0]
    zs = [a * b for a, b in zip(ys, xs)]
    return np.sum(np.array(zs)) + sum([y * y for y in ys])


def list_of_arrays(W, xs):
    outs = []
    for x in xs:
        outs.append(W @ x)
    stacked = np.stack(outs)
    return np.sum(stacked ** 2) + np.sum(outs[1])


def nested_functions(x, y):
    k = 0.5

    def g(t, scale=2.0):
        u = t * y + k
        if u > 1.0:
            return np.sin(u) * scale
        return u * u

    sq = lambda t: t * t
    return g(x) + g(x * 2.0, scale=3.0) + sq(y) + g(sq(x))


def dict_params(w, b, x):
    params = {"w": w, "b": b}
    h = np.tanh(params["w"] * x + params["b"])
    return np.sum(h * params["w"])


def record_step(history, y, x):
    history.append(y * x)
    return np.tanh(y) + 0.3 * x


def combination(x, n):
    history = []
    y = x
    for i in range(n):
        if y > 3.0:
            break
        if i % 2 == 0:
            y = record_step(history, y, x)
        else:
            y = y * 1.2 + np.sin(x)
    return sum(history) + y


def stacked_history(x, n):
    # a list grown in a loop, then stacked and concatenated into arrays
    hs = []
    h = x
    for i in range(n):
        h = np.sin(h) + 0.5 * x
        hs.append(h)
    return np.sum(np.stack(hs) ** 2) + np.sum(np.concatenate(hs) * x[0])


def popped_unused(x, n):
    hs = []
    for i in range(n):
        hs.append(x * (i + 1.0))
    hs.pop()  # for its effect only
    return sum(hs) * x


def vector_out(x):
    return x * np.sin(x)


rng = np.random.default_rng(0)
_X = rng.normal(size=(5, 4))
_TIES = np.array([[1.0, 3.0, 3.0, -0.5], [2.0, 2.0, 0.5, 2.0], [0.3, -1.2, 0.8, 0.1]])
_Y = np.eye(3)[rng.integers(0, 3, size=5)]

CASES = [
    Case(demo, (2.0, 5.0), (0, 1)),
    Case(arith, (1.3, 0.7), (0, 1)),
    Case(math_module, (0.8, 1.4), (0, 1)),
    Case(mlp_loss, (rng.normal(size=(4, 6)) * 0.5, rng.normal(size=6) * 0.1,
                    rng.normal(size=(6, 3)) * 0.5, rng.normal(size=3) * 0.1, _X, _Y),
         (0, 1, 2, 3)),
    Case(reductions, (rng.normal(size=(3, 4)),), (0,)),
    Case(filled, (np.array([0.5, -1.2, 2.0]), 0.7), (0, 1)),
    Case(ramp, (0.7, 2.0), (0, 1)),
    Case(negative_base, (1.5, 3), (0,)),
    Case(bilinear_form, (rng.normal(size=(3, 3)) * 0.5, rng.normal(size=(4, 3)),
                         rng.normal(size=(2, 3))), (0, 1, 2)),
    Case(gp_nll, (0.8, rng.normal(size=4), rng.normal(size=4)), (0, 2)),
    Case(gaussian_nll, (rng.normal(size=(3, 3)) * 0.5, rng.normal(size=3)), (0, 1)),
    Case(log_softmax_ties, (_TIES, rng.normal(size=(3, 4))), (0, 1)),
    Case(softmax_weights, (_TIES, rng.normal(size=(3, 4))), (0, 1)),
    Case(logsumexp, (_TIES[0],), (0,)),
    Case(shifted_not_invariant, (_TIES,), (0,)),
    Case(attention, (rng.normal(size=(3, 4)), rng.normal(size=(5, 4)),
                     rng.normal(size=(5, 2))), (0, 1, 2)),
    Case(shapes, (rng.normal(size=(3, 2)), rng.normal(size=(3, 2))), (0, 1)),
    Case(indexing, (rng.normal(size=5),), (0,)),
    Case(matrix_index, (rng.normal(size=(3, 3)),), (0,)),
    Case(elementwise, (rng.normal(size=6), rng.normal(size=6)), (0, 1)),
    Case(broadcasting, (rng.normal(size=(3, 1)), rng.normal(size=(1, 4)), 0.7),
         (0, 1, 2)),
    Case(nondiff, (rng.normal(size=4),), (0,)),
    Case(defaults, (rng.normal(size=3),), (0,)),
    Case(uses_defaults, (rng.normal(size=3),), (0,)),
    Case(tuples, (0.3, 1.1), (0, 1)),
    Case(calls_helper, (0.4, 1.2), (0, 1)),
    Case(calls_pair, (0.4, 1.2), (0, 1)),
    Case(methods, (rng.normal(size=(3, 4)),), (0,)),
    Case(ternary, (0.6,), (0,)),
    Case(ternary, (-0.6,), (0,)),
    Case(chained, (0.5,), (0,)),
    Case(chained, (3.5,), (0,)),
    Case(shadowing, (1.1, 1.2, 1.3, 1.4, 1.5), (0, 1, 2, 3, 4)),
    Case(branch, (1.5,), (0,)),
    Case(branch, (-0.5,), (0,)),
    Case(branch, (-1.5,), (0,)),
    Case(scalar_loop, (0.7, 0.3, 10), (0, 1)),
    Case(rnn, (rng.normal(size=(4, 4)) * 0.5, rng.normal(size=(4, 3)), rng.normal(size=4),
               rng.normal(size=(5, 3))), (0, 1, 2)),
    Case(while_loop, (1.3,), (0,)),
    Case(loop_branch, (0.8, 7), (0,)),
    Case(passes_a_list_literal, (rng.normal(size=3), rng.normal(size=3),
                                 rng.normal(size=3)), (0, 1, 2)),
    Case(loop_reuses_output, (0.3, 3), (0,)),
    Case(branch_in_loop_reuses_output, (0.3,), (0,)),
    Case(while_sqrt, (7.0,), (0,)),
    Case(loop_array_reuses_output, (rng.normal(size=3), rng.normal(size=(3, 3)) * 0.8),
         (0, 1)),
    Case(nested_loops, (0.6, 4), (0,)),
    Case(loop_calls_helper, (0.6, 6), (0,)),
    Case(range_forms, (1.1,), (0,)),
    Case(early_return, (1.5,), (0,)),
    Case(early_return, (0.5,), (0,)),
    Case(early_return, (-0.5,), (0,)),
    Case(loop_break, (0.8, 10), (0,)),
    Case(loop_break, (0.1, 3), (0,)),
    Case(loop_continue, (0.9, 8), (0,)),
    Case(while_break, (0.4,), (0,)),
    Case(return_in_loop, (0.9, 5), (0,)),
    Case(return_in_loop, (0.5, 2), (0,)),
    Case(loop_over_rows, (rng.normal(size=(4, 3)), rng.normal(size=3)), (0, 1)),
    Case(loop_enumerate_zip, (rng.normal(size=4), rng.normal(size=3)), (0, 1)),
    Case(fill_array, (0.7, 6), (0,)),
    Case(update_argument, (rng.normal(size=4),), (0,)),
    Case(matrix_updates, (rng.normal(size=(3, 3)), rng.normal(size=3)), (0, 1)),
    Case(list_grown, (0.3, 5), (0,)),
    Case(comprehension, (rng.normal(size=4), 0.7), (0, 1)),
    Case(list_of_arrays, (rng.normal(size=(2, 3)), rng.normal(size=(4, 3))), (0, 1)),
    Case(nested_functions, (0.7, 1.3), (0, 1)),
    Case(nested_functions, (0.2, 0.3), (0, 1)),
    Case(dict_params, (rng.normal(size=3), 0.2, rng.normal(size=3)), (0, 1)),
    Case(combination, (0.6, 7), (0,)),
    Case(combination, (2.5, 9), (0,)),
    Case(stacked_history, (rng.normal(size=3), 4), (0,)),
    Case(popped_unused, (0.7, 4), (0,)),
    Case(vector_out, (rng.normal(size=4),), (0,), scalar_output=False),
]
