"""A user module for the API tests: globals, closures and rebinding."""

import numpy as np

SCALE = 2.0


def scaled(x):
    return np.sum(np.sin(x) * SCALE)


def act(x):
    return np.tanh(x)


def uses_act(x):
    return np.sum(act(x) * x)


def make_closure(k):
    def inner(x):
        return np.sum(x ** 2) * k
    return inner


def writes_argument(v):
    v[0] = v[1] * 2.0
    return np.sum(v * v)


def raises_for_negative(x):
    y = np.sqrt(x)
    if x < 0.0:
        z = np.log(x - 1.0)
    else:
        z = y
    return z * 3.0


def depth(x, n):
    if n <= 0:
        return x
    return np.sin(depth(x * 1.1, n - 1))


def dot(x, y):
    return np.sum(x * y)


def two(x, y, z):
    return np.sum(x * z) + np.sum(y * z)


def transposed(x, y):
    return np.sum(x.T * y)


def scaled_by_one(x):
    return x * 1.0
