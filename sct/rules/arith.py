"""Rules for Python's arithmetic operators and the builtins that do arithmetic.

The compiler looks operators up through the ``operator`` module: ``a * b`` is a call
of ``operator.mul``. NumPy's ufunc spellings share the same templates.
"""

import builtins
import operator

import numpy as np

from ..runtime import matmul_adjoint_a, matmul_adjoint_b, maximum_mask
from .core import adjoint, d, rule, tangent


# --- sums and differences --------------------------------------------------
# `linear` lists arguments a zero in which makes the result zero: not so for sums
@rule(operator.add, elementwise=True, output="like")
@rule(np.add, elementwise=True, output="like")
def add(y, a, b):
    with adjoint:
        d[a] += d[y]
        d[b] += d[y]
    with tangent:
        d[y] = d[a] + d[b]


@rule(operator.sub, elementwise=True, output="like")
@rule(np.subtract, elementwise=True, output="like")
def sub(y, a, b):
    with adjoint:
        d[a] += d[y]
        d[b] -= d[y]
    with tangent:
        d[y] = d[a] - d[b]


@rule(operator.neg, linear=(0,), output="like")
@rule(np.negative, linear=(0,), output="like")
def neg(y, a):
    with adjoint:
        d[a] -= d[y]
    with tangent:
        d[y] = -d[a]


@rule(operator.pos, linear=(0,), output="like")
@rule(np.positive, linear=(0,), output="like")
def pos(y, a):
    with adjoint:
        d[a] += d[y]
    with tangent:
        d[y] = d[a]


# --- products and quotients -------------------------------------------------
@rule(operator.mul, elementwise=True, linear=(0, 1), output="like")
@rule(np.multiply, elementwise=True, linear=(0, 1), output="like")
def mul(y, a, b):
    with adjoint:
        d[a] += d[y] * b
        d[b] += a * d[y]
    with tangent:
        d[y] = d[a] * b + a * d[b]


@rule(operator.truediv, elementwise=True, domain="nonzero", output="like")
@rule(np.divide, elementwise=True, domain="nonzero", output="like")
def truediv(y, a, b):
    # d(a/b)/db = -a/b**2 = -y/b
    with adjoint:
        d[a] += d[y] / b
        d[b] -= d[y] * y / b
    with tangent:
        d[y] = d[a] / b - d[b] * y / b


@rule(operator.pow, elementwise=True, domain="positive", output="like")
@rule(builtins.pow, elementwise=True, domain="positive", output="like")
@rule(np.power, elementwise=True, domain="positive", output="like")
def power(y, a, b):
    # d(a**b) = b a**(b-1) da + log(a) a**b db
    with adjoint:
        d[a] += d[y] * b * a ** (b - 1)
        d[b] += d[y] * y * np.log(a)
    with tangent:
        d[y] = d[a] * b * a ** (b - 1) + d[b] * y * np.log(a)


@rule(operator.mod, elementwise=True, domain="positive", output="like")
@rule(np.mod, elementwise=True, domain="positive", output="like")
def mod(y, a, b):
    # a % b = a - floor(a / b) * b, and floor has zero derivative
    with adjoint:
        d[a] += d[y]
        d[b] -= d[y] * (a // b)
    with tangent:
        d[y] = d[a] - d[b] * (a // b)


@rule(operator.matmul, domain="real", linear=(0, 1),
      examples=lambda rng: [((rng.normal(size=(3, 4)), rng.normal(size=(4, 2))), {}),
                            ((rng.normal(size=4), rng.normal(size=(4, 2))), {}),
                            ((rng.normal(size=(3, 4)), rng.normal(size=4)), {}),
                            ((rng.normal(size=4), rng.normal(size=4)), {}),
                            ((rng.normal(size=(2, 3, 4)), rng.normal(size=(4, 2))), {})])
@rule(np.matmul, domain="real", linear=(0, 1),
      examples=lambda rng: [((rng.normal(size=(3, 4)), rng.normal(size=(4, 2))), {})])
def matmul(y, a, b):
    with adjoint:
        d[a] += matmul_adjoint_a(d[y], a, b)
        d[b] += matmul_adjoint_b(d[y], a, b)
    with tangent:
        d[y] = d[a] @ b + a @ d[b]


# --- builtins -----------------------------------------------------------------
@rule(builtins.abs, elementwise=True, domain="nonzero", output="like")
@rule(np.abs, elementwise=True, domain="nonzero", output="like")
@rule(np.fabs, elementwise=True, domain="nonzero", output="like")
def absolute(y, x):
    with adjoint:
        d[x] += d[y] * np.sign(x)
    with tangent:
        d[y] = d[x] * np.sign(x)


@rule(builtins.float, arrays=False, linear=(0,), output="scalar")
def to_float(y, x):
    with adjoint:
        d[x] += d[y]
    with tangent:
        d[y] = float(d[x])


@rule(builtins.max, domain="real", arrays=False, output="scalar")
def builtin_max(y, a, b):
    with adjoint:
        m = maximum_mask(a, b)
        d[a] += d[y] * m
        d[b] += d[y] * (1.0 - m)
    with tangent:
        m = maximum_mask(a, b)
        d[y] = d[a] * m + d[b] * (1.0 - m)


@rule(builtins.min, domain="real", arrays=False, output="scalar")
def builtin_min(y, a, b):
    with adjoint:
        m = maximum_mask(b, a)
        d[a] += d[y] * m
        d[b] += d[y] * (1.0 - m)
    with tangent:
        m = maximum_mask(b, a)
        d[y] = d[a] * m + d[b] * (1.0 - m)
