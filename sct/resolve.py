"""Call sites -> the objects they call, at build time.

Operators map to the ``operator`` module (``a * b`` is ``operator.mul``), names and
dotted names to the objects the user's globals, closure cells or builtins bind them
to. Local variables do not resolve: what they call is only known at run time.

The result is data: ``{node: object}`` for every primitive operation in the tree, and
the guards (which global or closure names the resolution relied on) that tell a cached
derivative when a rebinding invalidates it.
"""

from __future__ import annotations

import builtins
import operator

import gast

from . import walk

BINOPS = {
    gast.Add: operator.add, gast.Sub: operator.sub, gast.Mult: operator.mul,
    gast.Div: operator.truediv, gast.FloorDiv: operator.floordiv, gast.Mod: operator.mod,
    gast.Pow: operator.pow, gast.MatMult: operator.matmul, gast.BitAnd: operator.and_,
    gast.BitOr: operator.or_, gast.BitXor: operator.xor, gast.LShift: operator.lshift,
    gast.RShift: operator.rshift,
}
UNARYOPS = {gast.USub: operator.neg, gast.UAdd: operator.pos, gast.Not: operator.not_,
            gast.Invert: operator.invert}
CMPOPS = {
    gast.Lt: operator.lt, gast.LtE: operator.le, gast.Gt: operator.gt,
    gast.GtE: operator.ge, gast.Eq: operator.eq, gast.NotEq: operator.ne,
    gast.Is: operator.is_, gast.IsNot: operator.is_not, gast.In: operator.contains,
    gast.NotIn: operator.contains,
}
_MISSING = object()


class Resolver:
    """Looks names up the way the user's function would at build time."""

    def __init__(self, ctx):
        self.ctx = ctx
        self.guards = {}  # (kind, name) -> object seen

    def name(self, node):
        """The object a Name/Attribute chain refers to, or ``_MISSING``."""
        if isinstance(node, gast.Attribute):
            base = self.name(node.value)
            if base is _MISSING:
                return _MISSING
            return getattr(base, node.attr, _MISSING)
        if not isinstance(node, gast.Name):
            return _MISSING
        ident = node.id
        if ident in self.ctx.refs:
            return self.ctx.refs[ident]
        if ident in self.ctx.local_names:
            return _MISSING
        q = self.ctx.quoted
        if ident in q.cells:
            try:
                value = q.cells[ident].cell_contents
            except ValueError:
                return _MISSING
            self.guards[("cell", ident)] = value
            return value
        if ident in q.globals:
            value = q.globals[ident]
            self.guards[("global", ident)] = value
            return value
        value = getattr(builtins, ident, _MISSING)
        if value is not _MISSING:
            self.guards[("builtin", ident)] = value
        return value

    def primitive(self, value):
        """The object an operation calls, or ``None`` when unknown."""
        if isinstance(value, gast.BinOp):
            return BINOPS.get(type(value.op))
        if isinstance(value, gast.UnaryOp):
            return UNARYOPS.get(type(value.op))
        if isinstance(value, gast.Compare):
            return CMPOPS.get(type(value.ops[0]))
        if isinstance(value, gast.Subscript):
            return operator.getitem
        if isinstance(value, gast.Call):
            obj = self.name(value.func)
            return None if obj is _MISSING else obj
        return None


def run(tree, ctx) -> dict:
    """``{value node: object}`` for every operation, and ``ctx.guards`` filled in."""
    r = Resolver(ctx)
    found = {}
    for node in walk.statements(tree):
        if isinstance(node, (gast.Assign, gast.Expr)):
            obj = r.primitive(node.value)
            if obj is not None:
                found[node.value] = obj
    ctx.guards = r.guards
    ctx.resolver = r
    return found
