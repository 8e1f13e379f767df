"""The nodes every stage makes most, made without gast's generic constructor.

``gast.Name(id=..., ctx=gast.Load(), ...)`` goes through a constructor that checks its
arguments and updates the new node's ``__dict__`` from keywords; these write the same
``__dict__`` directly. The nodes are the same as gast's, attribute for attribute
(contexts and operators are markers without fields: one shared instance of each will
do, as in the trees Python parses):

>>> new, old = load("x"), gast.Name(id="x", ctx=gast.Load(), annotation=None,
...                                 type_comment=None)
>>> list(new.__dict__) == list(old.__dict__) and gast.dump(new) == gast.dump(old)
True
>>> from sct.emit import to_source
>>> print(to_source(assign("y", call(load("f"), [literal(1.0)]))).strip())
y = f(1.0)
>>> is_atom(load("x")), constant(literal(2.0))
(True, 2.0)
"""

from __future__ import annotations

import gast


_Name, _Assign = gast.Name, gast.Assign
_Constant, _Call, _BinOp = gast.Constant, gast.Call, gast.BinOp
_LOAD, _STORE = gast.Load(), gast.Store()  # (contexts are markers: one of each will do)


def load(name: str) -> gast.Name:
    # what gast.Name(id=name, ctx=gast.Load(), annotation=None, type_comment=None)
    # makes, without the constructor: the stages make hundreds per derivative
    node = _Name.__new__(_Name)
    node.__dict__ = {"id": name, "ctx": _LOAD, "annotation": None, "type_comment": None}
    return node


def store(name: str) -> gast.Name:
    node = _Name.__new__(_Name)
    node.__dict__ = {"id": name, "ctx": _STORE, "annotation": None,
                     "type_comment": None}
    return node


def assign(name: str, value, like=None) -> gast.Assign:
    node = _Assign.__new__(_Assign)
    node.__dict__ = {"targets": [store(name)], "value": value, "type_comment": None}
    if like is not None:
        gast.copy_location(node, like)
    return node


def make(cls, **fields):
    """``cls(**fields)`` for a gast node class, without gast's constructor."""
    node = cls.__new__(cls)
    node.__dict__ = fields
    return node


_POSITIONS = ("lineno", "col_offset", "end_lineno", "end_col_offset")


def at(node, where):
    """``gast.copy_location(node, where)`` for statements and expressions (which
    have all four positions), faster: the stages place every statement they make."""
    src = where.__dict__
    if "lineno" in src and node._attributes:
        d = node.__dict__
        for a in _POSITIONS:
            if a in src:
                d[a] = src[a]
    return node


def literal(value) -> gast.Constant:
    """A constant node holding ``value``."""
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


def is_atom(node) -> bool:
    return isinstance(node, (gast.Name, gast.Constant))


def constant(node, missing=None):
    """The value of a constant or of a tuple of constants (``axis=(0, 1)``), else
    ``missing``."""
    if type(node) is gast.Constant:
        return node.value
    if type(node) is gast.Tuple and all(type(e) is gast.Constant for e in node.elts):
        return tuple(e.value for e in node.elts)
    return missing
