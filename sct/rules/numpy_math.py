"""Rules for NumPy's elementwise functions (ufuncs and friends)."""

import numpy as np

from ..runtime import maximum_mask
from .core import adjoint, d, rule, tangent


def elementwise(fn, **kw):
    kw.setdefault("output", "like")
    return rule(fn, elementwise=True, **kw)


# --- trigonometric -----------------------------------------------------------
@elementwise(np.sin)
def sin(y, x):
    with adjoint:
        d[x] += d[y] * np.cos(x)
    with tangent:
        d[y] = d[x] * np.cos(x)


@elementwise(np.cos)
def cos(y, x):
    with adjoint:
        d[x] -= d[y] * np.sin(x)
    with tangent:
        d[y] = -d[x] * np.sin(x)


@elementwise(np.tan, domain="unit")
def tan(y, x):
    # tan' = 1 + tan**2
    with adjoint:
        d[x] += d[y] * (1.0 + y * y)
    with tangent:
        d[y] = d[x] * (1.0 + y * y)


@elementwise(np.arcsin, domain="unit")
def arcsin(y, x):
    with adjoint:
        d[x] += d[y] / np.sqrt(1.0 - x * x)
    with tangent:
        d[y] = d[x] / np.sqrt(1.0 - x * x)


@elementwise(np.arccos, domain="unit")
def arccos(y, x):
    with adjoint:
        d[x] -= d[y] / np.sqrt(1.0 - x * x)
    with tangent:
        d[y] = -d[x] / np.sqrt(1.0 - x * x)


@elementwise(np.arctan)
def arctan(y, x):
    with adjoint:
        d[x] += d[y] / (1.0 + x * x)
    with tangent:
        d[y] = d[x] / (1.0 + x * x)


@elementwise(np.arctan2, domain="nonzero")
def arctan2(y, a, b):
    # d atan2(a, b) = (b da - a db) / (a**2 + b**2)
    with adjoint:
        r = a * a + b * b
        d[a] += d[y] * b / r
        d[b] -= d[y] * a / r
    with tangent:
        d[y] = (d[a] * b - d[b] * a) / (a * a + b * b)


@elementwise(np.hypot, domain="nonzero")
def hypot(y, a, b):
    with adjoint:
        d[a] += d[y] * a / y
        d[b] += d[y] * b / y
    with tangent:
        d[y] = (d[a] * a + d[b] * b) / y


@elementwise(np.copysign, domain="nonzero")
def copysign(y, a, b):
    # |a| with the sign of b: d/da = sign(a) sign(b); b gives only the sign
    with adjoint:
        d[a] += d[y] * np.copysign(1.0, a) * np.copysign(1.0, b)
    with tangent:
        d[y] = d[a] * np.copysign(1.0, a) * np.copysign(1.0, b)


@elementwise(np.deg2rad, linear=(0,))
@elementwise(np.radians, linear=(0,))
def deg2rad(y, x):
    with adjoint:
        d[x] += d[y] * (np.pi / 180.0)
    with tangent:
        d[y] = d[x] * (np.pi / 180.0)


@elementwise(np.rad2deg, linear=(0,))
@elementwise(np.degrees, linear=(0,))
def rad2deg(y, x):
    with adjoint:
        d[x] += d[y] * (180.0 / np.pi)
    with tangent:
        d[y] = d[x] * (180.0 / np.pi)


# --- hyperbolic ----------------------------------------------------------------
@elementwise(np.sinh)
def sinh(y, x):
    with adjoint:
        d[x] += d[y] * np.cosh(x)
    with tangent:
        d[y] = d[x] * np.cosh(x)


@elementwise(np.cosh)
def cosh(y, x):
    with adjoint:
        d[x] += d[y] * np.sinh(x)
    with tangent:
        d[y] = d[x] * np.sinh(x)


@elementwise(np.tanh)
def tanh(y, x):
    # tanh' = 1 - tanh**2, from the output
    with adjoint:
        d[x] += d[y] * (1.0 - y * y)
    with tangent:
        d[y] = d[x] * (1.0 - y * y)


@elementwise(np.arcsinh)
def arcsinh(y, x):
    with adjoint:
        d[x] += d[y] / np.sqrt(x * x + 1.0)
    with tangent:
        d[y] = d[x] / np.sqrt(x * x + 1.0)


@elementwise(np.arccosh, domain="positive")
def arccosh(y, x):
    # defined for x > 1: the tests shift the positive domain by one
    with adjoint:
        d[x] += d[y] / np.sqrt(x * x - 1.0)
    with tangent:
        d[y] = d[x] / np.sqrt(x * x - 1.0)


@elementwise(np.arctanh, domain="unit")
def arctanh(y, x):
    with adjoint:
        d[x] += d[y] / (1.0 - x * x)
    with tangent:
        d[y] = d[x] / (1.0 - x * x)


# --- exponentials and logarithms ------------------------------------------------
@elementwise(np.exp)
def exp(y, x):
    with adjoint:
        d[x] += d[y] * y
    with tangent:
        d[y] = d[x] * y


@elementwise(np.exp2)
def exp2(y, x):
    with adjoint:
        d[x] += d[y] * y * np.log(2.0)
    with tangent:
        d[y] = d[x] * y * np.log(2.0)


@elementwise(np.expm1)
def expm1(y, x):
    with adjoint:
        d[x] += d[y] * (y + 1.0)
    with tangent:
        d[y] = d[x] * (y + 1.0)


@elementwise(np.log, domain="positive")
def log(y, x):
    with adjoint:
        d[x] += d[y] / x
    with tangent:
        d[y] = d[x] / x


@elementwise(np.log2, domain="positive")
def log2(y, x):
    with adjoint:
        d[x] += d[y] / (x * np.log(2.0))
    with tangent:
        d[y] = d[x] / (x * np.log(2.0))


@elementwise(np.log10, domain="positive")
def log10(y, x):
    with adjoint:
        d[x] += d[y] / (x * np.log(10.0))
    with tangent:
        d[y] = d[x] / (x * np.log(10.0))


@elementwise(np.log1p, domain="positive")
def log1p(y, x):
    with adjoint:
        d[x] += d[y] / (1.0 + x)
    with tangent:
        d[y] = d[x] / (1.0 + x)


@elementwise(np.logaddexp)
def logaddexp(y, a, b):
    # d/da log(e**a + e**b) = e**(a - y)
    with adjoint:
        d[a] += d[y] * np.exp(a - y)
        d[b] += d[y] * np.exp(b - y)
    with tangent:
        d[y] = d[a] * np.exp(a - y) + d[b] * np.exp(b - y)


@elementwise(np.logaddexp2)
def logaddexp2(y, a, b):
    with adjoint:
        d[a] += d[y] * np.exp2(a - y)
        d[b] += d[y] * np.exp2(b - y)
    with tangent:
        d[y] = d[a] * np.exp2(a - y) + d[b] * np.exp2(b - y)


# --- powers and roots ---------------------------------------------------------------
@elementwise(np.sqrt, domain="positive")
def sqrt(y, x):
    with adjoint:
        d[x] += d[y] / (2.0 * y)
    with tangent:
        d[y] = d[x] / (2.0 * y)


@elementwise(np.cbrt, domain="positive")
def cbrt(y, x):
    with adjoint:
        d[x] += d[y] / (3.0 * y * y)
    with tangent:
        d[y] = d[x] / (3.0 * y * y)


@elementwise(np.square)
def square(y, x):
    with adjoint:
        d[x] += d[y] * 2.0 * x
    with tangent:
        d[y] = d[x] * 2.0 * x


@elementwise(np.reciprocal, domain="nonzero")
def reciprocal(y, x):
    with adjoint:
        d[x] -= d[y] * y * y
    with tangent:
        d[y] = -d[x] * y * y


# --- piecewise ---------------------------------------------------------------------
@elementwise(np.maximum)
@elementwise(np.fmax)
def maximum(y, a, b):
    # ties split the adjoint evenly (the subgradient in the middle)
    with adjoint:
        m = maximum_mask(a, b)
        d[a] += d[y] * m
        d[b] += d[y] * (1.0 - m)
    with tangent:
        m = maximum_mask(a, b)
        d[y] = d[a] * m + d[b] * (1.0 - m)


@elementwise(np.minimum)
@elementwise(np.fmin)
def minimum(y, a, b):
    with adjoint:
        m = maximum_mask(b, a)
        d[a] += d[y] * m
        d[b] += d[y] * (1.0 - m)
    with tangent:
        m = maximum_mask(b, a)
        d[y] = d[a] * m + d[b] * (1.0 - m)


@elementwise(np.where, domain="any",
             examples=lambda rng: [((rng.normal(size=5) > 0, rng.normal(size=5),
                                     rng.normal(size=5)), {}),
                                    ((rng.normal(size=(2, 3)) > 0, rng.normal(size=3),
                                      1.5), {})])
def where(y, c, a, b):
    with adjoint:
        d[a] += np.where(c, d[y], 0.0)
        d[b] += np.where(c, 0.0, d[y])
    with tangent:
        d[y] = np.where(c, d[a], d[b])


@elementwise(np.clip, domain="any",
             examples=lambda rng: [((rng.normal(size=6), -0.5, 0.5), {}),
                                   ((rng.normal(size=(2, 3)), rng.normal(size=3) - 1.0,
                                     rng.normal(size=(2, 3)) + 1.0), {})])
def clip(y, a, a_min, a_max):
    # the value passes through where a_min < a < a_max, else the bound does
    with adjoint:
        inside = (a > a_min) * (a < a_max)
        d[a] += d[y] * inside
        d[a_min] += d[y] * (a <= a_min)
        d[a_max] += d[y] * (a >= a_max)
    with tangent:
        d[y] = d[a] * ((a > a_min) * (a < a_max)) + d[a_min] * (a <= a_min) + d[a_max] * (
            a >= a_max)


@elementwise(np.sinc, domain="nonzero")
def sinc(y, x):
    # sinc(x) = sin(pi x) / (pi x): sinc' = (cos(pi x) - sinc(x)) / x
    with adjoint:
        d[x] += d[y] * (np.cos(np.pi * x) - y) / x
    with tangent:
        d[y] = d[x] * (np.cos(np.pi * x) - y) / x
