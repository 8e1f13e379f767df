"""Walks of a function body for the passes after the optimizer, cheaper than a
``walk.nodes`` per question.

Those passes (batch, specialize, fold, escape) each asked several questions of the
whole body (which names are read, which assignments and calls there are), each with
a walk of its own. :func:`survey` walks once and files the nodes a pass asks about,
with their parents; they come out in the order :func:`walk.nodes` lists them
(breadth first), so a pass that depends on that order sees the same one.
:func:`statements` finds the statements without a visit of the expressions, and
:func:`names` the names as ``walk.name_nodes`` does, in another order.

>>> import gast
>>> from sct import walk
>>> body = gast.parse("a = f(x) + 1\\nreturn g(a)").body
>>> s = survey(body, {gast.Call}, start=1)
>>> [n.id for n in s.names], [c.func.id for c in s.nodes], [c.func.id for c in s.late]
(['a', 'g', 'a', 'f', 'x'], ['g', 'f'], ['g'])
>>> module = gast.Module(body=body, type_ignores=[])
>>> s.nodes == [n for n in walk.nodes(module) if type(n) is gast.Call]
True
>>> [type(p).__name__ for p in s.parents]
['Return', 'BinOp']
"""

from __future__ import annotations

import gast

from .walk import _MARKS, _NO_NAMES

_AST = gast.AST
_Name = gast.Name
_Constant = gast.Constant
_BinOp, _Assign, _Call, _Attribute = gast.BinOp, gast.Assign, gast.Call, gast.Attribute


class Survey:
    """What :func:`survey` found.

    Attributes:
        names: every ``Name`` node, in walk order.
        nodes: the nodes of the types asked for, in walk order.
        parents: the parent of each of ``nodes`` (``None`` for one of ``stmts``).
        late: those of ``nodes`` under ``stmts[start:]``, in walk order.
        annotated: whether a name carries an annotation (a nested definition's
            parameter): :func:`walk.name_nodes` does not look inside one, so a pass
            that counts names as it does must not use :attr:`names` then.
    """

    __slots__ = ("names", "nodes", "parents", "late", "annotated")


def survey(stmts, types, start=None) -> Survey:
    """The names in ``stmts`` and its nodes whose type is in ``types``, in one walk.
    ``start``: where in ``stmts`` the nodes listed in :attr:`Survey.late` begin."""
    names, found, parents, late = [], [], [], []
    annotated = False
    marks = _MARKS
    level, owners = list(stmts), [None] * len(stmts)
    split = len(level) if start is None else start
    # level by level (the breadth-first order of walk.nodes): what lies under
    # stmts[start:] is the end of every level, from ``split`` on
    while level:
        nxt, up = [], []
        extend, push, up_extend, up_push = nxt.extend, nxt.append, up.extend, up.append
        next_split = None
        i = 0
        for part, is_late in ((level[:split], False), (level[split:], True)):
            if is_late:
                next_split = len(nxt)
            for n in part:
                t = type(n)
                if t is _Name:
                    names.append(n)
                    a = getattr(n, "annotation", None)
                    if a is not None:
                        annotated = True
                        push(a)
                        up_push(n)
                elif t is not _Constant:
                    if t in types:
                        found.append(n)
                        parents.append(owners[i])
                        if is_late:
                            late.append(n)
                    # the commonest nodes, whose fields always hold nodes, first
                    if t is _BinOp:
                        push(n.left)
                        push(n.right)
                        up_extend((n, n))
                    elif t is _Assign:
                        extend(n.targets)
                        push(n.value)
                        up_extend([n] * (len(n.targets) + 1))
                    elif t is _Call:
                        push(n.func)
                        extend(n.args)
                        extend(n.keywords)
                        up_extend([n] * (1 + len(n.args) + len(n.keywords)))
                    elif t is _Attribute:
                        push(n.value)
                        up_push(n)
                    else:
                        for field in n._fields:
                            v = getattr(n, field, None)
                            if type(v) is list:
                                if v:
                                    kids = [x for x in v if isinstance(x, _AST)
                                            and type(x) not in marks]
                                    extend(kids)
                                    up_extend([n] * len(kids))
                            elif v is not None and type(v) not in marks and \
                                    isinstance(v, _AST):
                                push(v)
                                up_push(n)
                i += 1
        level, owners, split = nxt, up, next_split
    s = Survey()
    s.names, s.nodes, s.parents, s.late = names, found, parents, late
    s.annotated = annotated
    return s


def names(stmts) -> list:
    """Every ``Name`` node under ``stmts``: what ``walk.name_nodes`` finds (not inside
    a name's annotation either), in another order, faster: a name met as an operand
    or argument is taken there, not queued.

    >>> import gast
    >>> sorted(n.id for n in names(gast.parse("y = f(x) + x.T * 2").body))
    ['f', 'x', 'x', 'y']
    """
    todo = list(stmts)
    found = []
    take, push, extend = found.append, todo.append, todo.extend
    skip = _NO_NAMES
    for n in todo:
        t = type(n)
        if t is _BinOp:
            x = n.left
            take(x) if type(x) is _Name else push(x)
            x = n.right
            take(x) if type(x) is _Name else push(x)
        elif t is _Name:
            take(n)
        elif t is _Call:
            x = n.func
            take(x) if type(x) is _Name else push(x)
            for x in n.args:
                take(x) if type(x) is _Name else push(x)
            extend(n.keywords)
        elif t is _Attribute:
            x = n.value
            take(x) if type(x) is _Name else push(x)
        elif t is _Assign:
            for x in n.targets:
                take(x) if type(x) is _Name else push(x)
            x = n.value
            take(x) if type(x) is _Name else push(x)
        elif t not in skip:
            for field in n._fields:
                v = getattr(n, field, None)
                if type(v) is list:
                    extend([x for x in v if isinstance(x, _AST) and type(x) not in skip])
                elif isinstance(v, _AST) and type(v) not in skip:
                    push(v)
    return found

