"""Rules for the ``math`` module (Python floats only)."""

import math

from .core import adjoint, d, rule, tangent


# --- trigonometric -----------------------------------------------------------
@rule(math.sin, arrays=False, output="scalar")
def sin(y, x):
    with adjoint:
        d[x] += d[y] * math.cos(x)
    with tangent:
        d[y] = d[x] * math.cos(x)


@rule(math.cos, arrays=False, output="scalar")
def cos(y, x):
    with adjoint:
        d[x] -= d[y] * math.sin(x)
    with tangent:
        d[y] = -d[x] * math.sin(x)


@rule(math.tan, arrays=False, output="scalar", domain="unit")
def tan(y, x):
    # tan' = 1 + tan**2
    with adjoint:
        d[x] += d[y] * (1.0 + y * y)
    with tangent:
        d[y] = d[x] * (1.0 + y * y)


@rule(math.asin, arrays=False, output="scalar", domain="unit")
def asin(y, x):
    with adjoint:
        d[x] += d[y] / math.sqrt(1.0 - x * x)
    with tangent:
        d[y] = d[x] / math.sqrt(1.0 - x * x)


@rule(math.acos, arrays=False, output="scalar", domain="unit")
def acos(y, x):
    with adjoint:
        d[x] -= d[y] / math.sqrt(1.0 - x * x)
    with tangent:
        d[y] = -d[x] / math.sqrt(1.0 - x * x)


@rule(math.atan, arrays=False, output="scalar")
def atan(y, x):
    with adjoint:
        d[x] += d[y] / (1.0 + x * x)
    with tangent:
        d[y] = d[x] / (1.0 + x * x)


@rule(math.atan2, arrays=False, output="scalar", domain="nonzero")
def atan2(y, a, b):
    # atan2(a, b) = atan(a / b) (+ const): d = (b da - a db) / (a**2 + b**2)
    with adjoint:
        r = a * a + b * b
        d[a] += d[y] * b / r
        d[b] -= d[y] * a / r
    with tangent:
        d[y] = (d[a] * b - d[b] * a) / (a * a + b * b)


@rule(math.hypot, arrays=False, output="scalar", domain="nonzero")
def hypot(y, a, b):
    with adjoint:
        d[a] += d[y] * a / y
        d[b] += d[y] * b / y
    with tangent:
        d[y] = (d[a] * a + d[b] * b) / y


# --- hyperbolic ----------------------------------------------------------------
@rule(math.sinh, arrays=False, output="scalar")
def sinh(y, x):
    with adjoint:
        d[x] += d[y] * math.cosh(x)
    with tangent:
        d[y] = d[x] * math.cosh(x)


@rule(math.cosh, arrays=False, output="scalar")
def cosh(y, x):
    with adjoint:
        d[x] += d[y] * math.sinh(x)
    with tangent:
        d[y] = d[x] * math.sinh(x)


@rule(math.tanh, arrays=False, output="scalar")
def tanh(y, x):
    # tanh' = 1 - tanh**2
    with adjoint:
        d[x] += d[y] * (1.0 - y * y)
    with tangent:
        d[y] = d[x] * (1.0 - y * y)


@rule(math.asinh, arrays=False, output="scalar")
def asinh(y, x):
    with adjoint:
        d[x] += d[y] / math.sqrt(x * x + 1.0)
    with tangent:
        d[y] = d[x] / math.sqrt(x * x + 1.0)


@rule(math.atanh, arrays=False, output="scalar", domain="unit")
def atanh(y, x):
    with adjoint:
        d[x] += d[y] / (1.0 - x * x)
    with tangent:
        d[y] = d[x] / (1.0 - x * x)


# --- exponentials and logarithms ------------------------------------------------
@rule(math.exp, arrays=False, output="scalar")
def exp(y, x):
    with adjoint:
        d[x] += d[y] * y
    with tangent:
        d[y] = d[x] * y


@rule(math.expm1, arrays=False, output="scalar")
def expm1(y, x):
    with adjoint:
        d[x] += d[y] * (y + 1.0)
    with tangent:
        d[y] = d[x] * (y + 1.0)


@rule(math.log, arrays=False, output="scalar", domain="positive")
def log(y, x, base=math.e):
    # log_b(x) = ln(x) / ln(b)
    with adjoint:
        d[x] += d[y] / (x * math.log(base))
        d[base] -= d[y] * y / (base * math.log(base))
    with tangent:
        d[y] = d[x] / (x * math.log(base)) - d[base] * y / (base * math.log(base))


@rule(math.log2, arrays=False, output="scalar", domain="positive")
def log2(y, x):
    with adjoint:
        d[x] += d[y] / (x * math.log(2.0))
    with tangent:
        d[y] = d[x] / (x * math.log(2.0))


@rule(math.log10, arrays=False, output="scalar", domain="positive")
def log10(y, x):
    with adjoint:
        d[x] += d[y] / (x * math.log(10.0))
    with tangent:
        d[y] = d[x] / (x * math.log(10.0))


@rule(math.log1p, arrays=False, output="scalar", domain="positive")
def log1p(y, x):
    with adjoint:
        d[x] += d[y] / (1.0 + x)
    with tangent:
        d[y] = d[x] / (1.0 + x)


@rule(math.sqrt, arrays=False, output="scalar", domain="positive")
def sqrt(y, x):
    with adjoint:
        d[x] += d[y] / (2.0 * y)
    with tangent:
        d[y] = d[x] / (2.0 * y)


@rule(math.pow, arrays=False, output="scalar", domain="positive")
def pow_(y, a, b):
    with adjoint:
        d[a] += d[y] * b * math.pow(a, b - 1.0)
        d[b] += d[y] * y * math.log(a)
    with tangent:
        d[y] = d[a] * b * math.pow(a, b - 1.0) + d[b] * y * math.log(a)


@rule(math.fabs, arrays=False, output="scalar", domain="nonzero")
def fabs(y, x):
    with adjoint:
        d[x] += d[y] * math.copysign(1.0, x)
    with tangent:
        d[y] = d[x] * math.copysign(1.0, x)


@rule(math.copysign, arrays=False, output="scalar", domain="nonzero")
def copysign(y, a, b):
    # |a| with the sign of b: d/da = sign(a) sign(b); b gives only the sign
    with adjoint:
        d[a] += d[y] * math.copysign(1.0, a) * math.copysign(1.0, b)
    with tangent:
        d[y] = d[a] * math.copysign(1.0, a) * math.copysign(1.0, b)


@rule(math.erf, arrays=False, output="scalar")
def erf(y, x):
    # erf' = 2/sqrt(pi) exp(-x**2)
    with adjoint:
        d[x] += d[y] * 1.1283791670955126 * math.exp(-x * x)
    with tangent:
        d[y] = d[x] * 1.1283791670955126 * math.exp(-x * x)


@rule(math.degrees, arrays=False, output="scalar", linear=(0,))
def degrees(y, x):
    with adjoint:
        d[x] += d[y] * (180.0 / math.pi)
    with tangent:
        d[y] = d[x] * (180.0 / math.pi)


@rule(math.radians, arrays=False, output="scalar", linear=(0,))
def radians(y, x):
    with adjoint:
        d[x] += d[y] * (math.pi / 180.0)
    with tangent:
        d[y] = d[x] * (math.pi / 180.0)


@rule(math.acosh, arrays=False, output="scalar", domain="positive")
def acosh(y, x):
    # defined for x > 1: the tests shift the positive domain by one
    with adjoint:
        d[x] += d[y] / math.sqrt(x * x - 1.0)
    with tangent:
        d[y] = d[x] / math.sqrt(x * x - 1.0)


if hasattr(math, "exp2"):  # Python 3.11+
    @rule(math.exp2, arrays=False, output="scalar")
    def exp2(y, x):
        with adjoint:
            d[x] += d[y] * y * math.log(2.0)
        with tangent:
            d[y] = d[x] * y * math.log(2.0)

    @rule(math.cbrt, arrays=False, output="scalar", domain="positive")
    def cbrt(y, x):
        with adjoint:
            d[x] += d[y] / (3.0 * y * y)
        with tangent:
            d[y] = d[x] / (3.0 * y * y)


@rule(math.erfc, arrays=False, output="scalar")
def erfc(y, x):
    # erfc' = -2/sqrt(pi) exp(-x**2)
    with adjoint:
        d[x] -= d[y] * 1.1283791670955126 * math.exp(-x * x)
    with tangent:
        d[y] = -d[x] * 1.1283791670955126 * math.exp(-x * x)
