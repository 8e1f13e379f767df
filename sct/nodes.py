"""The nodes the stages build most: names, assignments, atoms and constants.

>>> from sct.emit import to_source
>>> to_source(assign("y", load("x"))).strip()
'y = x'
>>> is_atom(load("x")), constant(gast.Constant(value=2.0, kind=None))
(True, 2.0)
"""

from __future__ import annotations

import gast


_Name, _Assign = gast.Name, gast.Assign
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
