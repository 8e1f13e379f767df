"""The elementary operations the baseline engines evaluate, and how code reaches them.

In the textbook account of automatic differentiation a program is a sequence of
elementary operations whose derivatives are known. Here each one is a
:class:`Primitive`: a function with an sct rule, looked up once, with the rule's
adjoint and tangent turned into callables (``sct.rules.compiled``). The tape and the
dual numbers take every derivative from these, so they share sct's formulas.

Code reaches the primitives three ways: Python operators and NumPy calls on an
:class:`Active` value (the base of ``Var`` and ``Dual``), and, since ``math.sin(v)``
cannot be overloaded, the math-style functions here (``sin``, ``exp``, ``log``, ...)
that accept floats, arrays, Vars and Duals alike. On plain numbers they are the
``math`` functions, on arrays the NumPy ones:

>>> from sct.baseline.elementary import sin
>>> sin(0.0)
0.0
>>> from sct.baseline.dual import Dual
>>> sin(Dual(0.0, 1.0))
Dual(0.0, tangent=1.0)
"""

from __future__ import annotations

import inspect
import math
import operator

import numpy as np

from ..errors import NoDerivative
from ..rules import lookup
from ..rules.compiled import jvp_callable, vjp_callable
from ..runtime import astype, private_copy


class Primitive:
    """One function with a derivative rule, as the engines call it.

    Attributes:
        fn: the function itself (``operator.mul``, ``np.sin``, ``math.exp``).
        nondiff: its result carries no derivative (comparisons, ``np.floor``).
        params: the rule's parameter names after the result.
        vjp: ``(y, y_bar, *args, **kwargs) -> adjoints``, one per parameter.
        jvp: ``(y, args, tangents, **kwargs) -> y_dot``.
    """

    __slots__ = ("fn", "rule", "name", "nondiff", "params", "defaults", "vjp", "jvp", "_vjps",
                 "_aliases")

    def __init__(self, fn, rule):
        self.fn = fn
        self.rule = rule
        self.name = getattr(fn, "__name__", repr(fn))
        self.nondiff = rule.nondiff
        self._aliases = None
        self._vjps = {}
        if rule.nondiff:
            self.params, self.defaults = (), ()
            self.vjp = self.jvp = None
            return
        # rule.params re-reads the template's signature: keep our own copy
        sig = list(rule.signature.parameters.values())[1:]
        self.params = tuple(p.name for p in sig)
        self.defaults = tuple(p.default for p in sig)
        # vjp and jvp are compiled from the rule on first use (see __getattr__): the
        # engines make primitives for every operator when sct is imported

    def __getattr__(self, name):
        """``vjp`` and ``jvp``, compiled the first time either is asked for (then
        they are plain attributes: this is not called again)."""
        if name not in ("vjp", "jvp"):
            raise AttributeError(name)
        rule = self.rule
        self.vjp = vjp_callable(rule) if rule.has_mode("adjoint") else \
            self._missing("reverse")
        self.jvp = jvp_callable(rule) if rule.has_mode("tangent") else \
            self._missing("forward")
        return getattr(self, name)

    def vjp_for(self, mask):
        """The adjoint callable for arguments tracked as in ``mask``."""
        fn = self._vjps.get(mask)
        if fn is None:
            fn = self._vjps[mask] = vjp_callable(self.rule, mask)
        return fn

    def _missing(self, mode):
        def fail(*args, **kwargs):
            raise NoDerivative(f"the rule for {self.name} has no {mode}-mode block")
        return fail

    def bind(self, args, kwargs):
        """``(args, kwargs)`` that both the function and its rule accept.

        Keywords the rule names differently (``np.clip(a, a_min=...)``), and keywords
        holding Vars or Duals (which only positions differentiate), become positions.
        """
        if len(args) > len(self.params) and not self.nondiff:
            raise NoDerivative(f"{self.name}: the derivative rule takes at most "
                               f"{len(self.params)} arguments, not {len(args)}")
        if not kwargs or self.nondiff:
            return args, kwargs
        if all(k in self.params for k in kwargs) and not any(
                isinstance(v, Active) for v in kwargs.values()):
            return args, kwargs
        if self._aliases is None:
            self._aliases = self._signature_aliases()
        named = {}
        for k, v in kwargs.items():
            name = k if k in self.params else self._aliases.get(k)
            if name is None:
                raise NoDerivative(f"{self.name}: keyword argument {k!r} is not "
                                   f"supported by its derivative rule "
                                   f"(parameters: {', '.join(self.params)})")
            named[name] = v
        args = list(args)
        for name, default in zip(self.params[len(args):], self.defaults[len(args):]):
            if not named:
                break
            if name in named:
                args.append(named.pop(name))
            elif default is inspect.Parameter.empty:
                raise NoDerivative(f"{self.name}: missing argument {name!r}")
            else:
                args.append(default)
        return tuple(args), named

    def _signature_aliases(self):
        # A keyword of the function maps to the rule parameter at the same position.
        try:
            names = list(inspect.signature(self.fn).parameters)
        except (TypeError, ValueError):
            return {}
        return dict(zip(names, self.params))

    def __repr__(self):
        return f"<primitive {self.name}>"


_PRIMITIVES: dict = {}


def primitive(fn) -> Primitive | None:
    """The :class:`Primitive` for ``fn`` (cached), or ``None`` when it has no rule."""
    try:
        return _PRIMITIVES[fn]
    except KeyError:
        pass
    except TypeError:  # unhashable callables are never primitives here
        return None
    rule = lookup(fn)
    prim = Primitive(fn, rule) if rule is not None else None
    _PRIMITIVES[fn] = prim
    return prim


def require(fn) -> Primitive:
    """Like :func:`primitive`, raising :class:`~sct.NoDerivative` when there is none."""
    prim = primitive(fn)
    if prim is None:
        name = getattr(fn, "__qualname__", None) or getattr(fn, "__name__", repr(fn))
        module = getattr(fn, "__module__", None) or (
            "numpy" if isinstance(fn, np.ufunc) else "")
        raise NoDerivative(f"{module + '.' if module else ''}{name} has no derivative "
                           f"rule; register one with sct.rule")
    return prim


# --- values the engines track ------------------------------------------------------------
class Active:
    """Base of ``Var`` and ``Dual``: operators and NumPy calls become primitive calls.

    A subclass has a ``value`` and provides ``_apply(prim, args, kwargs)`` (``prim``
    on arguments some of which are of its type) and ``_apply1(prim, x)`` (one
    argument, the fast path); :func:`install_operators` adds the arithmetic.
    Comparisons and other integer-valued results carry no derivative: they are
    plain bools, ints and arrays.
    """

    __slots__ = ()
    _apply = _apply1 = None

    def __setitem__(self, index, v):
        raise TypeError(f"a {type(self).__name__} cannot be written into; build a new "
                        f"value instead (np.where, np.concatenate, or np.stack of a list)")

    def __floordiv__(self, other):
        return self.value // value_of(other)

    def __rfloordiv__(self, other):
        return value_of(other) // self.value

    def __lt__(self, other):
        return self.value < value_of(other)

    def __le__(self, other):
        return self.value <= value_of(other)

    def __gt__(self, other):
        return self.value > value_of(other)

    def __ge__(self, other):
        return self.value >= value_of(other)

    def __eq__(self, other):
        return self.value == value_of(other)

    def __ne__(self, other):
        return self.value != value_of(other)

    __hash__ = object.__hash__

    def __bool__(self):
        return bool(self.value)

    def __int__(self):
        return int(self.value)

    def __round__(self, ndigits=None):
        return round(self.value, ndigits)

    def __float__(self):
        name = type(self).__name__
        raise TypeError(
            f"float() of a {name} would drop its derivative (math.sin(x) and storing "
            f"into a NumPy array call it): use sct.baseline.elementary (sin, exp, "
            f"...) for math-style code, or .value for the plain number")

    def __len__(self):
        return len(self.value)

    def __iter__(self):
        if np.ndim(self.value) == 0:
            raise TypeError(f"iteration over a scalar {type(self).__name__}")
        return (self[i] for i in range(len(self.value)))

    def __format__(self, spec):
        return format(self.value, spec)

    # -- NumPy ------------------------------------------------------------------------------
    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        if method != "__call__" or "out" in kwargs:
            return NotImplemented
        if len(inputs) == 1 and not kwargs:
            return self._apply1(require(ufunc), self)
        return self._apply(require(ufunc), inputs, kwargs)

    def __array_function__(self, func, types, args, kwargs):
        if not all(issubclass(t, (type(self), np.ndarray)) for t in types):
            return NotImplemented
        return self._apply(require(func), args, kwargs)

    @property
    def shape(self):
        return np.shape(self.value)

    @property
    def ndim(self):
        return np.ndim(self.value)

    @property
    def size(self):
        return np.size(self.value)

    @property
    def dtype(self):
        return np.result_type(self.value)

    @property
    def T(self):
        return self._apply(require(np.transpose), (self,), _NOKW)

    def transpose(self, *axes):
        if len(axes) == 1 and not isinstance(axes[0], int):
            axes = axes[0]
        return self._apply(require(np.transpose), (self, axes or None), _NOKW)

    def reshape(self, *shape):
        return self._apply(require(np.reshape),
                           (self, shape[0] if len(shape) == 1 else shape), _NOKW)

    def copy(self):
        return self._apply(require(private_copy), (self,), _NOKW)

    def astype(self, dtype):
        return self._apply(require(astype), (self, dtype), _NOKW)


def _method(fn):
    def method(self, *args, **kwargs):
        return self._apply(require(fn), (self,) + args, kwargs)
    method.__name__, method.__doc__ = fn.__name__, f"``np.{fn.__name__}`` of this value."
    return method


for _fn in (np.sum, np.mean, np.prod, np.max, np.min, np.std, np.var, np.cumsum,
            np.dot, np.ravel, np.squeeze, np.clip):
    setattr(Active, _fn.__name__, _method(_fn))
Active.flatten = _method(np.ravel)

_NOKW: dict = {}  # shared by calls without keyword arguments; never mutated
_BINARY = [("add", operator.add), ("sub", operator.sub), ("mul", operator.mul),
           ("truediv", operator.truediv), ("pow", operator.pow),
           ("matmul", operator.matmul), ("mod", operator.mod)]
_UNARY = [("neg", operator.neg), ("pos", operator.pos), ("abs", abs)]


def install_operators(cls, binary, unary):
    """Give ``cls`` the arithmetic operators, as ``binary(prim, a, b)`` and
    ``unary(prim, a)`` calls (the engine's fast paths)."""
    for name, fn in _BINARY:
        prim = require(fn)

        def op(self, other, *, _prim=prim):
            return binary(_prim, self, other)

        def rop(self, other, *, _prim=prim):
            return binary(_prim, other, self)

        op.__name__, rop.__name__ = f"__{name}__", f"__r{name}__"
        setattr(cls, op.__name__, op)
        setattr(cls, rop.__name__, rop)
    for name, fn in _UNARY:
        def uop(self, *, _prim=require(fn)):
            return unary(_prim, self)
        uop.__name__ = f"__{name}__"
        setattr(cls, uop.__name__, uop)

    def getitem(self, index, *, _prim=require(operator.getitem)):
        return binary(_prim, self, value_of(index))
    cls.__getitem__ = getitem


def as_float(value):
    """``value`` as a float or a float array (ints, bools and lists are converted)."""
    if isinstance(value, Active):
        raise TypeError(f"cannot wrap a {type(value).__name__} in another value")
    if isinstance(value, (list, tuple)):
        return np.asarray(value, dtype=float)
    if isinstance(value, np.ndarray):
        return value if value.dtype.kind == "f" else value.astype(float)
    if isinstance(value, (bool, int, np.integer, np.bool_)):
        return float(value)
    return value


def value_of(x):
    """The plain value of ``x``: ``x.value`` for a Var or Dual, else ``x``."""
    return x.value if isinstance(x, Active) else x


def from_object_array(a):
    """An object array holding Vars or Duals (what ``np.array([v, w])`` builds) as one
    Var or Dual, through the rules for ``np.stack`` and ``np.reshape``; else ``a``."""
    if not (isinstance(a, np.ndarray) and a.dtype == object
            and any(isinstance(x, Active) for x in a.flat)):
        return a
    items = list(a.flat)
    engine = next(type(x) for x in items if isinstance(x, Active))
    flat = engine._apply(require(np.stack), (items,), _NOKW)
    return engine._apply(require(np.reshape), (flat, a.shape), _NOKW)


# --- math-style functions --------------------------------------------------------------
def _is_scalar(v):
    return isinstance(v, (float, int, np.number))


def _dispatch(mfn, nfn, args, name):
    """Apply ``mfn`` (math) or ``nfn`` (NumPy) to ``args``, through an engine if active."""
    engine = None
    for a in args:
        if isinstance(a, Active):
            if engine is not None and type(a) is not engine:
                raise TypeError(f"{name}: cannot mix {engine.__name__} and "
                                f"{type(a).__name__} arguments")
            engine = type(a)
    if engine is None:
        if all(_is_scalar(a) for a in args):
            return mfn(*args)
        if nfn is None:
            raise TypeError(f"{name} accepts only scalars (NumPy has no {name})")
        return nfn(*args)
    if all(_is_scalar(value_of(a)) for a in args):
        return engine._apply(require(mfn), args, {})
    if nfn is None:
        raise TypeError(f"{name} accepts only scalars (NumPy has no {name})")
    return engine._apply(require(nfn), args, {})


def _make(name, mfn, nfn):
    if name in ("atan2", "hypot", "pow"):
        def f(*args):
            return _dispatch(mfn, nfn, args, name)
    else:
        def f(x):
            if type(x) is float:
                return mfn(x)
            if isinstance(x, Active):
                if _is_scalar(x.value):
                    return x._apply1(require(mfn), x)
                if nfn is None:
                    raise TypeError(f"{name} accepts only scalars (NumPy has no {name})")
                return x._apply1(require(nfn), x)
            return _dispatch(mfn, nfn, (x,), name)
    f.__name__ = f.__qualname__ = name
    arrays = f"``np.{nfn.__name__}`` for arrays" if nfn is not None else "scalars only"
    f.__doc__ = f"``math.{name}`` for numbers, {arrays}; differentiated for Vars and Duals."
    return f


# math name -> NumPy function with the same meaning on arrays (None: scalars only)
_TABLE = {
    "sin": np.sin, "cos": np.cos, "tan": np.tan, "asin": np.arcsin, "acos": np.arccos,
    "atan": np.arctan, "atan2": np.arctan2, "hypot": np.hypot, "sinh": np.sinh,
    "cosh": np.cosh, "tanh": np.tanh, "asinh": np.arcsinh, "acosh": np.arccosh,
    "atanh": np.arctanh, "exp": np.exp, "exp2": np.exp2, "expm1": np.expm1,
    "log2": np.log2, "log10": np.log10, "log1p": np.log1p, "sqrt": np.sqrt,
    "cbrt": np.cbrt, "pow": np.power, "fabs": np.fabs, "erf": None,
    "degrees": np.degrees, "radians": np.radians,
}

# ``from sct.baseline.elementary import *`` gives the math-style functions
__all__ = ["log"]

for _name, _nfn in _TABLE.items():
    _mfn = getattr(math, _name, None)
    if _mfn is None or lookup(_mfn) is None:
        continue  # no rule for the math function: nothing to offer
    globals()[_name] = _make(_name, _mfn, _nfn)
    __all__.append(_name)
del _name, _nfn, _mfn


def log(x, base=None):
    """``math.log(x[, base])`` for numbers, ``np.log`` for arrays; differentiated
    for Vars and Duals (in ``x`` and ``base``)."""
    if base is None:
        return _dispatch(math.log, np.log, (x,), "log")
    if all(_is_scalar(value_of(a)) for a in (x, base)):
        return _dispatch(math.log, None, (x, base), "log")
    return log(x) / log(base)
