"""Reverse mode by operator overloading: values that record a tape as they run.

A :class:`Var` wraps a float or a NumPy array. Each operation on Vars computes its
value and records a node (the rule's adjoint callable, the argument values, the parent
Vars): the Wengert list, kept as links from each result to its parents.
``backward()`` replays the nodes reachable from the output in decreasing creation
order, so every adjoint is complete before it is used, and accumulates into the
``.grad`` of leaf Vars. Every derivative comes from sct's rule table
(:mod:`sct.baseline.elementary`); this module holds no formula.

>>> import numpy as np
>>> x = Var(2.0)
>>> y = x * x + np.sin(x)
>>> y.backward()
>>> round(x.grad, 12)  # 2 x + cos(x)
3.583853163453
>>> grad(lambda a, b: np.sum(a * b), argnums=(0, 1))(np.ones(2), np.arange(2.0))
(array([0., 1.]), array([1., 1.]))
"""

from __future__ import annotations

import functools
import itertools
import operator

import numpy as np

from ..api import _argnums
from .. import kinds as _kinds
from ..errors import NotDifferentiable
from .elementary import (Active, as_float, from_object_array, install_operators,
                         value_of)

# Creation order: a result is always created after its arguments, so replaying
# nodes by decreasing index is a topological order (no recursion needed).
_counter = itertools.count()
_next = _counter.__next__
_SEEN = object()  # in ``_adj`` during backward: reached, no adjoint yet
_NOKW: dict = {}  # shared by nodes without keyword arguments; never mutated
_by_index = operator.attrgetter("_index")


class Var(Active):
    """A value that records the operations applied to it, for reverse mode.

    Args:
        value: a float or a float array (ints and lists are converted to float).
        requires_grad: ``False`` makes a constant: operations on it are not taped.

    Attributes:
        value: the wrapped float or array.
        grad: the accumulated gradient of the outputs ``backward`` was called on,
            ``None`` before any reaches this Var. Only leaves (Vars made by the user)
            and Vars marked with :meth:`retain_grad` receive one.
    """

    # The node (rule adjoint, argument values, keywords, parent Vars) lives in slots
    # of its result rather than in a tuple: one allocation less per operation, which
    # the cyclic garbage collector counts.
    __slots__ = ("value", "grad", "_rg", "_index", "_adj", "_vjp", "_args", "_kw",
                 "_parents")

    def __init__(self, value, requires_grad: bool = True):
        self.value = as_float(value)
        self.grad = None
        self._rg = 2 if requires_grad else 0  # 0 constant, 1 taped, 2 keeps .grad
        self._index = _next()
        self._adj = None
        self._parents = None  # a leaf

    # -- gradients ----------------------------------------------------------------------
    @property
    def requires_grad(self) -> bool:
        return self._rg != 0

    @property
    def is_leaf(self) -> bool:
        return self._parents is None

    def backward(self, seed=None) -> None:
        """Accumulate the derivative of this Var into the ``.grad`` of its leaves.

        Args:
            seed: the output's cotangent, shaped like ``value``; omit it for a
                scalar output (the seed is 1).

        The tape is kept, so ``backward`` may run again (gradients add up). Two
        threads must not run it at once on graphs that share Vars.

        Raises:
            NotDifferentiable: no seed for a non-scalar output, or a constant Var.
        """
        if not self._rg:
            raise NotDifferentiable("backward() of a Var that does not require grad "
                                    "(a constant or the result of detach())")
        value = self.value
        if seed is None:
            if np.size(value) != 1:
                raise NotDifferentiable(
                    f"backward() needs a seed for an output of shape {np.shape(value)}"
                    f": call backward(seed) with an array of that shape")
            seed = np.ones_like(value) if isinstance(value, np.ndarray) else 1.0
        elif np.shape(seed) != np.shape(value):
            raise ValueError(f"the seed has shape {np.shape(seed)} but the output has "
                             f"shape {np.shape(value)}")
        _backward(self, seed)

    def zero_grad(self) -> None:
        """Forget the accumulated gradient (``.grad`` becomes ``None``)."""
        self.grad = None

    def retain_grad(self) -> Var:
        """Make backward store this (non-leaf) Var's gradient in ``.grad`` too."""
        if self._rg:
            self._rg = 2
        return self

    def detach(self) -> Var:
        """The same value as a constant Var, cut off from the tape."""
        return _constant(self.value)

    def __float__(self):
        if self._rg:
            return Active.__float__(self)
        return float(self.value)

    def __repr__(self):
        grad = "" if self.grad is None else f", grad={self.grad!r}"
        const = "" if self._rg else ", requires_grad=False"
        return f"Var({self.value!r}{grad}{const})"


def _constant(value) -> Var:
    v = Var.__new__(Var)
    v.value = value
    v.grad = None
    v._rg = 0
    v._index = _next()
    v._adj = None
    v._parents = None
    return v


# -- recording -------------------------------------------------------------------------------
def _unary(prim, a):
    av = a.value
    y = prim.fn(av)
    if prim.nondiff:
        return y
    if not a._rg:
        return _constant(y)
    v = Var.__new__(Var)
    v.value = y
    v.grad = None
    v._rg = 1
    v._index = _next()
    v._adj = None
    v._vjp = prim.vjp
    v._args = (av,)
    v._kw = _NOKW
    v._parents = (a,)
    return v


def _binary(prim, a, b):
    """``prim.fn(a, b)`` recorded: the hot path of scalar code."""
    if isinstance(a, Var):
        av = a.value
        pa = a if a._rg else None
    elif isinstance(a, Active):
        return NotImplemented
    else:
        av, pa = a, None
    if isinstance(b, Var):
        bv = b.value
        pb = b if b._rg else None
    elif isinstance(b, Active):
        return NotImplemented
    else:
        bv, pb = b, None
    y = prim.fn(av, bv)
    if pa is None and pb is None:
        return _constant(y)
    v = Var.__new__(Var)
    v.value = y
    v.grad = None
    v._rg = 1
    v._index = _next()
    v._adj = None
    v._vjp = prim.vjp if (pa is not None and pb is not None) else prim.vjp_for(
        (pa is not None, pb is not None))
    v._args = (av, bv)
    v._kw = _NOKW
    v._parents = (pa, pb)
    return v


def _unwrap(a):
    """``(value, parent)`` of one argument; containers hold a parent per item."""
    if isinstance(a, Var):
        return a.value, (a if a._rg else None)
    if isinstance(a, Active):
        raise TypeError(f"cannot mix Var and {type(a).__name__} in one operation")
    if type(a) is np.ndarray and a.dtype == object:  # (np.full(3, v) holds Vars)
        b = from_object_array(a)
        if b is not a:
            return _unwrap(b)
    if type(a) in (list, tuple) and any(isinstance(x, Active) for x in a):
        items = [_unwrap(x) for x in a]
        parents = tuple(i[1] for i in items)
        return (type(a)(i[0] for i in items),
                parents if any(p is not None for p in parents) else None)
    return a, None


def _apply(prim, args, kwargs):
    """Call ``prim`` on arguments that may hold Vars, recording the call."""
    if prim.nondiff:
        return prim.fn(*[_unwrap(a)[0] for a in args],
                       **{k: value_of(v) for k, v in kwargs.items()})
    if kwargs:
        args, kwargs = prim.bind(args, kwargs)
    raw, parents, tracked = [], [], False
    for a in args:
        value, parent = _unwrap(a)
        raw.append(value)
        parents.append(parent)
        tracked = tracked or parent is not None
    y = prim.fn(*raw, **kwargs)
    if not tracked:
        return _constant(y)
    v = Var.__new__(Var)
    v.value = y
    v.grad = None
    v._rg = 1
    v._index = _next()
    v._adj = None
    v._vjp = prim.vjp_for(tuple(p is not None for p in parents))
    v._args = tuple(raw)
    v._kw = kwargs or _NOKW
    v._parents = tuple(parents)
    return v


Var._apply = staticmethod(_apply)
Var._apply1 = staticmethod(_unary)
install_operators(Var, _binary, _unary)


# -- the reverse sweep ------------------------------------------------------------------------
def _backward(root, seed):
    """Replay the nodes reachable from ``root`` in reverse creation order."""
    nodes = [root]
    root._adj = _SEEN
    stack = [root]
    try:
        while stack:  # an explicit stack: no recursion on deep tapes
            parents = stack.pop()._parents
            if parents is None:
                continue
            for p in parents:
                if p is None:
                    continue
                for q in (p if type(p) is tuple else (p,)):
                    if q is not None and q._adj is None:
                        q._adj = _SEEN
                        stack.append(q)
                        nodes.append(q)
        nodes.sort(key=_by_index, reverse=True)
        root._adj = seed
        for node in nodes:
            g = node._adj
            if g is _SEEN:
                continue  # reached only through zero adjoints
            if node._rg == 2:
                node.grad = _accumulate(node.grad, g, node.value)
            parents = node._parents
            if parents is None:
                continue
            for p, gp in zip(parents, node._vjp(node.value, g, *node._args, **node._kw)):
                if p is None or gp is None:
                    continue
                if type(p) is tuple:
                    for q, gq in zip(p, gp):
                        if q is not None:
                            a = q._adj
                            q._adj = gq if a is _SEEN else a + gq
                else:
                    a = p._adj
                    p._adj = gp if a is _SEEN else a + gp
    finally:
        for node in nodes:
            node._adj = None


def _accumulate(old, g, value):
    # A fresh array with the value's shape: adjoints may be read-only broadcast views
    # or shared with other nodes; the user may write into .grad.
    if isinstance(value, np.ndarray):
        dtype = value.dtype if value.dtype.kind == "f" else np.float64
        g = np.array(np.broadcast_to(g, value.shape), dtype=dtype)
    else:
        g = float(g)
    return g if old is None else old + g


def zero_grad(*vars: Var) -> None:
    """``v.zero_grad()`` for each Var given."""
    for v in vars:
        v.zero_grad()


# -- function transforms ---------------------------------------------------------------------


def _gradient(leaf: Var, x):
    """The leaf's gradient shaped and typed like the input ``x``."""
    g = leaf.grad
    if g is None:
        g = np.zeros_like(leaf.value) if isinstance(leaf.value, np.ndarray) else 0.0
    if isinstance(x, np.ndarray):
        return np.asarray(g, dtype=x.dtype if x.dtype.kind == "f" else float)
    return g


def value_and_grad(f, argnums=0):
    """Like :func:`grad`, returning ``(value, gradient)`` from one evaluation.

    >>> value_and_grad(lambda x: x * x)(3.0)
    (9.0, 6.0)
    """
    nums, as_tuple = _argnums(argnums)

    @functools.wraps(f)
    def run(*args, **kwargs):
        args = list(args)
        inputs = []
        for i in nums:
            if i >= len(args):
                raise TypeError(f"argnums={i} but only {len(args)} positional "
                                f"arguments were given")
            inputs.append(args[i])
            args[i] = Var(args[i])
        out = from_object_array(f(*args, **kwargs))
        value = out.value if isinstance(out, Var) else out
        if np.size(value) != 1 or isinstance(value, (tuple, list)):
            raise NotDifferentiable(f"grad needs a scalar output; got shape "
                                    f"{np.shape(value)} (use vjp or Var.backward(seed))")
        if isinstance(out, Var) and out._rg:
            out.backward()
        grads = tuple(_gradient(args[i], x) for i, x in zip(nums, inputs))
        return value, (grads if as_tuple else grads[0])

    return run


def grad(f, argnums=0):
    """The gradient of a scalar-valued ``f`` by the tape, as a new function.

    Args:
        f: a Python function of floats and arrays returning a scalar.
        argnums: the argument (int) or arguments (tuple) to differentiate.

    Returns:
        A function returning the gradient (a tuple of them for a tuple
        ``argnums``), each with its argument's shape.

    >>> import numpy as np
    >>> grad(lambda x: np.sum(np.sin(x) * x))(np.array([0.0, 1.0]))
    array([0.        , 1.38177329])
    """
    vg = value_and_grad(f, argnums)
    return functools.wraps(f)(lambda *args, **kwargs: vg(*args, **kwargs)[1])


def vjp(f, *primals):
    """Evaluate ``f(*primals)`` on the tape; return ``(out, vjp_fn)``.

    ``vjp_fn(cotangent)`` returns one cotangent per primal (``None`` for primals that
    are not floats or float arrays), and may be called many times.

    >>> import numpy as np
    >>> out, back = vjp(lambda x: x * x, np.array([1.0, 2.0]))
    >>> back(np.array([1.0, 10.0]))
    (array([ 2., 40.]),)
    """
    args = [Var(p) if _kinds.of_value(p) in ("S", "A") else p for p in primals]
    out = from_object_array(f(*args))
    value = out.value if isinstance(out, Var) else out

    def vjp_fn(cotangent):
        leaves = [a for a in args if isinstance(a, Var)]
        for leaf in leaves:
            leaf.grad = None
        if isinstance(out, Var) and out._rg:
            out.backward(cotangent)
        return tuple(_gradient(a, p) if isinstance(a, Var) else None
                     for a, p in zip(args, primals))

    return value, vjp_fn
