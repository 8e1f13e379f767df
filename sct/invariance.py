"""Values whose adjoint is zero because the result does not change with them.

The numerically stable softmax subtracts the row maximum before exponentiating::

    m = np.max(z, axis=1, keepdims=True)
    e = np.exp(z - m)
    logp = z - m - np.log(np.sum(e, axis=1, keepdims=True))

Reverse accumulation gives ``m`` the adjoint ``-sum(d[z - m]) + sum(d[logp])``, which
is zero in exact arithmetic (log-softmax, softmax and logsumexp do not change when a
row is shifted), then spreads that zero back over ``z`` with a tie mask: four or five
array operations per call for nothing. This analysis proves the zero while building,
so ``m`` is treated as a constant, as a person writing the gradient by hand would.

The proof perturbs ``m`` by ``delta`` (an array of ``m``'s shape) and follows, through
the statements after ``m``, the first-order change of every value that depends on it:

- ``shift k``: the value changes by ``k * delta`` (``z - m`` is ``shift -1``);
- ``scale k``: it changes by ``k * delta`` times itself (``exp`` of ``shift k``).

``exp``, ``log``, products, quotients, powers, sums of equal scales, differences of
shifts, and reductions (``sum``/``mean``/``max``/``min``) along axes where ``delta``
is constant map these to each other. Anything else, a value ``delta`` reaches along
another axis, or a statement other than a plain assignment is *unknown*. When every
returned value has a zero change (``shift 0``/``scale 0``), the derivative of the
result with respect to ``m`` holding its inputs fixed is zero, at every point, hence
to every order. ``delta`` broadcasts: each value carries which of its axes are axes
of ``delta`` (``None`` where ``delta`` is constant along the axis; ``None`` for the
whole value when ``m`` is a scalar), and two values combine only when they agree.

Only max/min reductions are candidates: their adjoint is the expensive one.

>>> import gast
>>> tree = gast.parse('''
... def lse(x):
...     m = np.max(x)
...     x_minus_m = x - m
...     e = np.exp(x_minus_m)
...     s = np.sum(e)
...     log_s = np.log(s)
...     out = m + log_s
...     return out
... ''').body[0]
>>> import numpy as np, operator
>>> calls = {n: getattr(np, n.func.attr) for n in gast.walk(tree)
...          if isinstance(n, gast.Call)}
>>> sorted(zero_adjoints(tree, {"m", "x", "x_minus_m", "e", "s", "log_s", "out"},
...                      calls, {"m": ()}))
['m']
"""

from __future__ import annotations

import math
from fractions import Fraction

import gast
import numpy as np

from . import walk
from .activity import diff_reads
from .normalize import constant

_CANDIDATES = (np.max, np.amax, np.min, np.amin)
_REDUCTIONS = ((np.sum, "sum"), (np.mean, "mean"), (np.max, "max"), (np.amax, "max"),
               (np.min, "max"), (np.amin, "max"))  # (min shifts and scales as max does)
_EXP = (np.exp, math.exp)
_LOG = (np.log, math.log)
_UNKNOWN = "unknown"
_ALL = None  # the embedding of a scalar delta: constant along every axis


class _Label:
    """``value + k * delta`` (shift) or ``value * (1 + k * delta)`` (scale)."""

    __slots__ = ("scale", "k", "emb")

    def __init__(self, scale: bool, k, emb):
        self.scale, self.k, self.emb = scale, Fraction(k), emb


def _make(scale, k, emb):
    """A label; ``None`` (no change) when ``k`` is zero."""
    return None if k == 0 else _Label(scale, k, emb)


def zero_adjoints(tree, active, resolved, classes, kinds=None) -> set:
    """The active names whose adjoint is provably zero.

    Args:
        tree: the normalized function (three-address form, versioned names).
        active: the active names (activity.py).
        resolved: ``{node: object}`` for the calls (resolve.py).
        classes: ``{name: shape class}`` (kinds.shape_classes); a tuple is a
            decided shape.
        kinds: ``{name: kind}`` (kinds.py): a candidate of kind ``S`` is a scalar
            even where no shape is decided.
    """
    body = tree.body
    candidates = [i for i, s in enumerate(body) if type(s) is gast.Assign and len(
        s.targets) == 1 and type(s.targets[0]) is gast.Name and s.targets[0].id in active
        and type(s.value) is gast.Call and any(resolved.get(s.value) is c
                                               for c in _CANDIDATES)]
    if not candidates:
        return set()  # (most functions: no walk of the tree)
    counts: dict = {}
    for n in walk.nodes(tree):
        if type(n) is gast.Name and type(n.ctx) is gast.Store:
            counts[n.id] = counts.get(n.id, 0) + 1
    out = set()
    for i in candidates:
        s = body[i]
        if counts[s.targets[0].id] == 1:
            name = s.targets[0].id
            emb = _embedding(() if (kinds or {}).get(name) == "S" else classes.get(name),
                             s.value)
            if emb is not _UNKNOWN and _invariant(body[i + 1:], name, emb, counts,
                                                  resolved, classes):
                out.add(name)
    return out


def _embedding(shape, call):
    """The embedding of ``delta`` in the candidate itself."""
    if shape == ():
        return _ALL
    if isinstance(shape, tuple):
        return tuple(None if n == 1 else i for i, n in enumerate(shape))
    # no shapes (a derivative for every shape): a max over negative axes, kept
    axes, keep = _axes(call)
    if keep is True and axes not in (_UNKNOWN, None) and all(
            type(a) is int and a < 0 for a in axes):
        return frozenset(axes)
    return _UNKNOWN


def _invariant(stmts, name, emb, counts, resolved, classes) -> bool:
    labels = {name: _make(False, 1, emb)}
    for s in stmts:
        if type(s) is gast.Assign and len(s.targets) == 1 and \
                type(s.targets[0]) is gast.Name:
            flows = diff_reads(s.value, resolved) & labels.keys()
            if not flows:
                continue  # no change reaches it: it stays unlabelled
            target = s.targets[0].id
            if counts.get(target) != 1:
                return False  # reassigned: the order of values is not followed
            labels[target] = _transfer(s.value, labels, resolved, classes, target)
            if labels[target] is None:
                del labels[target]
        elif type(s) is gast.Return:
            return not walk.reads(s) & labels.keys()
        elif walk.reads(s) & labels.keys():
            return False  # a loop, a branch, an effect: not followed
    return False


def _label(node, labels):
    """The label of an operand: ``None`` unchanged, a label, or unknown."""
    if type(node) is gast.Name:
        return labels.get(node.id)
    if type(node) is gast.Constant:
        return None
    return _UNKNOWN


def _rank(node, classes):
    if type(node) is gast.Constant:
        return 0
    shape = classes.get(node.id) if type(node) is gast.Name else None
    return len(shape) if isinstance(shape, tuple) else None


def _extend(lab, node, rank, classes):
    """``lab``'s embedding as an operand of a result of ``rank`` (broadcasting)."""
    if lab.emb is _ALL or type(lab.emb) is frozenset:
        return lab.emb  # (right-aligned: broadcasting keeps it)
    own = _rank(node, classes)
    if own is None or rank is None or own > rank:
        return _UNKNOWN
    return (None,) * (rank - own) + lab.emb


def _transfer(value, labels, resolved, classes, target):
    t = type(value)
    if t is gast.Name:
        return labels.get(value.id)
    if t is gast.UnaryOp and type(value.op) in (gast.USub, gast.UAdd):
        lab = _label(value.operand, labels)
        if lab is _UNKNOWN or lab is None or lab.scale:
            return lab
        return _make(False, -lab.k if type(value.op) is gast.USub else lab.k, lab.emb)
    shape = classes.get(target)
    rank = len(shape) if isinstance(shape, tuple) else None
    if t is gast.BinOp:
        return _binop(value, labels, classes, rank)
    if t is gast.Call:
        return _call(value, labels, resolved, classes, rank)
    return _UNKNOWN


def _binop(value, labels, classes, rank):
    op = type(value.op)
    a, b = _label(value.left, labels), _label(value.right, labels)
    if a is _UNKNOWN or b is _UNKNOWN:
        return _UNKNOWN
    ea = None if a is None else _extend(a, value.left, rank, classes)
    eb = None if b is None else _extend(b, value.right, rank, classes)
    if ea is _UNKNOWN or eb is _UNKNOWN or (a is not None and b is not None and ea != eb):
        return _UNKNOWN
    emb = ea if a is not None else eb
    if op is gast.Pow:
        if a is not None and a.scale and b is None and type(value.right) is \
                gast.Constant and type(value.right.value) in (int, float) and \
                math.isfinite(value.right.value):
            return _make(True, a.k * Fraction(value.right.value), emb)
        return _UNKNOWN
    if op in (gast.Add, gast.Sub):
        sign = 1 if op is gast.Add else -1
        if (a is None or not a.scale) and (b is None or not b.scale):
            return _make(False, (a.k if a else 0) + sign * (b.k if b else 0), emb)
        if a is not None and b is not None and a.scale and b.scale and a.k == b.k:
            return _Label(True, a.k, emb)
        return _UNKNOWN
    if op in (gast.Mult, gast.Div) and (a is None or a.scale) and (b is None or b.scale):
        sign = 1 if op is gast.Mult else -1
        return _make(True, (a.k if a else 0) + sign * (b.k if b else 0), emb)
    return _UNKNOWN


def _call(value, labels, resolved, classes, rank):
    fn = resolved.get(value)
    if not value.args:
        return _UNKNOWN
    lab = _label(value.args[0], labels)
    kind = _reduction(fn)
    if lab is _UNKNOWN or lab is None or len(value.args) > 2 or (
            len(value.args) == 2 and kind is None):
        return _UNKNOWN
    if any(fn is f for f in _EXP) and not value.keywords and not lab.scale:
        return _make(True, lab.k, lab.emb)
    if any(fn is f for f in _LOG) and len(value.args) == 1 and not value.keywords \
            and lab.scale:
        return _make(False, lab.k, lab.emb)
    if fn is np.sqrt and not value.keywords and lab.scale:
        return _make(True, lab.k / 2, lab.emb)
    if kind is None or (kind == "sum" and not lab.scale):
        return _UNKNOWN  # a sum of shifts shifts by a multiple: not followed
    return _reduced(value, lab, classes, rank)


def _reduction(fn):
    for f, kind in _REDUCTIONS:
        if fn is f:
            return kind
    return None


def _axes(call):
    """``(axes, keepdims)`` of a reduction: a tuple of ints or ``None`` (every axis),
    and a bool; unknown when not constants."""
    kw = {k.arg: k.value for k in call.keywords}
    if set(kw) - {"axis", "keepdims"} or (len(call.args) == 2 and "axis" in kw) or \
            len(call.args) > 2:
        return _UNKNOWN, _UNKNOWN
    axis = call.args[1] if len(call.args) == 2 else kw.get("axis")
    keep = kw.get("keepdims")
    axis = None if axis is None else constant(axis, _UNKNOWN)
    keep = False if keep is None else constant(keep, _UNKNOWN)
    if axis is not None and axis is not _UNKNOWN and type(axis) is not tuple:
        axis = (axis,)
    return axis, keep


def _reduced(value, lab, classes, rank):
    """A reduction of a labelled value along axes where ``delta`` is constant."""
    axis, keep = _axes(value)
    if axis is _UNKNOWN or type(keep) is not bool:
        return _UNKNOWN
    if lab.emb is _ALL:
        return lab
    if type(lab.emb) is frozenset:  # no ranks: along the candidate's own axes, kept
        return lab if keep and axis is not None and set(axis) <= lab.emb else _UNKNOWN
    own = _rank(value.args[0], classes)
    if own is None:
        return _UNKNOWN
    axes = range(own) if axis is None else axis
    if not all(type(x) is int and -own <= x < own for x in axes):
        return _UNKNOWN
    axes = {x % own for x in axes}
    if any(lab.emb[x] is not None for x in axes):
        return _UNKNOWN  # reduced along an axis of delta
    emb = lab.emb if keep else tuple(e for i, e in enumerate(lab.emb) if i not in axes)
    if rank is not None and len(emb) != rank:
        return _UNKNOWN
    return _Label(lab.scale, lab.k, emb)
