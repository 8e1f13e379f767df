"""The nodes the reverse transform makes most, made without gast's generic constructor.

``gast.Name(id=..., ctx=gast.Load(), ...)`` goes through a constructor that checks its
arguments and updates the new node's ``__dict__`` from keywords; these write the same
``__dict__`` directly. The nodes are the same as gast's, attribute for attribute:

>>> import gast
>>> new, old = load("x"), gast.Name(id="x", ctx=gast.Load(), annotation=None,
...                                 type_comment=None)
>>> list(new.__dict__) == list(old.__dict__) and gast.dump(new) == gast.dump(old)
True
>>> from sct.emit import to_source
>>> print(to_source(assign("y", call(load("f"), [constant(1.0)]))).strip())
y = f(1.0)
"""

from __future__ import annotations

import gast

_Name, _Load, _Store, _Assign = gast.Name, gast.Load, gast.Store, gast.Assign
_Constant, _Call, _BinOp = gast.Constant, gast.Call, gast.BinOp


def load(name: str) -> gast.Name:
    node = _Name.__new__(_Name)
    node.__dict__ = {"id": name, "ctx": _Load.__new__(_Load), "annotation": None,
                     "type_comment": None}
    return node


def store(name: str) -> gast.Name:
    node = _Name.__new__(_Name)
    node.__dict__ = {"id": name, "ctx": _Store.__new__(_Store), "annotation": None,
                     "type_comment": None}
    return node


def assign(name: str, value) -> gast.Assign:
    """``name = value`` (normalize.assign without a location)."""
    node = _Assign.__new__(_Assign)
    node.__dict__ = {"targets": [store(name)], "value": value, "type_comment": None}
    return node


def constant(value) -> gast.Constant:
    node = _Constant.__new__(_Constant)
    node.__dict__ = {"value": value, "kind": None}
    return node


def call(func, args, keywords=None) -> gast.Call:
    node = _Call.__new__(_Call)
    node.__dict__ = {"func": func, "args": args,
                     "keywords": [] if keywords is None else keywords}
    return node


def binop(left, op, right) -> gast.BinOp:
    """``left op right``; ``op``: the operator's class (``gast.Add``)."""
    node = _BinOp.__new__(_BinOp)
    node.__dict__ = {"left": left, "op": op.__new__(op), "right": right}
    return node


_HOLDERS = (gast.stmt, gast.excepthandler, gast.match_case)  # what holds statements


def statements(tree) -> list:
    """Every statement in ``tree``, nested ones too: what ``walk.nodes`` finds of them,
    without visiting the expressions, which hold no statement.

    >>> tree = gast.parse("def f(x):\\n    if x:\\n        y = 1\\n    return y")
    >>> [type(s).__name__ for s in statements(tree.body[0])]
    ['If', 'Return', 'Assign']
    """
    out, todo = [], [tree]
    for n in todo:  # (a list iterator sees what is appended meanwhile)
        for field in n._fields:
            v = getattr(n, field, None)
            if type(v) is list:
                for x in v:
                    if isinstance(x, _HOLDERS):
                        todo.append(x)
                        if isinstance(x, gast.stmt):
                            out.append(x)
    return out
