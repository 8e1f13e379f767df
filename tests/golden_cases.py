"""User functions whose generated source is kept in tests/golden/ (review diffs as code)."""

import numpy as np


def f(x1, x2):
    return np.log(x1) + x1 * x2 - np.sin(x2)


def loss(w, x):
    h = np.tanh(w * x)
    return np.sum(h * h)


def mlp_loss(W1, b1, W2, b2, X, Y):
    h = np.tanh(X @ W1 + b1)
    z = h @ W2 + b2
    z = z - np.max(z, axis=1, keepdims=True)
    logp = z - np.log(np.sum(np.exp(z), axis=1, keepdims=True))
    return -np.mean(np.sum(Y * logp, axis=1))


def scalar_loop(x, y0, n):
    y = y0
    for i in range(n):
        y = np.sin(y) * x + 0.1 * y
    return y


def branch(x):
    if x > 0.0:
        y = x * x
    else:
        y = np.sin(x)
    return y * 3.0


def helper(a, b):
    return a * np.sin(b)


def calls_helper(x, y):
    z = helper(x, y) + helper(y, x)
    return z * 2.0


def logsumexp(x):
    m = np.max(x)
    return m + np.log(np.sum(np.exp(x - m)))
