"""Undoing NumPy broadcasting in an adjoint, the compiler's job rather than each rule's.

An elementwise rule writes ``d[a] += d[y] * b`` as if ``a`` had ``y``'s shape. Where
``a`` may be smaller (broadcast against ``b``), the adjoint must be summed down to
``a``'s shape. Kinds (kinds.py) say where that cannot happen (scalars with scalars,
the array operand of an array-scalar product); decided shapes (shapes.py) say which
axes to sum, written out as one ``np.sum``; anything else calls the run-time helper::

    d[b] for y = x + b, x (d0, d1), b (d1,)   ->  np.sum(y_bar, axis=0)
    d[b] for y = x + b, shapes unknown        ->  unbroadcast(y_bar, b)
"""

from __future__ import annotations

import gast
import numpy as np

from . import kinds as kinds_
from . import shapes, walk
from .runtime import unbroadcast


_UNKNOWN = object()
_Name = gast.Name


def undo(expr, bound, position, args, classes, kinds, ref, result=_UNKNOWN):
    """``expr``, the adjoint of operand ``position`` (named ``bound``) of an
    elementwise operation on ``args``, with broadcasting undone where needed.
    ``result``: :func:`result_class` of ``args``, when the caller has it (it is the
    same for every operand)."""
    if len(args) < 2:
        return expr
    if result is _UNKNOWN:
        result = kinds_.common_class(args, classes)
    if not _needed(bound, position, args, result, classes, kinds):
        return expr
    target = kinds_.class_of(bound, classes)
    how = None
    if isinstance(result, tuple) and isinstance(target, tuple):  # both decided
        how = shapes.summed_axes(result, target)
    if how is None:
        return gast.Call(func=ref(unbroadcast), args=[expr, walk.clone(bound)], keywords=[])
    axes, keep = how
    kw = [] if axes is None else [gast.keyword(arg="axis", value=gast.Constant(
        value=axes[0] if len(axes) == 1 else axes, kind=None))]
    if keep:
        kw.append(gast.keyword(arg="keepdims", value=gast.Constant(value=True, kind=None)))
    if isinstance(expr, gast.UnaryOp) and isinstance(expr.op, gast.USub):
        # -sum(g): negate the small result, not the whole adjoint
        return gast.UnaryOp(op=gast.USub(), operand=gast.Call(
            func=ref(np.sum), args=[expr.operand], keywords=kw))
    return gast.Call(func=ref(np.sum), args=[expr], keywords=kw)


def result_class(args, classes, memo=None):
    """The shape class of the result of an elementwise operation on ``args`` (what
    :func:`undo` compares each operand with), for an operation with two or more.
    ``memo``: a dict kept while ``classes`` does not change (the answer depends on
    the operands' classes alone, and few combinations of them occur)."""
    if len(args) < 2:
        return None
    if memo is None:
        return kinds_.common_class(args, classes)
    if len(args) == 2:  # (a binary operation: the commonest, without a loop)
        a, b = args
        key = (classes.get(a.id, a.id) if type(a) is _Name else kinds_.class_of(a, classes),
               classes.get(b.id, b.id) if type(b) is _Name else kinds_.class_of(b, classes))
    else:
        key = tuple([classes.get(a.id, a.id) if type(a) is _Name else
                     kinds_.class_of(a, classes) for a in args])  # (class_of, inline)
    found = memo.get(key, _UNKNOWN)
    if found is _UNKNOWN:
        found = memo[key] = kinds_.common_class(args, classes)
    return found


def _needed(bound, position, args, result, classes, kinds) -> bool:
    if result is not None and kinds_.class_of(bound, classes) == result:
        return False
    ks = [kind_of(a, kinds) for a in args]
    mine = ks[position] if position < len(ks) else kind_of(bound, kinds)
    others = [k for i, k in enumerate(ks) if i != position]
    if all(k in ("S", "I") for k in ks):
        return False
    if mine == "A" and all(k in ("S", "I") for k in others):
        return False
    return True


def kind_of(node, kinds):
    """The kind of an atom (kinds.py): a constant is a scalar."""
    if isinstance(node, gast.Constant):
        return "S" if isinstance(node.value, (int, float)) else "O"
    if isinstance(node, gast.Name):
        return kinds.get(node.id, "O")
    return "O"
