"""Desugaring and three-address form, then versions of reassigned names.

After this pass every assignment computes one operation over atoms (names and
constants), temporaries are named after what they compute, and a name assigned only in
straight-line code at the top of the function gets a new version on each assignment
(``x``, ``x_1``, ``x_2``), so the reverse sweep never needs its old values. Names
assigned inside ``if``/``for``/``while`` keep one name; the reverse transform records
what they overwrite.

Desugared: augmented assignment, tuple unpacking, chained comparisons, ``and``/``or``
with calls (short-circuit kept), ternaries, array methods and attributes (``x.sum()``,
``x.T``), ``while`` tests (evaluated before the loop and at the end of each pass).
Comprehensions, ``and``/``or`` with effects, ternaries and inlined local helpers
are in sugar.py; the node constructors every stage uses (``load``, ``assign``) in
nodes.py.

>>> import numpy as np
>>> import sct.pipeline as p
>>> def f(w, x):
...     h = np.tanh(w * x)
...     h = h + w
...     return np.sum(h * h)
>>> print(p.stage_source(f, "normalize"))
def f(w, x):
    w_times_x = w * x
    h = np.tanh(w_times_x)
    h_1 = h + w
    h_times_h = h_1 * h_1
    out = np.sum(h_times_h)
    return out
"""

from __future__ import annotations

import inspect

import gast
import numpy as np

from . import walk
from . import mutation, runtime
from .names import temp_name
from .nodes import assign, at, constant, is_atom, load, make, store  # noqa: F401
from .sugar import Sugar

# Array methods and attributes: name -> (function, how the call maps).
_METHODS = {
    "sum": np.sum, "mean": np.mean, "prod": np.prod, "max": np.max, "min": np.min,
    "std": np.std, "var": np.var, "dot": np.dot, "clip": np.clip, "cumsum": np.cumsum,
    "ravel": np.ravel, "flatten": np.ravel, "squeeze": np.squeeze,
    "argmax": np.argmax, "argmin": np.argmin, "astype": runtime.astype,
    "copy": np.array, "round": np.round, "any": np.any, "all": np.all,
    "swapaxes": np.swapaxes,
}
_SHAPE_METHODS = {"reshape": np.reshape, "transpose": np.transpose}
_ATTRIBUTES = {"T": np.transpose, "shape": np.shape, "ndim": np.ndim, "size": np.size}


class _Flatten(Sugar):
    """Statements and expressions -> three-address statements (sugar.py: the
    expressions that need statements of their own)."""

    def __init__(self, ctx):
        self.ctx = ctx
        self.namer = ctx.namer

    # -- statements ----------------------------------------------------------------
    def block(self, stmts):
        out = []
        for s in stmts:
            out.extend(self.stmt(s))
        return out

    def stmt(self, s):
        self.where = s
        self.hint = "t"
        if isinstance(s, gast.Expr):
            if isinstance(s.value, gast.Constant):
                return []  # docstrings and bare constants
            v = s.value
            if isinstance(v, gast.Call) and isinstance(v.func, gast.Attribute) and \
                    v.func.attr == "pop" and not v.args and not v.keywords:
                # `lst.pop()` for its effect: the item's (zero) adjoint goes back on
                # lst's adjoint in the reverse sweep, as for `v = lst.pop()`
                return self.stmt(gast.copy_location(gast.Assign(
                    targets=[store(self.namer.fresh("popped"))], value=v,
                    type_comment=None), s))
            pre, e = self.expr(s.value)
            return pre + [self._at(gast.Expr(value=e))]
        if isinstance(s, gast.Pass):
            return []
        if isinstance(s, gast.AugAssign):
            value = gast.BinOp(left=_as_load(s.target), op=s.op, right=s.value)
            return self.stmt(gast.copy_location(
                gast.Assign(targets=[s.target], value=value, type_comment=None), s))
        if isinstance(s, gast.AnnAssign):
            if s.value is None:
                return []
            return self.stmt(gast.copy_location(
                gast.Assign(targets=[s.target], value=s.value, type_comment=None), s))
        if isinstance(s, gast.Assign):
            return self.assign(s)
        if isinstance(s, gast.Return):
            if is_atom(s.value) and isinstance(s.value, gast.Name):
                return [s]
            self.hint = "out"
            pre, e = self.expr(s.value)
            name = self.namer.fresh("out")
            return pre + [self._at(assign(name, e)),
                          self._at(gast.Return(value=load(name)))]
        if isinstance(s, gast.If):
            pre, test = self.expr(s.test)
            cond = self.namer.fresh("cond", first_suffix=2)
            decide = self._at(assign(cond, test))  # at the `if` line, before the bodies
            node = gast.If(test=load(cond), body=self.block(s.body),
                           orelse=self.block(s.orelse))
            if getattr(s, "sct_exit", False):  # `if broke: break`, kept as it is
                node.test, node.sct_exit = s.test, True
                return [gast.copy_location(node, s)]
            return pre + [decide, gast.copy_location(node, s)]
        if isinstance(s, gast.For):
            pre, it = self.atom(s.iter, "iterable")
            if not isinstance(s.target, gast.Name):
                item = self.namer.fresh("item")
                unpack = gast.copy_location(gast.Assign(
                    targets=[s.target], value=load(item), type_comment=None), s)
                body = self.block([unpack] + s.body)
                target = store(item)
            else:
                body, target = self.block(s.body), s.target
            node = gast.For(target=target, iter=it, body=body, orelse=[],
                            type_comment=None)
            return pre + [gast.copy_location(node, s)]
        if isinstance(s, gast.While):
            cond = self.namer.fresh("cond", first_suffix=2)
            pre, test = self.expr(s.test)
            start = pre + [self._at(assign(cond, test))]
            self.where = s
            pre2, test2 = self.expr(s.test)
            again = pre2 + [self._at(assign(cond, test2))]
            body = self.block(s.body)
            if body and getattr(body[-1], "sct_exit", False):
                body = body[:-1] + again + body[-1:]
            else:
                body = body + again
            node = gast.While(test=load(cond), body=body, orelse=[])
            return start + [gast.copy_location(node, s)]
        if isinstance(s, (gast.Break, gast.Continue)):
            return [s]
        return [s]  # check.py has refused everything else

    def _at(self, node):
        return at(node, self.where)

    def assign(self, s):
        if len(s.targets) > 1:
            pre, a = self.atom(s.value, "value")
            out = pre
            for t in s.targets:
                out += self.assign(gast.copy_location(
                    gast.Assign(targets=[t], value=a, type_comment=None), s))
            return out
        target = s.targets[0]
        if isinstance(target, gast.Name):
            self.hint = target.id
            pre, e = self.expr(s.value)
            return pre + [self._at(assign(target.id, e))]
        if isinstance(target, (gast.Tuple, gast.List)):
            return self.unpack(target, s.value, s)
        if isinstance(target, gast.Subscript) and isinstance(target.value, gast.Name):
            self.hint = target.value.id
            pre, v = self.atom(s.value)
            p2, idx = self.index(target.slice)
            store_ = gast.Subscript(value=load(target.value.id), slice=idx,
                                    ctx=gast.Store())
            return pre + p2 + [self._at(gast.Assign(targets=[store_], value=v,
                                                    type_comment=None))]
        return [s]  # attribute stores: refused by check.py

    def unpack(self, target, value, s):
        names = {n.id for n in walk.nodes(target) if isinstance(n, gast.Name)}
        if isinstance(value, (gast.Tuple, gast.List)) and len(value.elts) == len(
                target.elts):
            pre, atoms = [], []
            for e in value.elts:
                p, a = self.atom(e, "value")
                if isinstance(a, gast.Name) and a.id in names:
                    tmp = self.namer.fresh(a.id + "_old")
                    p = p + [self._at(assign(tmp, a))]
                    a = load(tmp)
                pre += p
                atoms.append(a)
            out = pre
            for t, a in zip(target.elts, atoms):
                out += self.assign(gast.copy_location(
                    gast.Assign(targets=[t], value=a, type_comment=None), s))
            return out
        pre, a = self.atom(value, "_".join(sorted(names))[:12] or "value")
        out = pre
        for i, t in enumerate(target.elts):
            item = gast.Subscript(value=a, slice=gast.Constant(value=i, kind=None),
                                  ctx=gast.Load())
            out += self.assign(gast.copy_location(
                gast.Assign(targets=[t], value=item, type_comment=None), s))
        return out

    # -- expressions -----------------------------------------------------------------
    def atom(self, e, hint=None):
        """``(stmts, atom)``: ``e`` evaluated into a name or a constant."""
        pre, e = self.expr(e)
        if is_atom(e) or self._static(e):
            return pre, e
        base = temp_name(e, self.hint)
        name = self.namer.fresh(base) if base else self.namer.numbered(f"{self.hint}_t")
        self.ctx.temporaries.add(name)
        return pre + [self._at(assign(name, e))], load(name)

    def expr(self, e):
        """``(stmts, e')`` where ``e'`` is one operation over atoms."""
        if is_atom(e) or self._static(e):
            return [], e
        if isinstance(e, gast.BinOp):
            p1, left = self.atom(e.left)
            p2, right = self.atom(e.right)
            return p1 + p2, make(gast.BinOp, left=left, op=e.op, right=right)
        if isinstance(e, gast.UnaryOp):
            if isinstance(e.op, gast.USub) and isinstance(e.operand, gast.Constant) \
                    and isinstance(e.operand.value, (int, float)):
                return [], gast.Constant(value=-e.operand.value, kind=None)
            p, a = self.atom(e.operand)
            return p, make(gast.UnaryOp, op=e.op, operand=a)
        if isinstance(e, gast.Compare):
            if len(e.ops) > 1:
                pairs, left = [], e.left
                for op, right in zip(e.ops, e.comparators):
                    pairs.append(gast.Compare(left=left, ops=[op], comparators=[right]))
                    left = right
                return self.expr(gast.BoolOp(op=gast.And(), values=pairs))
            p1, left = self.atom(e.left)
            p2, right = self.atom(e.comparators[0])
            return p1 + p2, gast.Compare(left=left, ops=e.ops, comparators=[right])
        if isinstance(e, gast.BoolOp):
            return self.boolop(e)
        if isinstance(e, gast.IfExp):
            return self.ifexp(e)
        if isinstance(e, gast.Call):
            return self.call(e)
        if isinstance(e, gast.ListComp):
            return self.listcomp(e)
        if isinstance(e, gast.Attribute):
            if e.attr in _ATTRIBUTES:
                p, a = self.atom(e.value)
                fn = self.ctx.ref(_ATTRIBUTES[e.attr])
                return p, make(gast.Call, func=fn, args=[a], keywords=[])
            p, a = self.atom(e.value)
            return p, gast.Attribute(value=a, attr=e.attr, ctx=gast.Load())
        if isinstance(e, gast.Subscript):
            p1, v = self.atom(e.value)
            p2, idx = self.index(e.slice)
            return p1 + p2, make(gast.Subscript, value=v, slice=idx, ctx=gast.Load())
        if isinstance(e, (gast.Tuple, gast.List)):
            pre, elts = [], []
            for x in e.elts:
                p, a = self.atom(x)
                pre += p
                elts.append(a)
            return pre, type(e)(elts=elts, ctx=gast.Load())
        if isinstance(e, gast.Dict):
            pre, values = [], []
            for x in e.values:
                p, a = self.atom(x)
                pre += p
                values.append(a)
            return pre, gast.Dict(keys=list(e.keys), values=values)
        return [], e  # f-strings and the like: evaluated as they are

    def index(self, idx):
        if isinstance(idx, gast.Slice):
            pre, parts = [], {}
            for k in ("lower", "upper", "step"):
                v = getattr(idx, k)
                if v is None:
                    parts[k] = None
                else:
                    p, parts[k] = self.atom(v, "index")
                    pre += p
            return pre, gast.Slice(**parts)
        if isinstance(idx, gast.Tuple):
            pre, elts = [], []
            for x in idx.elts:
                p, a = self.index(x)
                pre += p
                elts.append(a)
            return pre, gast.Tuple(elts=elts, ctx=gast.Load())
        return self.atom(idx, "index")

    def call(self, e):
        inlined = self.inline(e)
        if inlined is not None:
            return inlined
        func, pre, args = e.func, [], list(e.args)
        if isinstance(func, gast.Attribute) and not self._static(func):
            method = func.attr
            if method in _METHODS or method in _SHAPE_METHODS:
                target = func.value
                if method in _SHAPE_METHODS and len(args) > 1:
                    args = [gast.Tuple(elts=args, ctx=gast.Load())]
                func = self.ctx.ref(_METHODS.get(method) or _SHAPE_METHODS[method])
                args = [target] + args
            else:
                p, obj = self.atom(func.value)
                pre += p
                func = gast.Attribute(value=obj, attr=func.attr, ctx=gast.Load())
        elif not (isinstance(func, gast.Name) or self._static(func)):
            p, func = self.atom(func, "fn")
            pre += p
        new_args = []
        user = self._user_function(func)
        for a in args:
            if isinstance(a, (gast.List, gast.Tuple)) and not user:
                p, a = self.expr(a)  # keep literal sequences visible to the rules
            else:
                p, a = self.atom(a)
            pre += p
            new_args.append(a)
        kws = []
        for k in e.keywords:
            p, v = self.atom(k.value, k.arg)
            pre += p
            kws.append(gast.keyword(arg=k.arg, value=v))
        return pre, make(gast.Call, func=func, args=new_args, keywords=kws)

    def _user_function(self, func) -> bool:
        """Whether ``func`` names a user function without a rule (derived from its
        source: its arguments must be names, a literal list too)."""
        if not isinstance(func, gast.Name) or func.id in self.ctx.local_names:
            return False
        fn = self.ctx.quoted.cells.get(func.id)
        if fn is not None:
            try:
                fn = fn.cell_contents
            except ValueError:
                return False
        else:
            fn = self.ctx.quoted.globals.get(func.id)
        from .rules import lookup
        return inspect.isfunction(fn) and lookup(fn) is None

    def _static(self, e) -> bool:
        """A dotted name rooted at a global or closure name: read as it is."""
        while isinstance(e, gast.Attribute):
            e = e.value
        return isinstance(e, gast.Name) and e.id not in self.ctx.local_names and (
            e.id in self.ctx.quoted.globals or e.id in self.ctx.quoted.cells
            or e.id.startswith("__sct_ref"))


def _as_load(t):
    t = walk.clone(t)
    for n in walk.nodes(t):
        if hasattr(n, "ctx"):
            n.ctx = gast.Load()
    return t


def local_names(tree, name_nodes=None) -> set:
    """Names the function binds: its arguments and every assigned name
    (``name_nodes``: the tree's ``Name`` nodes, when the caller has them)."""
    names = {a.id for a in tree.args.args + tree.args.posonlyargs + tree.args.kwonlyargs}
    if name_nodes is None:
        name_nodes = walk.name_nodes(tree)
    names.update(n.id for n in name_nodes if type(n.ctx) is gast.Store)
    return names


def run(tree, ctx):
    """Three-address form with versions; see the module docstring."""
    from .flow import run as structured
    from .inline import local_functions
    from .loops import run as index_loops
    ctx.local_functions = local_functions(tree, ctx)
    loops = any(type(s) is gast.For for s in walk.statements(tree))
    if loops:  # (index_loops asks whether the user rebinds range or zip)
        ctx.local_names = local_names(tree)
    issued = len(ctx.namer.taken)
    tree = index_loops(structured(tree, ctx.namer), ctx)
    # the tree as quoted, when no helper was taken out, no loop rewritten and no
    # flag assigned (each has a fresh name): the context has its names already
    same = not ctx.local_functions and not loops and len(ctx.namer.taken) == issued
    ctx.local_names = local_names(tree, ctx.quoted_names if same else None)
    tree.body = _Flatten(ctx).block(tree.body)
    bases = mutation.copy_mutated_arguments(tree, ctx)
    if bases:  # (nothing written in place: no name can see another's write)
        mutation.check_aliases(tree, ctx, bases)
    from .versions import run as versions
    return versions(tree, ctx)
