"""What each statement reads and writes, found once while the optimizer runs.

Every pass of every optimizer round asks the same questions about the same
statements. :class:`Facts` answers them from a table that lives for one
``optimize.run`` call and holds simple statements only (an assignment, an
expression, a return): a compound statement (``if``, ``for``, ``while``) is answered
from its parts each time, since its body changes. The optimizer calls
:meth:`Facts.forget` for a statement whenever it rewrites it, so an answer never
describes a statement as it was. The table holds the statements it describes, so an
id in it always names the statement it was made for.

>>> import gast
>>> a, b = gast.parse("x[i] = y * z\\nif c:\\n    w = x").body
>>> facts = Facts()
>>> sorted(facts.reads(a)), sorted(facts.writes(a)), sorted(facts.writes(b))
(['i', 'x', 'y', 'z'], [], ['w'])
"""

from __future__ import annotations

import gast

from . import walk

_SIMPLE = (gast.Assign, gast.Expr, gast.Return, gast.AugAssign, gast.Pass, gast.Break,
           gast.Continue, gast.Raise, gast.Assert, gast.Delete)
_IN_PLACE = ("append", "pop", "extend")


class _Entry:
    """What one simple statement reads and writes; for an assignment also what its
    value reads (``value_reads``) and whether it writes into an object rather than
    (only) rebinding a name (``in_place``: ``x[i] = v``, ``append``, ``pop``,
    ``extend``)."""

    __slots__ = ("stmt", "reads", "writes", "value_reads", "in_place", "pure",
                 "settled")

    def __init__(self, stmt):
        self.stmt = stmt
        self.pure = None  # whether an assignment's value is free of effects
        self.settled = False  # folding it again changes nothing
        if type(stmt) is not gast.Assign:
            self.reads, self.writes = walk.reads_writes(stmt)
            self.value_reads = self.in_place = None  # (questions about assignments)
            return
        # one walk of the value answers three questions
        names, calls = walk.names_calls(stmt.value)
        reads, writes = set(), set()
        for n in names:
            if type(n.ctx) is gast.Load:
                reads.add(n.id)
            elif type(n.ctx) is gast.Store:
                writes.add(n.id)
        self.value_reads = reads  # what the value reads
        self.reads, self.writes = set(reads), writes
        for target in stmt.targets:
            if type(target) is gast.Name and type(target.ctx) is gast.Store:
                writes.add(target.id)  # (the usual target: no walk)
                continue
            r, w = walk.reads_writes(target)
            self.reads |= r
            self.writes |= w
        # whether it writes into an object rather than (only) rebinding a name
        self.in_place = bool(item_bases(stmt)) or any(
            isinstance(c.func, gast.Attribute) and c.func.attr in _IN_PLACE
            for c in calls)


class Facts:
    """Read and write sets of simple statements, for one optimizer run."""

    def __init__(self, pure=None):
        self._table: dict = {}  # id(stmt) -> _Entry
        self._pure = pure  # expression -> whether it is free of effects

    def entry(self, s) -> _Entry | None:
        """The table entry of a simple statement (made now if need be), else None."""
        e = self._table.get(id(s))
        if e is not None and e.stmt is s:
            return e
        if type(s) not in _SIMPLE:
            return None
        e = self._table[id(s)] = _Entry(s)
        return e

    def forget(self, s):
        """``s`` was rewritten: what the table knew about it no longer holds."""
        self._table.pop(id(s), None)

    def reads(self, s) -> set:
        e = self.entry(s)
        return e.reads if e is not None else self._parts(s, 0)

    def writes(self, s) -> set:
        e = self.entry(s)
        return e.writes if e is not None else self._parts(s, 1)

    def pure_value(self, s) -> bool:
        """Whether the value of the assignment ``s`` is free of effects."""
        e = self.entry(s)
        if e.pure is None:
            e.pure = self._pure(s.value)
        return e.pure

    def _parts(self, s, which):
        """Reads (0) or writes (1) of a compound statement, from its parts."""
        out = set()
        for field in s._fields:
            v = getattr(s, field, None)
            if type(v) is list:
                for x in v:
                    if isinstance(x, gast.stmt):
                        out |= self.reads(x) if which == 0 else self.writes(x)
                    elif isinstance(x, gast.AST):
                        out |= walk.reads_writes(x)[which]
            elif isinstance(v, gast.AST):
                out |= walk.reads_writes(v)[which]
        return out


def item_bases(s) -> set:
    """Names written into by ``x[i] = v`` (a write that is not a Store of a name)."""
    return {t.value.id for t in s.targets
            if isinstance(t, gast.Subscript) and isinstance(t.value, gast.Name)}
