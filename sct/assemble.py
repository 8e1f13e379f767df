"""Sweeps -> function definitions: fused (``f_vjp``, ``f_grad``) or split (``f_fwd``/``f_bwd``).

The fused forms keep both sweeps in one function, so the optimizer sees the whole
derivative: a gradient that does not need the function's value never computes it.
The split form returns the values the reverse sweep reads from the forward sweep, for
``sct.vjp`` and for calls from other derivatives.
"""

from __future__ import annotations


import gast

from . import walk
from . import batch, escape, fold, optimize, specialize
from .mutation import callee
from .normalize import assign, load, store
from .reverse import comment
from .runtime import as_grad, zeros_like


def _args(tree, extra=()):
    args = walk.clone(tree.args)
    for name, default in extra:
        args.args.append(gast.Name(id=name, ctx=gast.Param(), annotation=None,
                                   type_comment=None))
        if default is not None or args.defaults:
            args.defaults.append(gast.Constant(value=default, kind=None))
    return args


def _fdef(name, args, body):
    return gast.FunctionDef(name=name, args=args, body=body, decorator_list=[],
                            returns=None, type_comment=None, type_params=[])


def _grad_exprs(sweeps, ctx, kinds):
    out = []
    for arg, adj in sweeps.grads:
        if adj is None:
            out.append(gast.Call(func=ctx.ref(zeros_like), args=[load(arg)], keywords=[]))
        elif kinds.get(arg) == "S":
            out.append(load(adj))
        else:
            out.append(gast.Call(func=ctx.ref(as_grad), args=[load(adj), load(arg)],
                                 keywords=[]))
    return out


def _tuple(elts):
    return gast.Tuple(elts=elts, ctx=gast.Load())


def _floats(sweeps, kinds):
    names = set(sweeps.adjoints.values())
    names |= {n for n, k in kinds.items() if k in ("S", "A", "N")}
    return names


def fused(sweeps, tree, ctx, kinds, name, returns, seed_param):
    """One function computing both sweeps.

    Args:
        returns: "grad" (the gradients: one, or a tuple when ``tuple_grads``),
            "value_and_grad" (value, gradients) or "vjp" (value, gradients tuple).
        seed_param: add ``out_bar=1.0`` as the last parameter.
    """
    grads = _grad_exprs(sweeps, ctx, kinds)
    g = grads[0] if len(grads) == 1 and not ctx.tuple_grads else _tuple(grads)
    if returns == "grad":
        ret = g
    else:
        ret = _tuple([walk.clone(sweeps.out), g])
    body = [comment("=forward sweep")] + sweeps.fwd + [comment("="),
                                                        comment("=reverse sweep")]
    body += sweeps.rev + [gast.Return(value=ret)]
    floats = _floats(sweeps, kinds)
    body = optimize.run(body, floats=floats, pure_call=ctx.pure_call)
    body, dropped = specialize.run(batch.run(body, ctx), ctx)
    if dropped:  # values read only for a shape or a count: now unread, or constants
        # (one round forwards the new constants and copies and removes what is unread)
        body = optimize.run(body, floats=floats, pure_call=ctx.pure_call, max_rounds=1)
    body = fold.run(body, ctx.temporaries, ctx.pure_call, ctx.user_names)
    extra = [(ctx.seed_name, 1.0)] if seed_param else []
    args = _args(tree, extra)
    _fresh_results(body, args, ctx, kinds, value_first=returns != "grad")
    return _fdef(name, args, _tidy(body))


def _fresh_results(body, args, ctx, kinds, value_first=False):
    """Copy returned gradients (and the value) that may share memory with an argument
    or another (escape.py)."""
    params = [a.id for a in args.posonlyargs + args.args + args.kwonlyargs]
    arrays = {n for n, k in kinds.items() if k in ("A", "N")}
    escape.run(body, params, lambda call: callee(call, ctx), ctx.ref, arrays,
               value_first)


def split(sweeps, tree, ctx, kinds, name):
    """``name_fwd(args) -> (out, saved)`` and ``name_bwd(saved, out_bar) -> grads``."""
    grads = _grad_exprs(sweeps, ctx, kinds)
    g = grads[0] if len(grads) == 1 and not ctx.tuple_grads else _tuple(grads)
    rev = optimize.run(sweeps.rev + [gast.Return(value=g)],
                       floats=_floats(sweeps, kinds), pure_call=ctx.pure_call)
    rev = batch.run(rev, ctx)
    defined = {n.id for n in walk.nodes(gast.Module(body=rev, type_ignores=[]))
               if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store)}
    reads = []
    for n in walk.nodes(gast.Module(body=rev, type_ignores=[])):
        if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Load) \
                and n.id not in reads and not n.id.startswith("__sct_ref"):
            reads.append(n.id)
    fwd_names = {n.id for s in sweeps.fwd for n in walk.nodes(s)
                 if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store)}
    fwd_names |= {a.id for a in tree.args.args + tree.args.kwonlyargs}
    saved = [r for r in reads if r in fwd_names and (r not in defined or r in (
        sweeps.recorded + ([sweeps.tape] if sweeps.tape else [])))]
    saved = [r for r in saved if r != ctx.seed_name]
    saved_name = ctx.namer.fresh("saved")
    top = {n.id for st in sweeps.fwd if isinstance(st, gast.Assign)
           for n in walk.nodes(st) if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store)}
    top |= {a.id for a in tree.args.args + tree.args.posonlyargs + tree.args.kwonlyargs}
    # values assigned only on some paths: defined on every path, so they can be saved
    maybe = [assign(n, gast.Constant(value=None, kind=None)) for n in saved if n not in top]
    sweeps.fwd = maybe + sweeps.fwd
    ret = _tuple([walk.clone(sweeps.out), _tuple([load(s) for s in saved])])
    fwd = optimize.run(sweeps.fwd + [gast.Return(value=ret)],
                       floats=_floats(sweeps, kinds), pure_call=ctx.pure_call)
    unpack = []
    if saved:
        target = gast.Tuple(elts=[store(s) for s in saved], ctx=gast.Store())
        unpack = [gast.Assign(targets=[target], value=load(saved_name), type_comment=None)]
    bwd_args = gast.arguments(args=[gast.Name(id=saved_name, ctx=gast.Param(),
                                              annotation=None, type_comment=None),
                                    gast.Name(id=ctx.seed_name, ctx=gast.Param(),
                                              annotation=None, type_comment=None)],
                              posonlyargs=[], vararg=None, kwonlyargs=[], kw_defaults=[],
                              kwarg=None, defaults=[])
    fargs = _args(tree)
    _fresh_results(fwd, fargs, ctx, kinds, value_first=True)
    f = _fdef(f"{name}_fwd", fargs, _tidy(fwd))
    rev = unpack + rev
    _fresh_results(rev, bwd_args, ctx, kinds)
    b = _fdef(f"{name}_bwd", bwd_args, _tidy(rev))
    tape_index = saved.index(sweeps.tape) if sweeps.tape in saved else None
    return f, b, tape_index


def _tidy(body):
    """Section comments only where their section has code."""
    def section(s):  # a sweep's title or the blank line between the sweeps
        return optimize._is_comment(s) and s.value.value[len(optimize.COMMENT):] in (
            "=", "=forward sweep", "=reverse sweep")

    out = list(body)
    i = 0
    while i < len(out):
        if section(out[i]) and out[i].value.value.endswith("forward sweep") and (
                i + 1 < len(out) and section(out[i + 1])):
            del out[i:i + 2]  # no forward sweep left: drop its title and the blank
            continue
        i += 1
    if out and section(out[-2 if len(out) > 1 else -1]) and isinstance(
            out[-1], gast.Return):
        del out[-2]
        while out and len(out) > 1 and section(out[-2]):
            del out[-2]
    return out or [gast.Pass()]


def forward_fn(tree, ctx, name, body, out, out_dot, dot_params, floats,
               tangent_only=False):
    """``name(args..., x_dot, ...) -> (out, out_dot)``: the forward-mode derivative
    (``-> out_dot`` for ``tangent_only``: what is needed only for the value goes)."""
    ret = gast.Return(value=out_dot if tangent_only else _tuple([walk.clone(out), out_dot]))
    body = optimize.run(body + [ret], floats=floats, pure_call=ctx.pure_call)
    temps = ctx.temporaries | {f"{t}_dot" for t in ctx.temporaries}
    body = fold.run(body, temps, ctx.pure_call)
    args = walk.clone(tree.args)
    for d in dot_params:
        args.args.append(gast.Name(id=d, ctx=gast.Param(), annotation=None,
                                   type_comment=None))
    if args.defaults:  # tangents follow parameters with defaults: give them one too
        args.defaults += [gast.Constant(value=None, kind=None)] * len(dot_params)
    return _fdef(name, args, body or [gast.Pass()])
