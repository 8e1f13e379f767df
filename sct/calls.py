"""Calls to user functions inside a differentiated function: derived, not inlined.

A call ``y = g(a, b)`` whose arguments carry derivatives is replaced in the forward
sweep by ``y, g_saved = g_fwd(a, b)`` and reversed as ``a_bar, b_bar = g_bwd(g_saved,
y_bar)``, where ``g_fwd``/``g_bwd`` are the split derivative of ``g`` for the kinds of
its arguments, built once and cached. The values ``g``'s reverse sweep needs travel in
``g_saved``, so nothing is recomputed.
"""

from __future__ import annotations

import inspect

import gast

from . import walk

from .errors import NoDerivative, UnsupportedSyntax
from .normalize import assign, load, store
from .reverse import Record, Restore
from .rules import lookup


def _is_user_function(obj):
    return inspect.isfunction(obj) and lookup(obj) is None and not getattr(
        obj, "__module__", "").startswith(("numpy", "sct.runtime"))


class UserCall:
    def __init__(self, ctx, stmt, fn, args, active_pos, built):
        self.ctx, self.stmt, self.fn = ctx, stmt, fn
        self.args, self.active_pos = args, active_pos
        self.fwd_fn = built.functions[0]
        self.bwd_fn = built.functions[1] if len(built.functions) > 1 else None
        self.out_kind = built.out_kind
        base = getattr(fn, "__name__", "call")
        self.saved = ctx.namer.fresh(f"{base}_saved")
        self.in_loop = False

    def forward(self):
        target = self.stmt.targets[0]
        kws = [gast.keyword(arg=k, value=v)
               for k, v in zip(self.kw_names, self.args[self.n_pos:])]
        call = gast.Call(func=self.ctx.ref(self.fwd_fn), args=list(self.args[:self.n_pos]),
                         keywords=kws)
        tup = gast.Tuple(elts=[store(target.id), store(self.saved)], ctx=gast.Store())
        node = gast.Assign(targets=[tup], value=call, type_comment=None)
        node = gast.copy_location(node, self.stmt)
        return [Record(self.saved), node] if self.in_loop else [node]

    def forward_tangent(self, fwd):
        """``y, y_dot = g_jvp(args..., a_dot, ...)``."""
        target = self.stmt.targets[0]
        kws = [gast.keyword(arg=k, value=v)
               for k, v in zip(self.kw_names, self.args[self.n_pos:])]
        dots = [fwd.materialize(fwd.tangent_of(self.args[i]), self.args[i])
                for i in self.active_pos]
        call = gast.Call(func=self.ctx.ref(self.fwd_fn),
                         args=list(self.args[:self.n_pos]) + dots, keywords=kws)
        tup = gast.Tuple(elts=[store(target.id), store(fwd.dot(target.id))],
                         ctx=gast.Store())
        return [gast.copy_location(gast.Assign(targets=[tup], value=call,
                                               type_comment=None), self.stmt)]

    def backward(self, rev, out):
        target = self.stmt.targets[0]
        call = gast.Call(func=self.ctx.ref(self.bwd_fn),
                         args=[load(self.saved), load(rev.adj(target.id))], keywords=[])
        atoms = [self.args[i] for i in self.active_pos]
        if len(atoms) == 1:
            if isinstance(atoms[0], gast.Name) and atoms[0].id in rev.active:
                rev.accumulate(atoms[0].id, call, out)
        else:
            parts = rev.namer.fresh(f"{getattr(self.fn, '__name__', 'call')}_adjoints")
            out.append(assign(parts, call))
            for k, a in enumerate(atoms):
                if isinstance(a, gast.Name) and a.id in rev.active:
                    item = gast.Subscript(value=load(parts),
                                          slice=gast.Constant(value=k, kind=None),
                                          ctx=gast.Load())
                    rev.accumulate(a.id, item, out)
        if self.in_loop:
            out.append(Restore(self.saved))


def _bind(fn, call, ctx, where):
    try:
        sig = inspect.signature(fn)
        ba = sig.bind(*call.args, **{k.arg: k.value for k in call.keywords})
    except (TypeError, ValueError) as e:
        raise NoDerivative(f"{where}: cannot call '{fn.__name__}' with these "
                           f"arguments ({e})") from None
    ba.apply_defaults()
    args = []
    for p in sig.parameters.values():
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            raise NoDerivative(f"{where}: '{fn.__name__}' takes *args or **kwargs, "
                               f"which derived calls do not support")
        v = ba.arguments[p.name]
        if not isinstance(v, gast.AST):
            v = gast.Constant(value=v, kind=None) if v is None or isinstance(
                v, (bool, int, float, str)) else ctx.ref(v)
        args.append(v)
    n_pos = sum(p.kind != p.KEYWORD_ONLY for p in sig.parameters.values())
    names = [p.name for p in sig.parameters.values()][n_pos:]
    return args, n_pos, names


def prepare(tree, ctx, active, kinds, resolved, mode="split"):
    """Find calls to user functions that carry derivatives and derive the callees."""
    from .cache import building, concrete, derived
    ctx.user_calls = {}
    problems = []
    all_nodes = walk.statements(tree)  # (assignments are statements)
    loops = [n for n in all_nodes if isinstance(n, (gast.For, gast.While))]
    in_loop = {id(s) for lp in loops for s in walk.statements(lp)}
    for s in all_nodes:
        if not (isinstance(s, gast.Assign) and isinstance(s.value, gast.Call)):
            continue
        target = s.targets[0]
        if not (isinstance(target, gast.Name) and target.id in active):
            continue
        fn = resolved.get(s.value)
        if fn is None or not (_is_user_function(fn) or hasattr(fn, "__sct__")):
            continue
        where = ctx.quoted.where(s)
        args, n_pos, kw_names = _bind(fn, s.value, ctx, where)
        pos = [i for i, a in enumerate(args)
               if isinstance(a, gast.Name) and a.id in active]
        if not pos:
            continue
        arg_kinds = tuple(kinds.get(a.id, "O") if isinstance(a, gast.Name) else (
            "S" if isinstance(a, gast.Constant) and isinstance(a.value, float) else "O")
            for a in args)
        if hasattr(fn, "__sct__"):  # a derivative sct made: differentiate its code
            fn = concrete(fn, arg_kinds)
        try:
            built = building(fn, mode, tuple(pos), arg_kinds) or derived(
                fn, mode, tuple(pos), arg_kinds)
        except UnsupportedSyntax as e:  # report the whole call tree at once
            problems += [p for p in e.problems if p not in problems]
            continue
        uc = UserCall(ctx, s, fn, args, pos, built)
        uc.n_pos, uc.kw_names = n_pos, kw_names
        uc.in_loop = id(s) in in_loop
        ctx.user_calls[s] = uc
    if problems:
        raise UnsupportedSyntax(problems)
