"""User functions for the command-line tests (tests/test_cli.py).

``python -m sct`` loads this file by path, as it loads a user's file.
"""

import numpy as np


def demo(x1, x2):
    return np.log(x1) + x1 * x2 - np.sin(x2)


def total(x, w):
    return np.sum(np.tanh(x * w))


def loop(x, n):
    for i in range(n):
        x = np.sin(x) * 1.5
    return x


def positive_only(x):
    if x <= 0.0:
        raise ValueError("x must be positive")
    return np.log(x)


def uses_try(x):
    try:
        y = x * 2.0
    except ValueError:
        y = x
    return y
