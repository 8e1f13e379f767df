"""Fast questions about the names in a tree: which are read, which are written.

The analyses ask these for every statement, often more than once per pass, so they
must not cost a full ``gast.walk`` (which makes a generator and a deque per node).
Order is not meaningful: the results are counted or compared as sets.

>>> import gast
>>> s = gast.parse("y[i] = x * f(x, z=w)").body[0]
>>> sorted(loads(s)), sorted(stores(s))
(['f', 'i', 'w', 'x', 'x', 'y'], [])
>>> sorted(stores(gast.parse("a, b = t").body[0]))
['a', 'b']
"""

from __future__ import annotations

import gast

_Name = gast.Name
_AST = gast.AST
_Load = gast.Load
_Store = gast.Store
_Call = gast.Call
# nodes without fields (contexts, operators) hold no name: not worth a visit
_LEAVES = frozenset(c for c in vars(gast).values()
                    if isinstance(c, type) and issubclass(c, _AST) and not c._fields)


def name_nodes(node) -> list:
    """Every ``Name`` node under ``node`` (itself included), breadth first."""
    todo = [node]
    names = []
    push = todo.append
    for n in todo:  # (a list iterator sees what is appended meanwhile)
        if type(n) is _Name:
            names.append(n)
            continue
        for field in n._fields:
            v = getattr(n, field, None)
            if type(v) is list:
                for x in v:
                    if isinstance(x, _AST) and type(x) not in _LEAVES:
                        push(x)
            elif isinstance(v, _AST) and type(v) not in _LEAVES:
                push(v)
    return names


def names_calls(node) -> tuple:
    """``(name_nodes(node), the Call nodes under node)`` in one walk."""
    todo = [node]
    names, calls = [], []
    push = todo.append
    for n in todo:
        t = type(n)
        if t is _Name:
            names.append(n)
            continue
        if t is _Call:
            calls.append(n)
        for field in n._fields:
            v = getattr(n, field, None)
            if type(v) is list:
                for x in v:
                    if isinstance(x, _AST) and type(x) not in _LEAVES:
                        push(x)
            elif isinstance(v, _AST) and type(v) not in _LEAVES:
                push(v)
    return names, calls


def loads(node) -> list:
    """The ids of the names ``node`` reads, once per occurrence."""
    return [n.id for n in name_nodes(node) if type(n.ctx) is _Load]


def stores(node) -> list:
    """The ids of the names ``node`` assigns, once per occurrence."""
    return [n.id for n in name_nodes(node) if type(n.ctx) is _Store]


def reads(node) -> set:
    return {n.id for n in name_nodes(node) if type(n.ctx) is _Load}


def writes(node) -> set:
    return {n.id for n in name_nodes(node) if type(n.ctx) is _Store}


def clone(node):
    """A copy of a tree (or a list of trees): new nodes, the same leaf values.

    What ``copy.deepcopy`` does for syntax trees, several times faster; attributes the
    stages attach to nodes (``ref_object``: the object a placeholder names) are shared,
    not copied, so a placeholder still names the very same object.
    """
    if type(node) is list:
        return [clone(x) for x in node]
    if not isinstance(node, _AST):
        return node
    cls = type(node)
    new = cls.__new__(cls)
    d = new.__dict__
    for k, v in node.__dict__.items():
        if type(v) is list:
            d[k] = [clone(x) if isinstance(x, _AST) else x for x in v]
        elif isinstance(v, _AST):
            d[k] = clone(v)
        else:
            d[k] = v
    return new


def nodes(node) -> list:
    """Every node under ``node``, breadth first: ``gast.walk`` as a list, faster."""
    todo = [node]
    extend, push = todo.extend, todo.append
    for n in todo:  # (a list iterator sees what is appended meanwhile)
        for field in n._fields:
            v = getattr(n, field, None)
            if type(v) is list:
                extend([x for x in v if isinstance(x, _AST)])
            elif isinstance(v, _AST):
                push(v)
    return todo


def reads_writes(node) -> tuple:
    """``(reads(node), writes(node))`` in one walk."""
    r, w = set(), set()
    for n in name_nodes(node):
        if type(n.ctx) is _Load:
            r.add(n.id)
        elif type(n.ctx) is _Store:
            w.add(n.id)
    return r, w
