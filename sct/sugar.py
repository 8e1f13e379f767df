"""Expressions that become statements while normalizing: comprehensions, ``and``/``or``
whose later operands have effects (short-circuit kept), ternaries, and calls of
helpers defined inside the function (inlined).

A mixin of normalize's flattener: each method returns ``(statements, atom)``, as
``expr`` does.

>>> import sct.pipeline as p
>>> def f(x, c, d):
...     y = x * 2.0 if c > 0.0 else -x
...     return y if c > 0.0 and d else x
>>> print(p.stage_source(f, "normalize"))
def f(x, c, d):
    cond = c > 0.0
    if cond:
        y_1 = x * 2.0
    else:
        y_1 = -x
    y = y_1
    c_gt_0 = c > 0.0
    cond_2 = c_gt_0 and d
    if cond_2:
        out = y
    else:
        out = x
    out_1 = out
    return out_1
"""

from __future__ import annotations

import gast

from . import walk
from .names import temp_name
from .nodes import assign, is_atom, load


class Sugar:
    """The flattener's methods for expressions that need statements."""

    def inline(self, e):
        """A call of a helper defined in the function (or of one that writes into
        its arguments) -> its body, inlined; ``None`` for any other call."""
        fdef = None
        if isinstance(e.func, gast.Name) and e.func.id in self.ctx.local_functions:
            fdef = self.ctx.local_functions[e.func.id]
        elif isinstance(e.func, gast.Name):
            from .inline import mutating_helper
            fdef = mutating_helper(e.func.id, self.ctx)
        if fdef is None:
            return None
        from .inline import expand
        where = (self.ctx.quoted.filename, self.ctx.quoted.line(self.where))
        stmts, result = expand(fdef, e, self.namer, where)
        saved = self.where
        for st in stmts:
            for n in walk.nodes(st):
                if isinstance(n, gast.stmt) and not hasattr(n, "lineno"):
                    gast.copy_location(n, saved)
        from .loops import run as index_loops
        holder = index_loops(gast.Module(body=stmts, type_ignores=[]), self.ctx)
        out = self.block(holder.body)
        self.where = saved
        return out, load(result)

    def listcomp(self, e):
        """``[f(x) for x in xs if c]`` -> a loop that appends; targets get fresh names."""
        from .loops import run as index_loops
        name = self.namer.fresh(self.hint if self.hint not in ("t", "out") else "items")
        if not hasattr(self.ctx, "comprehensions"):
            self.ctx.comprehensions = set()
        self.ctx.comprehensions.add(name)  # built here, handed over once, never shared
        renames = {}
        for g in e.generators:
            for n in walk.nodes(g.target):
                if isinstance(n, gast.Name):
                    renames.setdefault(n.id, self.namer.fresh(n.id))
        e = _Rename(renames).visit(walk.clone(e))
        append = gast.Expr(value=gast.Call(func=gast.Attribute(
            value=load(name), attr="append", ctx=gast.Load()), args=[e.elt], keywords=[]))
        body = [append]
        for g in reversed(e.generators):
            for cond in reversed(g.ifs):
                body = [gast.If(test=cond, body=body, orelse=[])]
            body = [gast.For(target=g.target, iter=g.iter, body=body, orelse=[],
                             type_comment=None)]
        where = self.where
        stmts = [assign(name, gast.List(elts=[], ctx=gast.Load()))] + body
        for st in stmts:
            for n in walk.nodes(st):
                if isinstance(n, gast.stmt):
                    gast.copy_location(n, where)
        holder = gast.Module(body=stmts, type_ignores=[])
        stmts = index_loops(holder, self.ctx).body
        out = self.block(stmts)
        self.where = where
        return out, load(name)

    def boolop(self, e):
        parts = [self.expr(v) for v in e.values]
        if all(not p for p, _ in parts[1:]) and all(
                _pure(x) for _, x in parts[1:]):
            pre, atoms = list(parts[0][0]), []
            for p, x in parts:
                if not is_atom(x):
                    name = self.namer.fresh(temp_name(x, self.hint) or "cond")
                    pre.append(self._at(assign(name, x)))
                    x = load(name)
                atoms.append(x)
            return pre, gast.BoolOp(op=e.op, values=atoms)
        # Keep short-circuiting: later operands are evaluated only when needed.
        name = self.namer.fresh("cond", first_suffix=2)
        pre, first = self.atom(e.values[0])
        pre.append(self._at(assign(name, first)))
        test = load(name) if isinstance(e.op, gast.And) else gast.UnaryOp(
            op=gast.Not(), operand=load(name))
        rest = gast.BoolOp(op=e.op, values=e.values[1:]) if len(e.values) > 2 \
            else e.values[1]
        p, v = self.expr(rest)
        body = p + [self._at(assign(name, v))]
        guard = self.namer.fresh("cond", first_suffix=2)
        pre.append(self._at(assign(guard, test)))
        pre.append(self._at(gast.If(test=load(guard), body=body, orelse=[])))
        return pre, load(name)

    def ifexp(self, e):
        name = self.namer.fresh(self.hint if self.hint != "t" else "choice")
        pre, test = self.expr(e.test)
        cond = self.namer.fresh("cond", first_suffix=2)
        pre.append(self._at(assign(cond, test)))
        p1, a = self.expr(e.body)
        p2, b = self.expr(e.orelse)
        node = gast.If(test=load(cond), body=p1 + [self._at(assign(name, a))],
                       orelse=p2 + [self._at(assign(name, b))])
        return pre + [self._at(node)], load(name)


class _Rename(walk.Transformer):
    def __init__(self, renames):
        self.renames = renames

    def visit_Name(self, node):
        if node.id in self.renames:
            node.id = self.renames[node.id]
        return node


def _pure(e) -> bool:
    return all(not isinstance(n, (gast.Call, gast.Subscript, gast.Attribute))
               for n in walk.nodes(e))
