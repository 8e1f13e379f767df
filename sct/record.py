"""What the forward sweep records, and the push/pop placeholders that decide it.

The transforms leave placeholders (``Record``, ``Restore``, and tuples for branch
decisions, loop variables and lists) where a value may have to be saved and brought
back. Once the whole reverse sweep exists, :func:`fill` keeps those whose values the
reverse sweep reads and turns them into ``tape.append``/``tape.pop``: nothing else is
recorded. :class:`Records` says, for people, what the tape holds.
"""

from __future__ import annotations

import copy

import gast

from . import walk
from . import template
from .nodes import assign, load
from .runtime import item_copy


class Record:
    """Placeholder: push the current value of ``name`` (kept only if needed)."""

    def __init__(self, name):
        self.name = name


class Restore:
    """Placeholder: pop ``name`` back (kept only when its Record is)."""

    def __init__(self, name):
        self.name = name


class RecordItem(Record):
    """Placeholder: push ``name[index]`` before an assignment into it."""

    def __init__(self, name, index):
        super().__init__(name)
        self.index = index


class RestoreItem(Restore):
    """Placeholder: pop ``name[index]`` back."""

    def __init__(self, name, index):
        super().__init__(name)
        self.index = index


class Records:
    """What one call's tape holds, by kind; each value is pushed once per pass."""

    def __init__(self):
        self.values, self.items, self.loop_variables = set(), set(), set()
        self.branch_decisions, self.lists = set(), set()

    def names(self):
        return sorted(self.values | self.loop_variables)

    def summary(self) -> str:
        parts = []
        for label, names in (("values of", self.values), ("overwritten items of",
                                                           self.items),
                             ("loop variables", self.loop_variables),
                             ("branch decisions", self.branch_decisions)):
            if names:
                parts.append(f"{label} {', '.join(sorted(names))}")
        return "; ".join(parts)

    def as_dict(self):
        return {"values": sorted(self.values), "items": sorted(self.items),
                "loop variables": sorted(self.loop_variables),
                "branch decisions": sorted(self.branch_decisions)}


class _Reads:
    """The names the reverse sweep reads, found when first needed (code without
    placeholders never asks), and at the latest before :func:`fill` changes a body."""

    def __init__(self, rev):
        self.rev, self.names = rev, None

    def find(self):
        if self.names is None:
            self.names = walk.reads(gast.Module(body=_flat(self.rev), type_ignores=[]))

    def __contains__(self, name):
        self.find()
        return name in self.names


def fill(fwd, rev_head, rev, r, ctx, tree, args):
    """Resolve placeholders: ``(fwd, rev, inits, records)``."""
    reads = _Reads(rev)
    records = Records()
    recorded = set()

    def tape():
        return r.tape_name()

    def one(st):
        if isinstance(st, tuple) and st[0] == "restore-list":
            return [gast.Expr(value=st[2])] if st[1] in reads else []
        if isinstance(st, tuple) and st[0] == "push-cond":
            if st[2] in r.cond_popped:
                records.branch_decisions.add(st[1])
                return [_push(tape(), st[1])]
            return []
        if isinstance(st, Record) or (isinstance(st, tuple) and st[0] == "push-target"):
            name = st.name if isinstance(st, Record) else st[1]
            if name not in reads:
                return []
            if isinstance(st, RecordItem):
                records.items.add(name)
                value = gast.Call(func=ctx.ref(item_copy), args=[
                    load(name), template.index_value(walk.clone(st.index), ctx.ref)],
                    keywords=[])
                return [gast.Expr(value=gast.Call(func=gast.Attribute(
                    value=load(tape()), attr="append", ctx=gast.Load()),
                    args=[value], keywords=[]))]
            if isinstance(st, Record):
                recorded.add(name)
                records.values.add(name)
            else:
                records.loop_variables.add(name)
            return [_push(tape(), name)]
        if isinstance(st, Restore) or (isinstance(st, tuple) and st[0] == "pop-target"):
            name = st.name if isinstance(st, Restore) else st[1]
            if name not in reads:
                return []
            if isinstance(st, RestoreItem):
                item = gast.Subscript(value=load(name), slice=walk.clone(st.index),
                                      ctx=gast.Store())
                pop = _pop(tape(), name)
                pop.targets = [item]
                return [pop]
            return [_pop(tape(), name)]
        reads.find()  # (what the reverse sweep reads as built, before bodies change)
        for field_ in ("body", "orelse"):
            if hasattr(st, field_) and isinstance(getattr(st, field_), list):
                setattr(st, field_, block(getattr(st, field_)))
        return [st]

    def block(stmts):
        out = []
        for st in stmts:
            if type(st) in _PLAIN:  # (most statements: nothing to resolve)
                out.append(st)
            else:
                out.extend(one(st))
        return out

    fwd = block(fwd)
    rev = rev_head + block(rev)
    del one, block  # (they call each other through their cells: a cycle, else)
    inits = [assign(n, gast.Constant(value=None, kind=None)) for n in sorted(recorded)
             if _maybe_undefined(tree, n, args)]
    if r.tape is not None:
        inits.insert(0, assign(r.tape, gast.List(elts=[], ctx=gast.Load())))
        summary = records.summary()
        if summary:
            inits.insert(0, comment(f"the tape records, per pass: {summary}"))
    return fwd, rev, inits, records


_PLAIN = (gast.Assign, gast.Expr, gast.Return, gast.Pass)  # statements without a body


def comment(text: str) -> gast.Expr:
    from .reverse import COMMENT
    return gast.Expr(value=gast.Constant(value=COMMENT + text, kind=None))


def _flat(stmts):
    """The real statements of a reverse sweep, placeholders left out (recursively)."""
    out = []
    for st in stmts:
        if isinstance(st, (Record, Restore, tuple)):
            continue
        if isinstance(st, (gast.If, gast.For, gast.While)):
            st = copy.copy(st)
            st.body = _flat(st.body)
            st.orelse = _flat(st.orelse)
        out.append(st)
    return out

def _push(tape, name):
    call = gast.Call(func=gast.Attribute(value=load(tape), attr="append", ctx=gast.Load()),
                     args=[load(name)], keywords=[])
    return gast.Expr(value=call)

def _pop(tape, name):
    call = gast.Call(func=gast.Attribute(value=load(tape), attr="pop", ctx=gast.Load()),
                     args=[], keywords=[])
    return assign(name, call)

def _maybe_undefined(tree, name, args):
    if name in args:
        return False
    for st in tree.body:
        if any(isinstance(n, gast.Name) and n.id == name and isinstance(n.ctx, gast.Store)
               for n in walk.nodes(st)):
            return not isinstance(st, gast.Assign)
    return True
