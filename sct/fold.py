"""Temporaries read once, by the next statement -> nested back into it.

Normalization gives every intermediate value a name (three-address form), which the
analyses and rules need. Once the derivative is assembled, a temporary that the
reverse sweep never reads (not taped, not needed for a shape) is read exactly once,
by the statement right after it. Nesting it back gives the code the user wrote, and
lets Python free the intermediate array at once (NumPy can then reuse it in place)
instead of keeping it alive until the function returns.

Only temporaries sct made (``ctx.temporaries``) are folded; the user's own names
always stay. Before and after::

    X_at_W1 = X @ W1
    X_at_W1_plus_b1 = X_at_W1 + b1      ->  h = np.tanh(X @ W1 + b1)
    h = np.tanh(X_at_W1_plus_b1)

>>> import gast
>>> from sct import emit
>>> body = gast.parse("a = x * y\\nb = a + 1.0\\nc = np.sin(b)\\nreturn c * a0").body
>>> print(emit.to_source(gast.Module(body=run(body, {"a", "b"}, lambda c: True),
...                                  type_ignores=[])).strip())
c = np.sin(x * y + 1.0)
return c * a0
"""

from __future__ import annotations

import gast

from . import survey, walk

# (walk.nodes lists no contexts or operators: a Store sits under a Name, not listed)
_PURE_NODES = (gast.BinOp, gast.UnaryOp, gast.Compare, gast.Subscript, gast.Attribute,
               gast.Name, gast.Constant, gast.Tuple, gast.Slice, gast.Call, gast.keyword)
_PURE_TYPES = frozenset(_PURE_NODES)
_Name, _Constant, _BinOp, _Call, _Load = (gast.Name, gast.Constant, gast.BinOp,
                                          gast.Call, gast.Load)
_MARKS = walk.MARKS


def _scan(expr) -> tuple:
    """``(reads, checks)`` of an expression from one walk: ``walk.reads(expr)``, and
    the nodes that decide whether it is pure (see :func:`_pure`), in the order of
    ``walk.nodes(expr)``: its calls, and nodes of any kind but the pure ones."""
    todo, reads, checks = [expr], set(), []
    push, extend, read, check = todo.append, todo.extend, reads.add, checks.append
    annotated = False
    for n in todo:  # (a list iterator sees what is appended meanwhile)
        t = type(n)
        if t is _Name:
            a = getattr(n, "annotation", None)
            if a is not None:
                annotated = True
                push(a)
            elif type(n.ctx) is _Load:
                read(n.id)
        elif t is _BinOp:  # (the commonest nodes, whose fields always hold nodes)
            push(n.left)
            push(n.right)
        elif t is _Call:
            check(n)
            push(n.func)
            extend(n.args)
            extend(n.keywords)
        elif t is not _Constant:
            if t not in _PURE_TYPES:
                check(n)
            for field in n._fields:
                v = getattr(n, field, None)
                if type(v) is list:
                    if v:
                        extend([x for x in v
                                if isinstance(x, gast.AST) and type(x) not in _MARKS])
                elif v is not None and type(v) not in _MARKS and isinstance(v, gast.AST):
                    push(v)
    if annotated:  # (walk.reads does not look inside an annotation)
        reads = walk.reads(expr)
    return reads, checks


def _pure(checks, pure_call) -> bool:
    """No effects and no writes: safe to evaluate later in the next statement.
    ``checks``: what :func:`_scan` lists of the expression."""
    for n in checks:
        if not isinstance(n, _PURE_NODES):
            return False
        if isinstance(n, gast.Call) and not pure_call(n):
            return False
    return True


def _head(s):
    """The expression of ``s`` evaluated once, before anything else ``s`` does."""
    if isinstance(s, (gast.Assign, gast.Return, gast.Expr)):
        return s.value
    if isinstance(s, gast.For):
        return s.iter
    if isinstance(s, gast.If):
        return s.test
    return None


def _put(expr, name, value):
    """``expr`` with ``value`` in place of its read of ``name`` (what a
    ``NodeTransformer`` replacing that ``Name`` node does, without a visit of every
    node): the one read there is, since ``name`` is read once in the body."""
    if type(expr) is gast.Name:
        return value if expr.id == name and isinstance(expr.ctx, gast.Load) else expr
    todo = [expr]
    for n in todo:
        for field in n._fields:
            v = getattr(n, field, None)
            if type(v) is list:
                for i, x in enumerate(v):
                    if type(x) is gast.Name:
                        if x.id == name and isinstance(x.ctx, gast.Load):
                            v[i] = value
                            return expr
                    elif isinstance(x, gast.AST):
                        todo.append(x)
            elif type(v) is gast.Name:
                if v.id == name and isinstance(v.ctx, gast.Load):
                    setattr(n, field, value)
                    return expr
            elif isinstance(v, gast.AST):
                todo.append(v)
    return expr


def run(stmts, temporaries, pure_call, user_names=None) -> list:
    """``stmts`` (a function body) with single-use temporaries nested into their use.

    Given ``user_names``, a copy ``a = b`` to any other name (an adjoint handed on
    unchanged, ``e_bar = s_bar``) is folded too.
    """
    names = set(temporaries)
    if user_names is not None:
        names |= {n.targets[0].id for n in walk.statements(stmts)
                  if type(n) is gast.Assign and type(n.value) is gast.Name
                  and type(n.targets[0]) is gast.Name and n.targets[0].id not in user_names}
    loads: dict = {}
    stores: dict = {}
    # (walk.name_nodes, faster; only the names that may fold are counted)
    for n in survey.names(stmts):
        if n.id in names:
            table = loads if isinstance(n.ctx, gast.Load) else stores
            table[n.id] = table.get(n.id, 0) + 1
    single = {t for t in names if loads.get(t) == 1 and stores.get(t) == 1}
    if single:
        _block(stmts, single, pure_call)
    return stmts


LOOKAHEAD = 6  # statements a temporary may be carried past to its reader


def _block(stmts, single, pure_call):
    for s in stmts:
        if type(s) in _FLAT:
            continue
        for field in ("body", "orelse"):
            inner = getattr(s, field, None)
            if isinstance(inner, list) and inner and isinstance(inner[0], gast.stmt):
                _block(inner, single, pure_call)
    heads: dict = {}  # (see _Head)
    i = len(stmts) - 2
    while i >= 0:
        s = stmts[i]
        if isinstance(s, gast.Assign) and len(s.targets) == 1 and isinstance(
                s.targets[0], gast.Name) and s.targets[0].id in single:
            h = _Head.of(s, heads)
            if h.is_pure(pure_call):
                name = s.targets[0].id
                j = _reader(stmts, i, name, h.reads, pure_call, heads)
                if j is not None:
                    r = _Head.of(stmts[j], heads)
                    _set_head(stmts[j], _put(r.expr, name, s.value))
                    r.expr = _head(stmts[j])
                    r.reads = (r.reads - {name}) | h.reads  # (and still pure)
                    del stmts[i]
        i -= 1


_FLAT = frozenset({gast.Assign, gast.Expr, gast.Return, gast.AugAssign, gast.Pass})


class _Head:
    """What :func:`_block` asked of a statement's head, kept while it folds: the
    names it reads, and whether it is pure (asked once, when first wanted: asking
    ``pure_call`` records guards). A value folded in, pure too, keeps it pure."""

    __slots__ = ("stmt", "expr", "checks", "reads", "pure")

    @staticmethod
    def of(s, heads):
        h = heads.get(id(s))
        if h is None or h.stmt is not s:
            h = heads[id(s)] = _Head()
            h.stmt, h.expr, h.pure = s, _head(s), None
            h.reads, h.checks = (None, None) if h.expr is None else _scan(h.expr)
        return h

    def is_pure(self, pure_call) -> bool:
        if self.pure is None:
            self.pure = _pure(self.checks, pure_call)
        return self.pure


def _reader(stmts, i, name, operands, pure_call, heads):
    """The index of the statement after ``stmts[i]`` whose head reads ``name``, when
    ``stmts[i]``'s value can move there: every statement in between only assigns a
    pure value to a name the value does not read, or pushes onto a list it does not
    read."""
    for j in range(i + 1, min(len(stmts), i + 1 + LOOKAHEAD)):
        nxt = stmts[j]
        h = _Head.of(nxt, heads)
        if h.expr is not None and name in h.reads:
            return j if h.is_pure(pure_call) else None
        if not (_assigns_apart(nxt, operands, h, pure_call) or
                _appends_apart(nxt, operands)):
            return None
    return None


def _assigns_apart(s, operands, head, pure_call) -> bool:
    """``a = <pure>`` with ``a`` not among ``operands`` (``head``: its value's
    :class:`_Head`)."""
    return isinstance(s, gast.Assign) and len(s.targets) == 1 and isinstance(
        s.targets[0], gast.Name) and s.targets[0].id not in operands and \
        head.is_pure(pure_call)


def _appends_apart(s, operands) -> bool:
    """``lst.append(v)`` (a tape push) with ``lst`` not among ``operands``."""
    if not (isinstance(s, gast.Expr) and isinstance(s.value, gast.Call)):
        return False
    f = s.value.func
    return isinstance(f, gast.Attribute) and f.attr == "append" and isinstance(
        f.value, gast.Name) and f.value.id not in operands and all(
        isinstance(a, (gast.Name, gast.Constant)) for a in s.value.args)


def _set_head(s, expr):
    if isinstance(s, (gast.Assign, gast.Return, gast.Expr)):
        s.value = expr
    elif isinstance(s, gast.For):
        s.iter = expr
    else:
        s.test = expr
