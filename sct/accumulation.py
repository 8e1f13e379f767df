"""Adjoints: their names, reads of them and accumulation into them.

A mixin of the reverse transform (reverse.py). ``d[a] += e`` becomes ``a_bar = e``
the first time and ``a_bar = a_bar + e`` after; the optimizer forwards copies and
fuses ``a_bar = e1; ...; a_bar = a_bar + e2`` into ``a_bar = e1 + e2``. In
straight-line code (every name assigned once, nothing written in place) the
transform writes the first of these results itself, as the optimizer's first
round would, so that it is given fewer statements:

* **copies**: a first accumulation that copies the adjoint of the result being
  reversed (``a_bar = y_bar``, from ``y = a + b``) is not written; the adjoint of
  ``a`` reads ``y_bar`` until ``a`` is accumulated into again (``a_bar = y_bar +
  e``). ``y_bar`` is final by then: what reads ``y`` comes after it. Not where
  ``y_bar`` holds a constant, or a copy of one: the optimizer forwards a copy of a
  copy one round later than the copy, and a constant that comes in a round earlier
  may fold a sum into one it no longer fuses.

What the optimizer makes of the function is the same either way.
"""

from __future__ import annotations

import gast

from . import template
from .nodes import call, load, store
from .runtime import add_adjoint

_new = gast.AST.__new__
_Name, _BinOp, _Assign, _Constant = gast.Name, gast.BinOp, gast.Assign, gast.Constant
_LOAD, _STORE = load("x").ctx, store("x").ctx  # (the contexts nodes.py shares)
_ADD = gast.Add()  # (an operator is a marker too: one will do, as in Python's trees)


class AccumulationReverse:
    def init_accumulation(self, straight):
        """``straight``: names whose first accumulation may be a copy (see the
        module docstring), or None outside straight-line code."""
        self.adj_names: dict = {}
        self.nz: set = set()  # names whose adjoint may be non-zero (is defined)
        self.may_alias = straight or frozenset()
        self.alias: dict = {}  # name -> the adjoint its adjoint copies, not written
        self.copy_from = None  # the adjoint of the result being reversed, as it reads
        self.straight = straight is not None
        self.constlike: set = set()  # names assigned a constant, or a copy of one...

    def adj(self, name: str) -> str:
        if name not in self.adj_names:
            self.adj_names[name] = self.namer.fresh(name + "_bar")
        return self.adj_names[name]

    def adj_read(self, name: str) -> str:
        """The name that holds the adjoint of ``name`` now: its own, or the adjoint
        it copies."""
        return self.alias.get(name) or self.adj_names.get(name) or self.adj(name)

    def deriv_of(self, node):
        """The adjoint of an atom as an expression, or a zero marker."""
        if type(node) is gast.Name and node.id in self.active and node.id in self.nz:
            return load(self.adj_read(node.id))
        if isinstance(node, (gast.List, gast.Tuple)):
            return type(node)(elts=[self.deriv_of(e) for e in node.elts],
                              ctx=gast.Load())
        return template.zero(node)

    def accumulate(self, name, expr, out):
        """``d[name] += expr``; the first time, a plain assignment (see the module
        docstring for the copies of straight-line code)."""
        a = self.adj_names.get(name) or self.adj(name)
        nz = self.nz
        if name not in nz:
            nz.add(name)
            if self.straight:
                te = type(expr)
                if te is _Name and expr.id == self.copy_from and \
                        name in self.may_alias and expr.id not in self.constlike:
                    self.alias[name] = expr.id  # a copy: not written
                    return
                self.held(a, expr)
        elif self.kinds.get(name) in ("T", "O"):
            expr = call(self.ctx.ref(add_adjoint), [
                load(self.alias.pop(name, None) or a), expr])
        else:  # (binop(load(a), gast.Add, expr) and assign(a, ...) below, inline: the
            # commonest statements the reverse sweep makes)
            old = _new(_Name)
            old.__dict__ = {"id": self.alias.pop(name, None) or a, "ctx": _LOAD,
                            "annotation": None, "type_comment": None}
            add = _new(_BinOp)
            add.__dict__ = {"left": old, "op": _ADD, "right": expr}
            expr = add
        target = _new(_Name)
        target.__dict__ = {"id": a, "ctx": _STORE, "annotation": None,
                           "type_comment": None}
        node = _new(_Assign)
        node.__dict__ = {"targets": [target], "value": expr, "type_comment": None}
        out.append(node)

    def held(self, name, value):
        """Note ``name = value``, a statement of straight-line code (for what the
        optimizer makes of reads of ``name``)."""
        t = type(value)
        if t is _Constant or t is _Name and value.id in self.constlike:
            self.constlike.add(name)
