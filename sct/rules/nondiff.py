"""Functions whose results carry no derivative: integer-valued, boolean, shapes, constructors.

A call to one of these never makes its result active, so code such as
``n = len(x)`` or ``k = np.argmax(x)`` differentiates to zero through them, exactly.
"""

import builtins
import math
import operator

import numpy as np

from .core import nondifferentiable

nondifferentiable(
    # comparisons and logic
    operator.lt, operator.le, operator.gt, operator.ge, operator.eq, operator.ne,
    operator.not_, operator.is_, operator.is_not, operator.contains, operator.truth,
    operator.and_, operator.or_, operator.xor, operator.invert,
    np.less, np.less_equal, np.greater, np.greater_equal, np.equal, np.not_equal,
    np.logical_and, np.logical_or, np.logical_not, np.logical_xor, np.isnan, np.isinf,
    np.isfinite, np.all, np.any, np.allclose, np.isclose, np.array_equal,
    math.isnan, math.isinf, math.isfinite,
    builtins.isinstance, builtins.type, builtins.print, builtins.repr, builtins.str,
    builtins.hasattr, builtins.id, builtins.callable,
    np.result_type, np.dtype, np.shape, np.tril_indices, np.triu_indices,
    np.diag_indices, np.indices, np.nonzero,
)

# Integer-valued: their results are whole numbers, with zero derivative.
nondifferentiable(
    operator.floordiv, np.floor_divide,
    np.floor, np.ceil, np.round, np.rint, np.trunc, np.fix, np.sign, np.heaviside,
    np.argmax, np.argmin, np.argsort, np.searchsorted, np.count_nonzero,
    np.size, np.ndim,
    math.floor, math.ceil, math.trunc, math.factorial, math.comb,
    math.gcd,
    builtins.int, builtins.bool, builtins.round, builtins.len,
    output="int",
)
nondifferentiable(builtins.range, output="range")

# Constructors: new arrays that depend on no input value (np.full, np.full_like,
# np.linspace, np.logspace and np.arange do: their rules are in numpy_array.py).
nondifferentiable(
    np.zeros, np.ones, np.empty, np.eye, np.identity, np.zeros_like, np.ones_like, np.empty_like,
    output="array",
)
