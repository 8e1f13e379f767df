"""What each statement reads and writes, found once while the optimizer runs.

Every pass of every optimizer round asks the same questions about the same
statements. :class:`Facts` answers them from a table that lives for one
``optimize.run`` call and holds simple statements only (an assignment, an
expression, a return): a compound statement (``if``, ``for``, ``while``) is answered
from its parts each time, since its body changes. The optimizer calls
:meth:`Facts.forget` for a statement whenever it rewrites it, so an answer never
describes a statement as it was. The table holds the statements it describes, so an
id in it always names the statement it was made for. :meth:`Facts.scan` makes the
entries of a whole body at the start of a run; an entry also keeps what lets the
optimizer skip work in later rounds (whether folding the statement again would
change it).

>>> import gast
>>> a, b = gast.parse("x[i] = y * z\\nif c:\\n    w = x").body
>>> facts = Facts()
>>> sorted(facts.reads(a)), sorted(facts.writes(a)), sorted(facts.writes(b))
(['i', 'x', 'y', 'z'], [], ['w'])
>>> facts.scan([a, b]), facts.scan([b])  # (x[i] = v writes into x)
(False, True)
"""

from __future__ import annotations

import gast

from . import walk
from .walk import children
from .arith import INERT, may_fold

_SIMPLE = (gast.Assign, gast.Expr, gast.Return, gast.AugAssign, gast.Pass, gast.Break,
           gast.Continue, gast.Raise, gast.Assert, gast.Delete)
_IN_PLACE = ("append", "pop", "extend")
_GROWN = ("append", "pop")  # what mutation.written_bases counts as a write into a list

_Name, _Load, _Store, _AST = gast.Name, gast.Load, gast.Store, gast.AST
_Constant = gast.Constant
_Call, _Attribute, _BinOp, _UnaryOp = gast.Call, gast.Attribute, gast.BinOp, gast.UnaryOp
_keyword, _Subscript, _Assign = gast.keyword, gast.Subscript, gast.Assign
_NO_NAMES = walk._NO_NAMES  # nodes that hold no name
_IN_PLACE_CALL, _GROWING_CALL = 1, 2  # what _scan found among the calls
_FOLDS = 4  # ... or that the walk met an operation that folding may rewrite


def _scan(node, reads, writes) -> int:
    """Adds the names ``node`` reads and writes (``walk.reads_writes``) to the two
    sets; returns which kinds of call it holds (``_IN_PLACE_CALL``, ``_GROWING_CALL``)
    and whether folding may change it (``_FOLDS``: an operation a rule of arith.py
    may rewrite, ``arith.may_fold``; else every operation folds to itself).

    One walk, which asks the commonest nodes only for the fields that can hold a
    name, and any other node for all its fields."""
    found = 0
    todo = [node]
    push = todo.append
    no_names = _NO_NAMES
    for n in todo:  # (a list iterator sees what is appended meanwhile)
        t = type(n)
        if t is _Name:
            c = type(n.ctx)
            if c is _Load:
                reads.add(n.id)
            elif c is _Store:
                writes.add(n.id)
            continue
        if t is _BinOp:
            x, y = n.left, n.right
            if type(x) not in no_names:
                push(x)
            if type(y) not in no_names:
                push(y)
            if (type(x) not in INERT or type(y) not in INERT) and may_fold(n):
                found |= _FOLDS
            continue
        if t is _Call:
            f = n.func
            if type(f) is _Attribute or isinstance(f, _Attribute):
                if f.attr in _IN_PLACE:
                    found |= _IN_PLACE_CALL
                if f.attr in _GROWN and isinstance(f.value, _Name):
                    found |= _GROWING_CALL
        elif t is _Attribute or t is _keyword:
            x = n.value
            if type(x) not in no_names:
                push(x)
            continue
        elif t is _UnaryOp:
            if may_fold(n):
                found |= _FOLDS
            x = n.operand
            if type(x) not in no_names:
                push(x)
            continue
        todo.extend(children(n, no_names))  # (rarer nodes: every field)
    return found


def _value(v, writes) -> tuple:
    """``(reads, found)`` of an assignment's value as ``_scan`` finds them (it adds
    what the value writes to ``writes``): the commonest values, an operation on
    names and constants, a name, a call of names, without the walk."""
    t = type(v)
    if t is _BinOp:
        x, y = v.left, v.right
        tx, ty = type(x), type(y)
        if tx is _Name and type(x.ctx) is _Load:
            if ty is _Name and type(y.ctx) is _Load:
                return {x.id, y.id}, 0
            if ty is _Constant:
                return {x.id}, _FOLDS if may_fold(v) else 0
        elif tx is _Constant and ty is _Name and type(y.ctx) is _Load:
            return {y.id}, _FOLDS if may_fold(v) else 0
    elif t is _Name:
        if type(v.ctx) is _Load:
            return {v.id}, 0
    elif t is _Call and not v.keywords:
        f = v.func
        tf = type(f)
        found = 0
        if tf is _Name and type(f.ctx) is _Load:
            reads = {f.id}
        elif tf is _Attribute and type(f.value) is _Name and type(f.value.ctx) is _Load:
            reads = {f.value.id}
            if f.attr in _IN_PLACE:
                found = _IN_PLACE_CALL
            if f.attr in _GROWN:
                found |= _GROWING_CALL
        else:
            reads = None
        if reads is not None:
            for x in v.args:
                tx = type(x)
                if tx is _Name and type(x.ctx) is _Load:
                    reads.add(x.id)
                elif tx is not _Constant:
                    break
            else:
                return reads, found
    elif t is _Constant:
        return set(), 0
    reads = set()
    return reads, _scan(v, reads, writes)


class _Entry:
    """What one simple statement reads and writes; for an assignment also what its
    value reads (``value_reads``) and whether it writes into an object rather than
    (only) rebinding a name (``in_place``: ``x[i] = v``, ``append``, ``pop``,
    ``extend``). ``grows``: whether ``mutation.written_bases`` finds a name in it.

    ``fixed``: folding the value changes nothing (known when the value holds nothing
    folding rewrites, or when optimize.py folded it and nothing changed);
    ``settled``: the optimizer need not fold it again (``fixed``, or folding it would
    be undone)."""

    __slots__ = ("stmt", "reads", "writes", "value_reads", "in_place", "pure",
                 "settled", "fixed", "grows")

    def __init__(self, stmt, parts=None):
        self.stmt = stmt
        self.pure = None  # whether an assignment's value is free of effects
        self.settled = self.fixed = False
        if parts is not None:  # (made from the entries of what it was made of)
            self.value_reads, self.writes, self.in_place, self.grows = parts
            self.reads = self.value_reads  # (a name target reads nothing itself)
            return
        if type(stmt) is not _Assign:
            self.reads, self.writes = set(), set()
            self.grows = bool(_scan(stmt, self.reads, self.writes) & _GROWING_CALL)
            self.value_reads = self.in_place = None  # (questions about assignments)
            return
        writes = set()
        reads, calls = _value(stmt.value, writes)
        if not calls & _FOLDS:  # (folding the value would find nothing to do)
            self.settled = self.fixed = True
        self.value_reads = reads  # what the value reads
        targets = stmt.targets
        if len(targets) == 1:
            target = targets[0]
            if type(target) is _Name and type(target.ctx) is _Store:  # (the usual)
                writes.add(target.id)
                self.reads, self.writes = reads, writes  # (no set is changed later)
                self.grows = bool(calls & _GROWING_CALL)
                self.in_place = bool(calls & _IN_PLACE_CALL)
                return
        self.reads, self.writes = set(reads), writes
        in_targets = names_only = 0
        for target in stmt.targets:
            if type(target) is _Name and type(target.ctx) is _Store:
                writes.add(target.id)  # (the usual target: no walk)
                names_only += 1
                continue
            in_targets |= _scan(target, self.reads, writes)
        self.grows = bool((calls | in_targets) & _GROWING_CALL) or isinstance(
            stmt.targets[0], _Subscript)
        # whether it writes into an object rather than (only) rebinding a name
        self.in_place = bool(calls & _IN_PLACE_CALL) or (
            names_only != len(stmt.targets) and bool(item_bases(stmt)))


class Facts:
    """Read and write sets of simple statements, for one optimizer run."""

    def __init__(self, pure=None):
        self._table: dict = {}  # id(stmt) -> _Entry
        self.known = self._table.get
        self._pure = pure  # expression -> whether it is free of effects
        self.compound = False  # whether scan met an if or a loop

    def entry(self, s) -> _Entry | None:
        """The table entry of a simple statement (made now if need be), else None.

        (A loop over many statements may look one up itself, as
        ``e = facts.known(id(s))``, and call this when ``e is None or e.stmt is not s``.)
        """
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

    def fused(self, s, first, last, name):
        """``s`` (``name = name + e2``, entry ``last``) now assigns ``e1 + e2``, where
        ``first`` is the entry of ``name = e1``: its entry, without a walk.

        Folding keeps every name and call of an expression (it drops constants only),
        so the union of the parts' answers is the answer for the whole."""
        reads = first.value_reads | last.value_reads
        if name not in first.value_reads:
            reads.discard(name)  # (e2 does not read the name: it was only the left)
        e = self._table[id(s)] = _Entry(s, (
            reads, first.writes | last.writes, first.in_place or last.in_place,
            first.grows or last.grows))
        return e

    def substituted(self, s, old, env) -> _Entry | None:
        """The entry of ``s`` after ``copies.substitute(s.value, env)``, made from
        ``old``, its entry before, without a walk; None where that is not sure (a
        target other than a name, a value writing into an object, a copy of what is
        neither a name nor a constant).

        The substitution puts a copy of what ``env`` holds in place of every name the
        walk of ``_scan`` would meet, and changes no call."""
        target = s.targets[0]
        if len(s.targets) != 1 or type(target) is not _Name or old.in_place or \
                old.grows:
            return None
        reads = set()
        for n in old.value_reads:
            v = env.get(n)
            if v is None:
                reads.add(n)
            elif type(v) is _Name and type(v.ctx) is _Load:
                reads.add(v.id)
            elif type(v) is not _Constant:
                return None
        e = self._table[id(s)] = _Entry(s, (reads, old.writes, False, False))
        return e

    def scan(self, stmts) -> bool:
        """Make the entries of ``stmts`` (and of the statements in them); whether
        ``mutation.written_bases`` would find nothing in them (False when unsure)."""
        quiet = True
        table = self._table
        for s in stmts:
            if type(s) is _Assign:  # (the commonest: the entry made here)
                e = table.get(id(s))
                if e is None or e.stmt is not s:
                    e = table[id(s)] = _Entry(s)
                if e.grows:
                    quiet = False
                continue
            if type(s) is gast.Expr and type(s.value) is gast.Constant:
                continue  # (a label: nothing in it, its entry made if ever asked for)
            e = self.entry(s)
            if e is not None:
                quiet = quiet and not e.grows
            elif type(s) in (gast.If, gast.For, gast.While):
                self.compound = True
                for field in s._fields:
                    v = getattr(s, field, None)
                    if field in ("body", "orelse"):
                        quiet = self.scan(v) and quiet
                    elif isinstance(v, _AST) and _scan(v, set(), set()) & _GROWING_CALL:
                        quiet = False
            else:
                quiet = False  # (a kind the optimizer does not look into)
                if isinstance(s, (gast.If, gast.For, gast.While)):
                    self.compound = True
        return quiet

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


COMMENT = "__sct_comment__:"  # (how the stages mark a comment line)


def is_comment(s) -> bool:
    """Whether ``s`` is a comment line, ``"__sct_comment__:..."``: a statement that
    reads and writes nothing."""
    return isinstance(s, gast.Expr) and isinstance(s.value, gast.Constant) \
        and isinstance(s.value.value, str) and s.value.value.startswith(COMMENT)


def item_bases(s) -> set:
    """Names written into by ``x[i] = v`` (a write that is not a Store of a name)."""
    return {t.value.id for t in s.targets
            if isinstance(t, gast.Subscript) and isinstance(t.value, gast.Name)}


def sums(stmts):
    """The names ``a`` of the ``a = a + e2`` in ``stmts``, the only statements ``fuse``
    may rewrite (it asks only whether those names are read); None when there is no
    such statement nor any ``if`` or loop (whose bodies ``fuse`` looks into)."""
    found = set()
    compound = False
    others = _NOT_BINOP
    for t in stmts:
        if type(t) is _Assign:
            v = t.value
            if type(v) in others:
                continue
            if isinstance(v, gast.BinOp) and isinstance(v.op, gast.Add) and isinstance(
                    v.left, gast.Name) and isinstance(t.targets[0], gast.Name) and \
                    v.left.id == t.targets[0].id:
                found.add(v.left.id)
        elif type(t) is gast.Expr:
            continue
        elif isinstance(t, (gast.If, gast.For, gast.While)):
            compound = True
    return found if found or compound else None


_NOT_BINOP = {gast.Name, gast.Call, gast.Constant, gast.UnaryOp, gast.Attribute,
              gast.Subscript, gast.Tuple, gast.List}  # (classes, not their subclasses)


def reads_name(node, name) -> bool:
    """``name in walk.reads(node)``, without the list and the set (fuse asks it of
    every sum it makes)."""
    todo = [node]
    push = todo.append
    no_names = _NO_NAMES
    for n in todo:  # (a list iterator sees what is appended meanwhile)
        t = type(n)
        if t is _Name:
            if n.id == name and type(n.ctx) is _Load:
                return True
            continue
        if t is _BinOp:
            if type(n.left) not in no_names:
                push(n.left)
            if type(n.right) not in no_names:
                push(n.right)
            continue
        todo.extend(children(n, no_names))  # (rarer nodes: every field)
    return False
