"""Adjoints: their names, reads of them and accumulation into them.

A mixin of the reverse transform (reverse.py). ``d[a] += e`` becomes ``a_bar = e``
the first time and ``a_bar = a_bar + e`` after; the optimizer forwards copies and
fuses ``a_bar = e1; ...; a_bar = a_bar + e2`` into ``a_bar = e1 + e2``. In
straight-line code (every name assigned once, nothing written in place) the
transform writes two of these results itself, as the optimizer's first round
would, so that it is given fewer statements:

* **copies**: a first accumulation that copies the adjoint of the result being
  reversed (``a_bar = y_bar``, from ``y = a + b``) is not written; the adjoint of
  ``a`` reads ``y_bar`` until ``a`` is accumulated into again (``a_bar = y_bar +
  e``). ``y_bar`` is final by then: what reads ``y`` comes after it. Not where
  ``y_bar`` holds a constant, or a copy of one: the optimizer forwards a copy of a
  copy one round later than the copy, and a constant that comes in a round earlier
  may fold a sum into one it no longer fuses;
* **sums**: ``a_bar = a_bar + e2`` after ``a_bar = e1`` is written as ``a_bar = e1 +
  e2`` in its place, and ``a_bar = e1`` dropped, where the optimizer fuses them
  and leaves the sum as it is: nothing in ``e1`` or ``e2`` folds (arith.may_fold),
  nor reads a name that holds a constant, nor an adjoint that is not final (the
  transform reads no other between, nor writes what ``e1`` reads).

What the optimizer makes of the function is the same either way.
"""

from __future__ import annotations

import gast

from . import template
from .arith import INERT, may_fold
from .nodes import call, load, store
from .runtime import add_adjoint

_new = gast.AST.__new__
_Name, _BinOp, _Assign, _Constant = gast.Name, gast.BinOp, gast.Assign, gast.Constant
_LOAD, _STORE = load("x").ctx, store("x").ctx  # (the contexts nodes.py shares)
_ADD = gast.Add()  # (an operator is a marker too: one will do, as in Python's trees)
# what a sum's term may be for the optimizer to leave ``a + e`` a sum
_TERMS = (gast.Name, gast.BinOp, gast.Call, gast.Attribute, gast.Subscript)


class AccumulationReverse:
    def init_accumulation(self, straight):
        """``straight``: in straight-line code, the names whose first accumulation
        may be a copy left unwritten (not the arguments: their adjoints are
        returned); None elsewhere, where neither copies nor sums are written by
        the transform (see the module docstring)."""
        self.adj_names: dict = {}
        self.nz: set = set()  # names whose adjoint may be non-zero (is defined)
        self.may_alias = straight or frozenset()
        self.alias: dict = {}  # name -> the adjoint its adjoint copies, not written
        self.copy_from = None  # the adjoint of the result being reversed, as it reads
        self.straight = straight is not None
        # name -> the statement of its adjoint a sum may be written into
        self.pending = {} if self.straight else None
        self.dropped: set = set()  # ids of statements a later one took in
        self.consts: set = set()  # names assigned a constant
        self.constlike: set = set()  # names assigned a constant, or a copy of one...
        self.live_read = False  # the operation read the adjoint of an operand

    def adj(self, name: str) -> str:
        if name not in self.adj_names:
            self.adj_names[name] = self.namer.fresh(name + "_bar")
        return self.adj_names[name]

    def adj_read(self, name: str) -> str:
        """The name that holds the adjoint of ``name`` now: its own, or the adjoint
        it copies."""
        if self.pending:
            self.pending.pop(name, None)  # (read: a sum may not be moved past it)
        return self.alias.get(name) or self.adj_names.get(name) or self.adj(name)

    def deriv_of(self, node):
        """The adjoint of an atom as an expression, or a zero marker."""
        if type(node) is gast.Name and node.id in self.active and node.id in self.nz:
            self.live_read = True
            return load(self.adj_read(node.id))
        if isinstance(node, (gast.List, gast.Tuple)):
            return type(node)(elts=[self.deriv_of(e) for e in node.elts],
                              ctx=gast.Load())
        return template.zero(node)

    def accumulate(self, name, expr, out):
        """``d[name] += expr``; the first time, a plain assignment (see the module
        docstring for the copies and sums of straight-line code)."""
        a = self.adj_names.get(name) or self.adj(name)
        nz = self.nz
        pending = self.pending
        whole = False  # whether a later sum may be written into this statement
        if name not in nz:
            nz.add(name)
            if pending is not None:
                te = type(expr)
                if te is _Name and expr.id == self.copy_from and \
                        name in self.may_alias and expr.id not in self.constlike:
                    self.alias[name] = expr.id  # a copy: not written
                    return
                self.held(a, expr)
                if te in _TERMS and te is not _Name and not self.live_read:
                    whole = foldless(expr, self.consts)
        elif self.kinds.get(name) in ("T", "O"):
            if pending:
                pending.pop(name, None)
            expr = call(self.ctx.ref(add_adjoint), [
                load(self.alias.pop(name, None) or a), expr])
        else:  # (binop(load(a), gast.Add, expr) and assign(a, ...) below, inline: the
            # commonest statements the reverse sweep makes)
            first = pending.pop(name, None) if pending else None
            if first is not None and type(expr) in _TERMS and not self.live_read \
                    and foldless(expr, self.consts):  # a_bar = e1 + e2, here
                self.dropped.add(id(first))
                old = first.value
                whole = True
            else:
                src = self.alias.pop(name, None)  # (a_bar = y_bar + e2)
                old = _new(_Name)
                old.__dict__ = {"id": src or a, "ctx": _LOAD, "annotation": None,
                                "type_comment": None}
                if src is not None and pending is not None and not self.live_read \
                        and type(expr) in _TERMS:  # (src holds no constant: a copy)
                    whole = foldless(expr, self.consts)
            add = _new(_BinOp)
            add.__dict__ = {"left": old, "op": _ADD, "right": expr}
            expr = add
        target = _new(_Name)
        target.__dict__ = {"id": a, "ctx": _STORE, "annotation": None,
                           "type_comment": None}
        node = _new(_Assign)
        node.__dict__ = {"targets": [target], "value": expr, "type_comment": None}
        out.append(node)
        if whole:
            pending[name] = node

    def held(self, name, value):
        """Note ``name = value``, a statement of straight-line code (for what the
        optimizer makes of reads of ``name``)."""
        t = type(value)
        if t is _Constant:
            self.consts.add(name)
            self.constlike.add(name)
        elif t is _Name and value.id in self.constlike:
            self.constlike.add(name)

    def drop_taken(self, rev):
        """``rev`` without the statements later sums took in."""
        if not self.dropped:
            return rev
        dropped = self.dropped
        return [s for s in rev if id(s) not in dropped]


def foldless(e, consts) -> bool:
    """Whether the optimizer's first round leaves ``e`` as it is: no operation in it
    that a rule of arith.py may rewrite, no name in it that holds a constant
    (``consts``) and no call that may write into an object (a barrier to fusing).

    >>> import gast
    >>> [foldless(gast.parse(s).body[0].value, {"c"}) for s in (
    ...     "a * f(b, 2.0)", "1.0 - a", "a * c", "-(a * b)", "g(-a)", "x.pop()")]
    [True, False, False, True, True, False]
    """
    if type(e) is _Name:
        return e.id not in consts
    todo = [e]
    for n in todo:  # (a list iterator sees what is appended meanwhile)
        t = type(n)
        if t is _Name:
            if n.id in consts:
                return False
        elif t is _BinOp:
            x, y = n.left, n.right
            if (type(x) not in INERT or type(y) not in INERT) and may_fold(n):
                return False
            todo.append(x)
            todo.append(y)
        elif t is gast.Call:
            f = n.func
            if type(f) is gast.Attribute and f.attr in _IN_PLACE:
                return False
            todo.append(f)
            todo += n.args
            for k in n.keywords:
                todo.append(k.value)
        elif t is gast.Attribute:
            todo.append(n.value)
        elif t is gast.Subscript:
            todo.append(n.value)
            todo.append(n.slice)
        elif t is gast.UnaryOp:
            if may_fold(n):
                return False
            todo.append(n.operand)
        elif t is not _Constant:
            return False
    return True


_IN_PLACE = ("append", "pop", "extend")  # (what facts.py counts as writes in place)
