"""Symbolic shapes of the arrays in a three-address function, from its arguments' shapes.

A reverse-mode derivative undoes NumPy broadcasting with ``unbroadcast(g, x)``, which
reads ``x`` only for its shape: in a loop that means a value on the tape per pass
and a helper call per operand. When the derivative is built for the *pattern* of
its arguments' shapes, most of those shapes are known while building and the calls
go away.

A pattern names each dimension: ``1`` and ``0`` stand for themselves and every other
size is a symbol, equal symbols for equal sizes (``W`` of shape (32, 32) and ``b`` of
shape (32,) give ``("d0", "d0")`` and ``("d0",)``). Two different symbols are two
different sizes, neither 0 nor 1, so a broadcast of symbolic shapes is decided while
building, and one build serves every call whose shapes have the same pattern (any
hidden size, any batch size that does not coincide with another dimension).

The analysis is flow-insensitive: a name has a shape when every assignment to it
gives that shape; anything it cannot follow (reshapes, slices with bounds, calls to
user functions, containers) is ``None``, unknown, and takes the general path.

>>> import gast
>>> tree = gast.parse('''
... def f(W, h, b):
...     a = W @ h
...     c = a + b
...     return np.sum(c * c, axis=0)
... ''')
>>> s = run(tree.body[0], {"W": ("d0", "d1"), "h": ("d1",), "b": ()}, {})
>>> s["a"], s["c"]
(('d0',), ('d0',))
"""

from __future__ import annotations

import functools

import gast
import numpy as np

from . import runtime, walk
from .rules import lookup as _lookup

_ELEMENTWISE_OPS = (gast.Add, gast.Sub, gast.Mult, gast.Div, gast.Pow, gast.Mod,
                    gast.FloorDiv)
_REDUCTIONS = {np.sum, np.mean, np.max, np.min, np.prod, np.amax, np.amin}
_FILLED = {np.zeros, np.ones, np.empty}
_FILLED_LIKE = {np.zeros_like, np.ones_like, np.empty_like}
_SAME = {runtime.stop_gradient, np.negative, np.positive}
_SIZES = (gast.Call, gast.Subscript)  # what np.shape(x), len(x) and shape[i] are
_UNKNOWN = object()  # joined with anything: no single shape
_BOTTOM = object()  # a local name no assignment has given a shape yet


def pattern(shapes) -> tuple:
    """The shape pattern of concrete shapes (``None`` entries stay ``None``).

    >>> pattern([(32, 32), (32,), None, (50, 16), (1, 16)])
    (('d0', 'd0'), ('d0',), None, ('d1', 'd2'), (1, 'd2'))
    """
    names: dict = {}
    out = []
    for shape in shapes:
        if shape is None:
            out.append(None)
            continue
        dims = []
        for n in shape:
            if n in (0, 1):
                dims.append(n)
            else:
                dims.append(names.setdefault(n, f"d{len(names)}"))
        out.append(tuple(dims))
    return tuple(out)


def broadcast(shapes):
    """The broadcast of symbolic shapes, or ``None`` when it is not decided."""
    key = tuple(shapes)
    if len(key) == 2 and key[0] == key[1]:
        return key[0]  # (the commonest case: operands of one shape, or both unknown)
    return _broadcast(key)


@functools.lru_cache(maxsize=4096)  # (a few hundred tuples of shapes at most)
def _broadcast(shapes):
    if any(s is None for s in shapes):
        return None
    rank = max((len(s) for s in shapes), default=0)
    out = []
    for i in range(rank):
        dims = {s[len(s) - rank + i] for s in shapes if len(s) - rank + i >= 0}
        dims.discard(1)
        if len(dims) > 1:
            return None  # two different sizes (or 0 against a size): an error at run time
        out.append(dims.pop() if dims else 1)
    return tuple(out)


def summed_axes(g, x):
    """How to sum an adjoint of shape ``g`` down to shape ``x``: ``(axes, keepdims)``
    for ``np.sum``, or ``None`` when that takes more than one sum.

    >>> summed_axes(("d0", "d1"), ("d1",)), summed_axes(("d0", "d1"), ("d0", 1))
    (((0,), False), ((1,), True))
    """
    if not x:
        return None, False
    lead = len(g) - len(x)
    if lead < 0:
        return None
    ones = tuple(lead + i for i, n in enumerate(x) if n != g[lead + i])
    if any(x[i - lead] != 1 for i in ones) or (lead and ones) or not (lead or ones):
        return None
    return (tuple(range(lead)), False) if lead else (ones, True)


def _matmul(a, b):
    if a is None or b is None or not a or not b or len(a) > 2 or len(b) > 2:
        return None
    inner_a = a[-1]
    inner_b = b[0] if len(b) == 1 else b[-2]
    if inner_a != inner_b:
        return None
    return a[:-1] + b[:-2] + b[-1:] if len(b) == 2 else a[:-1]


class _Shapes:
    def __init__(self, env, resolved):
        self.env = env  # name -> shape tuple, or _UNKNOWN
        self.resolved = resolved
        self.dims: dict = {}  # name -> a dimension (int value) or a shape (np.shape)
        self.ints: set = set()  # names that hold Python ints (loop counters, sizes)
        self.consts: dict = {}  # name -> the constant tuple it holds (``axis=(0, 1)``)

    def atom(self, node):
        if isinstance(node, gast.Constant):
            v = node.value
            return () if isinstance(v, (int, float)) and not isinstance(v, bool) else None
        if isinstance(node, gast.Name):
            s = self.env.get(node.id)
            return None if s is _UNKNOWN else s
        return None

    def value_of(self, name, value, it, reads):
        """The shape one assignment gives ``name`` (``_BOTTOM``: not decided yet;
        ``reads``: the local names the value or loop iterable reads)."""
        for n in reads:
            if n not in self.env:
                return _BOTTOM
        if it is not None:
            if name in self.ints:
                return ()
            shape = self.atom(it)
            return shape[1:] if shape else None
        if name in self.ints:
            return ()
        return self.value(value)

    def dim(self, node):
        if isinstance(node, gast.Constant) and node.value in (0, 1) and \
                type(node.value) is int:
            return node.value
        if isinstance(node, gast.Name):
            d = self.dims.get(node.id)
            return d if not isinstance(d, tuple) else None
        return None

    def index(self, shape, idx):
        items = idx.elts if isinstance(idx, gast.Tuple) else [idx]
        out, rest = [], list(shape)
        for it in items:
            if isinstance(it, gast.Constant) and it.value is None:
                out.append(1)
                continue
            if not rest:
                return None
            if isinstance(it, gast.Slice):
                if it.lower is not None or it.upper is not None or it.step is not None:
                    return None
                out.append(rest.pop(0))
            elif (isinstance(it, gast.Constant) and type(it.value) is int) or (
                    isinstance(it, gast.Name) and it.id in self.ints):
                rest.pop(0)
            else:
                return None
        return tuple(out + rest)

    def value(self, v):
        """The shape of an assigned value (``None``: unknown)."""
        if isinstance(v, (gast.Name, gast.Constant)):
            return self.atom(v)
        if isinstance(v, gast.BinOp):
            a, b = self.atom(v.left), self.atom(v.right)
            if isinstance(v.op, gast.MatMult):
                return _matmul(a, b)
            return broadcast([a, b]) if isinstance(v.op, _ELEMENTWISE_OPS) else None
        if isinstance(v, gast.UnaryOp):
            return () if isinstance(v.op, gast.Not) else self.atom(v.operand)
        if isinstance(v, gast.Compare) and len(v.comparators) == 1:
            return broadcast([self.atom(v.left), self.atom(v.comparators[0])])
        if isinstance(v, gast.Subscript):
            s = self.atom(v.value)
            return None if s is None else self.index(s, v.slice)
        if isinstance(v, gast.Call):
            return self.call(v)
        return None

    def call(self, v):
        fn = self.resolved.get(v)
        args = v.args
        kw = {k.arg: k.value for k in v.keywords}
        if fn is None or None in kw:
            return None
        try:
            r = _lookup(fn)
        except TypeError:
            r = None
        if r is not None and r.elementwise and not kw:
            return broadcast([self.atom(a) for a in args])
        if r is not None and r.output == "scalar" and fn not in (max, min):
            return ()
        if fn in _SAME and len(args) == 1 and not kw:
            return self.atom(args[0])
        if fn in _REDUCTIONS and len(args) == 1 and set(kw) <= {"axis", "keepdims"}:
            axis = kw.get("axis")
            if isinstance(axis, gast.Name) and axis.id in self.consts:
                axis = self.consts[axis.id]
            return self.reduce(self.atom(args[0]), axis, kw.get("keepdims"))
        if fn in (np.matmul, np.dot) and len(args) == 2 and not kw:
            return _matmul(self.atom(args[0]), self.atom(args[1]))
        if fn is np.outer and len(args) == 2 and not kw:
            a, b = self.atom(args[0]), self.atom(args[1])
            return (a + b) if a is not None and b is not None and len(a) == len(
                b) == 1 else None
        if fn is np.transpose and len(args) == 1 and not kw:
            s = self.atom(args[0])
            return None if s is None else tuple(reversed(s))
        if fn in _FILLED and len(args) == 1 and not kw:
            return self.filled(args[0])
        if fn in _FILLED_LIKE and len(args) == 1 and not kw:
            return self.atom(args[0])
        return None

    def filled(self, arg):
        if isinstance(arg, gast.Name) and isinstance(self.dims.get(arg.id), tuple):
            return self.dims[arg.id]
        if isinstance(arg, gast.Tuple):
            dims = [self.dim(e) for e in arg.elts]
            return None if None in dims else tuple(dims)
        d = self.dim(arg)
        return None if d is None else (d,)

    @staticmethod
    def reduce(shape, axis, keepdims):
        if shape is None:
            return None
        keep = False
        if keepdims is not None:
            if not isinstance(keepdims, gast.Constant) or type(keepdims.value) is not bool:
                return None
            keep = keepdims.value
        if axis is None or (isinstance(axis, gast.Constant) and axis.value is None):
            axes = set(range(len(shape)))
        elif isinstance(axis, gast.Constant) and type(axis.value) is int:
            axes = {axis.value}
        elif isinstance(axis, gast.Tuple) and all(
                isinstance(e, gast.Constant) and type(e.value) is int for e in axis.elts):
            axes = {e.value for e in axis.elts}
        else:
            return None
        if any(not -len(shape) <= a < len(shape) for a in axes):
            return None
        axes = {a % len(shape) for a in axes} if shape else set()
        return tuple(1 if i in axes else n for i, n in enumerate(shape)
                     if keep or i not in axes)

    def note_dims(self, name, v) -> bool:
        """Follow the sizes ``np.shape(x)``, ``shape[i]`` and ``len(x)`` read.

        Only for names assigned once; whether what is known changed.
        """
        new = None
        if isinstance(v, gast.Call) and len(v.args) == 1 and not v.keywords:
            fn = self.resolved.get(v)
            s = self.atom(v.args[0])
            if s is not None and fn is np.shape:
                new = s
            elif s and fn is len:
                new = s[0]
        elif isinstance(v, gast.Subscript) and isinstance(v.value, gast.Name) and \
                isinstance(v.slice, gast.Constant) and type(v.slice.value) is int:
            shape = self.dims.get(v.value.id)
            if isinstance(shape, tuple) and -len(shape) <= v.slice.value < len(shape):
                new = shape[v.slice.value]
        old = self.dims.get(name)
        if new == old:
            return False
        if new is None:
            self.dims.pop(name, None)
            self.ints.discard(name)
        else:
            self.dims[name] = new
            if not isinstance(new, tuple):
                self.ints.add(name)
        return True


def run(tree, arg_shapes: dict, resolved, stored=None) -> dict:
    """``{name: shape}`` for the names whose symbolic shape is decided.

    ``arg_shapes`` gives each parameter's shape (``()`` for scalars); parameters left
    out are unknown.
    """
    env: dict = dict(arg_shapes)
    s = _Shapes(env, resolved)
    local = walk.writes(tree) if stored is None else stored
    # (name, value, loop iterable, the local names the value or iterable reads)
    steps = []
    for node in walk.statements(tree):
        if isinstance(node, gast.Assign) and len(node.targets) == 1 and isinstance(
                node.targets[0], gast.Name):
            steps.append((node.targets[0].id, node.value, None,
                          walk.reads(node.value) & local))
        elif isinstance(node, gast.For) and isinstance(node.target, gast.Name):
            steps.append((node.target.id, None, node.iter, walk.reads(node.iter) & local))
    count: dict = {}
    for name, _, _, _ in steps:
        count[name] = count.get(name, 0) + 1
    for name in local - set(count):  # bound some other way: not followed
        env[name] = _UNKNOWN
    for name, value, _, _ in steps:
        if count[name] == 1 and isinstance(value, gast.Tuple) and all(
                isinstance(e, gast.Constant) and type(e.value) is int for e in value.elts):
            s.consts[name] = value
    ranges = {n for n, v, _, _ in steps if count[n] == 1 and isinstance(v, gast.Call)
              and resolved.get(v) is range}
    for name, _, it, _ in steps:  # a counter over a range holds ints
        if it is not None and count[name] == 1 and isinstance(it, gast.Name) and \
                it.id in ranges:
            s.ints.add(name)
    # the first step that reads each name, or assigns it when it is assigned twice
    first: dict = {}
    for j, (name, _, _, reads) in enumerate(steps):
        for n in reads:
            first.setdefault(n, j)
        if count[name] > 1:
            first.setdefault(name, j)
    while True:
        _settle(s, steps, count, first)
        # an assignment still waiting on a name nothing else decides: give up on it
        gave_up = False
        for name, _, _, reads in steps:
            if env.get(name) is not _UNKNOWN and any(n not in env for n in reads):
                env[name] = _UNKNOWN  # (what value_of calls _BOTTOM)
                gave_up = True
        if not gave_up:  # (settled: settling again would change nothing)
            break
    return {n: v for n, v in env.items() if v is not _UNKNOWN}


def _settle(s, steps, count, first):
    """Assign shapes until nothing changes.

    ``first``: name -> the first step that reads it (or assigns it, when several
    do). A change at step j calls for another pass only when a step up to j read the
    name; straight-line code in three-address form settles in one pass.
    """
    env = s.env
    changed = True
    while changed:
        changed = False
        for j, (name, value, it, reads) in enumerate(steps):
            if value is not None and count[name] == 1 and type(value) in _SIZES:
                if s.note_dims(name, value):
                    changed = changed or first.get(name, j + 1) <= j
            if env.get(name) is _UNKNOWN:
                continue
            new = s.value_of(name, value, it, reads)
            if new is _BOTTOM:
                continue
            old = env.get(name)
            if new is None or (old is not None and old != new):
                new = _UNKNOWN
            if new != old:
                env[name] = new
                changed = changed or first.get(name, j + 1) <= j
