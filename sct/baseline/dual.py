"""Forward mode by dual numbers: a value and its tangent, carried through every operation.

A :class:`Dual` holds ``value`` and ``tangent`` (the directional derivative along the
seeded input direction). Each operation computes the value and then the tangent with
the tangent callable of sct's rule for that operation (:mod:`sct.baseline.elementary`),
so the dual numbers and sct share every formula; this module holds none.

>>> import numpy as np
>>> x = Dual(2.0, 1.0)
>>> y = x * x + np.sin(x)
>>> round(float(y.tangent), 12)  # 2 x + cos(x)
3.583853163453
>>> jvp(lambda a: a * a, (np.array([1.0, 2.0]),), (np.array([1.0, 0.0]),))
(array([1., 4.]), array([2., 0.]))
"""

from __future__ import annotations

import functools

import numpy as np

from ..api import _argnums
from ..errors import NotDifferentiable
from ..runtime import zeros_like
from .elementary import (Active, as_float, from_object_array, install_operators,
                         value_of)


class Dual(Active):
    """A value with a tangent, for forward mode.

    Args:
        value: a float or a float array.
        tangent: the derivative of ``value`` along the chosen direction, shaped like
            it (zero by default: a constant).
    """

    __slots__ = ("value", "tangent")

    def __init__(self, value, tangent=None):
        value = as_float(value)
        if tangent is None:
            tangent = zeros_like(value)
        elif np.shape(tangent) != np.shape(value):
            raise ValueError(f"the tangent has shape {np.shape(tangent)} but the value "
                             f"has shape {np.shape(value)}")
        self.value = value
        self.tangent = tangent

    def __repr__(self):
        return f"Dual({self.value!r}, tangent={self.tangent!r})"


def _make(value, tangent) -> Dual:
    d = Dual.__new__(Dual)
    d.value = value
    d.tangent = tangent
    return d


# -- propagation -----------------------------------------------------------------------------
def _unary(prim, a):
    av = a.value
    y = prim.fn(av)
    if prim.nondiff:
        return y
    return _make(y, prim.jvp(y, (av,), (a.tangent,)))


def _binary(prim, a, b):
    """``prim.fn(a, b)`` with its tangent: the hot path of scalar code."""
    if isinstance(a, Dual):
        av, at = a.value, a.tangent
    elif isinstance(a, Active):
        return NotImplemented
    else:
        av, at = a, None
    if isinstance(b, Dual):
        bv, bt = b.value, b.tangent
    elif isinstance(b, Active):
        return NotImplemented
    else:
        bv, bt = b, None
    y = prim.fn(av, bv)
    return _make(y, prim.jvp(y, (av, bv), (at, bt)))


def _unwrap(a):
    """``(value, tangent)`` of one argument; ``None`` is a zero tangent."""
    if isinstance(a, Dual):
        return a.value, a.tangent
    if isinstance(a, Active):
        raise TypeError(f"cannot mix Dual and {type(a).__name__} in one operation")
    if type(a) is np.ndarray and a.dtype == object:  # (np.full(3, v) holds Duals)
        b = from_object_array(a)
        if b is not a:
            return _unwrap(b)
    if type(a) in (list, tuple) and any(isinstance(x, Active) for x in a):
        items = [_unwrap(x) for x in a]
        return (type(a)(i[0] for i in items),
                type(a)(zeros_like(v) if t is None else t for v, t in items))
    return a, None


def _apply(prim, args, kwargs):
    """Call ``prim`` on arguments that may hold Duals, with the result's tangent."""
    if prim.nondiff:
        return prim.fn(*[_unwrap(a)[0] for a in args],
                       **{k: value_of(v) for k, v in kwargs.items()})
    if kwargs:
        args, kwargs = prim.bind(args, kwargs)
    pairs = [_unwrap(a) for a in args]
    raw = tuple(p[0] for p in pairs)
    y = prim.fn(*raw, **kwargs)
    return _make(y, prim.jvp(y, raw, tuple(p[1] for p in pairs), **kwargs))


Dual._apply = staticmethod(_apply)
Dual._apply1 = staticmethod(_unary)
install_operators(Dual, _binary, _unary)


# -- function transforms ---------------------------------------------------------------------
def _split(out):
    """``(value, tangent)`` of an output: a Dual, a constant, or a tuple/list of them."""
    out = from_object_array(out)
    if isinstance(out, Dual):
        return out.value, out.tangent
    if isinstance(out, (tuple, list)):
        pairs = [_split(o) for o in out]
        return type(out)(p[0] for p in pairs), type(out)(p[1] for p in pairs)
    return out, zeros_like(out) if isinstance(out, np.ndarray) else 0.0


def jvp(f, primals, tangents):
    """``f(*primals)`` and its derivative along ``tangents``, in one forward pass.

    Args:
        f: a function of floats and arrays (any output shape, or a tuple of outputs).
        primals: the arguments, a tuple.
        tangents: one per primal, shaped like it; ``None`` marks a constant argument.

    Returns:
        ``(out, tangent_out)``.

    >>> jvp(lambda x, y: x * y, (2.0, 3.0), (1.0, 0.0))
    (6.0, 3.0)
    """
    primals, tangents = tuple(primals), tuple(tangents)
    if len(primals) != len(tangents):
        raise TypeError(f"{len(primals)} primals but {len(tangents)} tangents")
    args = [p if t is None else Dual(p, t) for p, t in zip(primals, tangents)]
    return _split(f(*args))




def derivative(f, argnum: int = 0):
    """``x -> df/dx`` for a scalar argument (any output shape), by one forward pass.

    >>> float(derivative(lambda x: x ** 3.0)(2.0))
    12.0
    """
    @functools.wraps(f)
    def run(*args, **kwargs):
        args = list(args)
        args[argnum] = Dual(args[argnum], 1.0)
        return _split(f(*args, **kwargs))[1]

    return run


def grad(f, argnums=0):
    """The gradient of a scalar-valued ``f`` by forward passes, one per input element.

    Cheap for few inputs; an array of ``n`` elements costs ``n`` evaluations of ``f``.
    Same conventions as :func:`sct.grad`: a tuple for a tuple ``argnums``, each
    gradient shaped like its argument.

    >>> import numpy as np
    >>> grad(lambda x: np.sum(x * x))(np.array([1.0, 2.0]))
    array([2., 4.])
    """
    nums, as_tuple = _argnums(argnums)

    @functools.wraps(f)
    def run(*args, **kwargs):
        args = list(args)
        grads = []
        for i in nums:
            x = args[i]
            if isinstance(x, np.ndarray):
                x = x if x.dtype.kind == "f" else x.astype(float)
                g = np.zeros(x.shape, dtype=x.dtype)
                for idx in np.ndindex(*x.shape):
                    direction = np.zeros_like(x)
                    direction[idx] = 1.0
                    g[idx] = _scalar(f, args, kwargs, i, Dual(x, direction))
            else:
                g = _scalar(f, args, kwargs, i, Dual(x, 1.0))
            grads.append(g)
        return tuple(grads) if as_tuple else grads[0]

    return run


def _scalar(f, args, kwargs, i, dual):
    args = list(args)
    args[i] = dual
    value, tangent = _split(f(*args, **kwargs))
    if np.size(value) != 1 or isinstance(value, (tuple, list)):
        raise NotDifferentiable(f"grad needs a scalar output; got shape "
                                f"{np.shape(value)} (use jvp or derivative)")
    return np.reshape(tangent, ())[()] if np.ndim(tangent) else tangent
