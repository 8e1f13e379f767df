"""What specialize.py asks of a body (its names, calls, operations and assignments),
from one walk, and kept up to date through its first rewrites without another.

The first rewrites (sizes for counts, a uniform adjoint spread once) take a few small
subtrees out and put a few in. What the later ones read of the lists does not depend
on their order, so the lists are mended: what was taken out is dropped, what was put
in is walked and added at the end. A subtree taken out with more than names and
constants under its root, or one put in that holds a call, is not mended: the body is
walked again (:meth:`Found.mended` says ``None``).

>>> import gast
>>> body = gast.parse("a = f(n(x, 1)) + b").body
>>> found = Found(body)
>>> call = body[0].value.left
>>> old, call.args[0] = call.args[0], gast.parse("y.shape[0] * 2", mode="eval").body
>>> mended = found.mended([(old, call, call.args[0])])
>>> fresh = Found(body)
>>> sorted(n.id for n in mended.names) == sorted(n.id for n in fresh.names)
True
>>> len(mended.calls), len(mended.binops), len(fresh.binops)
(1, 2, 2)
>>> [n.id for n in found.mended([(old, call, call.args[0])], keep={"x", "y"}).names]
['y']
>>> found.counts()
({'b': 1, 'f': 1, 'n': 1, 'x': 1}, {'a'})
"""

from __future__ import annotations

import gast

from .survey import survey

_TYPES = frozenset({gast.Call, gast.BinOp, gast.Assign})
_LEAVES = (gast.Name, gast.Constant)
_Load, _Store = gast.Load, gast.Store


class Found:
    """The names, calls (with their parents), operations and assignments of a body,
    in the order of ``walk.nodes`` (which the unreduce chains in specialize.py's
    ``_uniform`` follow); ``late``: the calls under ``stmts[start:]``."""

    __slots__ = ("names", "late", "binops", "assigns", "calls")

    def __init__(self, stmts=None, start=None):
        if stmts is None:
            return
        s = survey(stmts, _TYPES, start)
        self.names, self.late = s.names, s.late
        binops, assigns, calls = [], [], []
        for n, p in zip(s.nodes, s.parents):
            t = type(n)
            if t is gast.BinOp:
                binops.append(n)
            elif t is gast.Call:
                calls.append((n, p))
            else:
                assigns.append(n)
        self.binops, self.assigns, self.calls = binops, assigns, calls

    def assigned(self) -> dict:
        """``{name: [assignments]}``, for the assignments to one name, in walk order."""
        assigned: dict = {}
        for n in self.assigns:
            targets = n.targets
            if len(targets) == 1 and type(targets[0]) is gast.Name:
                name = targets[0].id
                if name in assigned:
                    assigned[name].append(n)
                else:
                    assigned[name] = [n]
        return assigned

    def counts(self) -> tuple:
        """``(loads, stored)``: how often each name is read, and the names assigned."""
        loads, stored = {}, set()
        for x in self.names:
            t = type(x.ctx)
            if t is _Load:
                loads[x.id] = loads.get(x.id, 0) + 1
            elif t is _Store:
                stored.add(x.id)
        return loads, stored

    def mended(self, edits, keep=None):
        """The lists after ``edits`` (``(old, parent, new)``: ``parent`` held ``old``
        and now holds ``new``), in another order; ``None`` when they cannot be
        mended. ``keep``: the ids of the names still to be asked about (``None``:
        all); ``names`` holds only those."""
        names_out, calls_out = {}, {}  # id(name), (id(call), id(parent)) -> count
        for old, parent, _ in edits:
            t = type(old)
            if t is gast.Call:
                if old.keywords or type(old.func) is not gast.Name or not all(
                        type(a) in _LEAVES for a in old.args):
                    return None
                key = (id(old), id(parent))
                calls_out[key] = calls_out.get(key, 0) + 1
                leaves = [old.func, *old.args]
            elif t in _LEAVES:
                leaves = [old]
            else:
                return None
            for x in leaves:
                if type(x) is gast.Name:
                    if getattr(x, "annotation", None) is not None:
                        return None
                    if keep is None or x.id in keep:
                        names_out[id(x)] = names_out.get(id(x), 0) + 1
        added = survey([new for _, _, new in edits], _TYPES)
        if added.annotated or any(type(n) is not gast.BinOp for n in added.nodes):
            return None  # (a call put in would want its parent)
        names, added_names = self.names, added.names
        if keep is not None:
            names = [x for x in names if x.id in keep]
            added_names = [x for x in added_names if x.id in keep]
        names = _without(names, names_out, id)
        calls = _without(self.calls, calls_out, lambda cp: (id(cp[0]), id(cp[1])))
        if names is None or calls is None:
            return None
        out = Found()
        out.names, out.late = names + added_names, self.late
        out.binops = self.binops + added.nodes
        out.assigns, out.calls = self.assigns, calls
        return out


def _without(items, counts, key):
    """``items`` without ``counts[key(item)]`` occurrences of each (one per subtree
    taken out: a node may be shared); ``None`` when some are not there."""
    if not counts:
        return items
    out = []
    for x in items:
        k = counts.get(key(x))
        if k:
            counts[key(x)] = k - 1
        else:
            out.append(x)
    return None if any(counts.values()) else out
