"""Rule templates turned into plain callables, for engines that run rules directly.

The operator-overloading tape and the dual numbers (``sct.baseline``) and the rule
tests use the same templates the compiler inlines, so every engine computes each
derivative with the same formula.

>>> import numpy as np
>>> from sct.rules import lookup
>>> back = vjp_callable(lookup(np.sin))
>>> back(np.sin(0.5), 1.0, 0.5)
(np.float64(0.8775825618903728),)
"""

from __future__ import annotations

import ast
import itertools
import threading

import gast

from .. import walk
from .. import template
from ..runtime import add_adjoint, broadcast_like, unbroadcast, zeros_like

_lock = threading.Lock()
_count = itertools.count()


class _Refs:
    def __init__(self):
        self.env = {}
        self.ids = {}

    def __call__(self, obj):
        if id(obj) not in self.ids:
            name = f"__ref{len(self.ids)}"
            self.ids[id(obj)] = name
            self.env[name] = obj
        node = gast.Name(id=self.ids[id(obj)], ctx=gast.Load(), annotation=None,
                         type_comment=None)
        node.ref_object = obj
        return node


def _name(n):
    return gast.Name(id=n, ctx=gast.Load(), annotation=None, type_comment=None)


def _params_source(rule):
    parts = []
    for p in list(rule.signature.parameters.values())[1:]:
        if p.default is p.empty:
            parts.append(p.name)
        else:
            parts.append(f"{p.name}={p.default!r}")
    return parts


def _compile(src, env, name):
    filename = f"<sct rule {name} #{next(_count)}>"
    code = compile(src, filename, "exec")
    ns = dict(env)
    exec(code, ns)
    fn = ns[name]
    fn.__sct_source__ = src
    return fn


def vjp_callable(rule, active=None):
    """``f(y, y_bar, *args, **kwargs) -> tuple`` of adjoints, one per parameter.

    ``None`` stands for a zero adjoint (a parameter the rule does not differentiate,
    such as an axis). ``active`` (one flag per parameter, leading ones; the rest are
    inactive) leaves out the adjoints nobody needs, which may not even be defined
    there (the exponent of ``x ** 2`` at a negative ``x``). Broadcasting is undone
    for elementwise rules.
    """
    params = rule.params
    mask = _mask(params, active)
    cache = rule.__dict__.setdefault("_vjp_callables", {})
    fn = cache.get(mask)
    if fn is not None:
        return fn
    with _lock:
        refs = _Refs()
        binding = {p: _name(p) for p in params}
        binding[rule.result] = _name("y")
        counter = itertools.count()

        def deriv(p):
            return _name("y_bar") if p == rule.result else template.zero(_name(p))

        items = template.instantiate(rule, "adjoint", binding, deriv, refs,
                                     lambda base: f"{base}_{next(counter)}")
        body = [f"    {p}_bar = None" for p in params]
        for item in items:
            if item[0] == "local":
                body.append(f"    {item[1]} = {_src(item[2])}")
                continue
            _, p, expr = item
            if template.is_zero(expr) or not mask[params.index(p)]:
                continue
            e = _src(expr)
            if rule.elementwise:
                e = f"{refs(unbroadcast).id}({e}, {p})"
            body.append(f"    {p}_bar = {refs(add_adjoint).id}({p}_bar, {e})")
        ret = ", ".join(f"{p}_bar" for p in params)
        name = f"{rule.name}_vjp"
        src = (f"def {name}(y, y_bar, {', '.join(_params_source(rule))}):\n"
               + "\n".join(body) + f"\n    return ({ret},)\n")
        fn = _compile(src, refs.env, name)
        cache[mask] = fn
        return fn


def _mask(params, active):
    if active is None:
        return (True,) * len(params)
    active = tuple(bool(a) for a in active)
    return active[:len(params)] + (False,) * (len(params) - len(active))


def jvp_callable(rule):
    """``f(y, args, tangents, **kwargs) -> y_dot``.

    ``tangents`` has one entry per positional argument in ``args``; ``None`` is a zero
    tangent, and its terms are left out of the formula (compiled once per pattern of
    zero tangents). Keyword arguments and defaults have no tangent.
    """
    fn = getattr(rule, "_jvp_callable", None)
    if fn is not None:
        return fn
    params = rule.params
    inner_by_mask = {}

    def inner_for(mask):
        inner = inner_by_mask.get(mask)
        if inner is None:
            with _lock:
                inner = inner_by_mask[mask] = _compile_jvp(rule, mask)
        return inner

    def jvp(y, args, tangents, **kwargs):
        mask = tuple(t is not None for t in tangents)
        dots = {f"{p}_dot": t for p, t in zip(params, tangents) if t is not None}
        return inner_for(mask)(y, *args, **kwargs, **dots)

    jvp.__sct_source__ = _compile_jvp(rule, (True,) * len(params)).__sct_source__
    rule._jvp_callable = jvp
    return jvp


def _compile_jvp(rule, active):
    params = rule.params
    mask = _mask(params, active)
    refs = _Refs()
    binding = {p: _name(p) for p in params}
    binding[rule.result] = _name("y")
    counter = itertools.count()

    def deriv(p):
        return _name(f"{p}_dot") if mask[params.index(p)] else template.zero(_name(p))

    items = template.instantiate(rule, "tangent", binding, deriv, refs,
                                 lambda base: f"{base}_{next(counter)}")
    body = []
    result = None
    for item in items:
        if item[0] == "local":
            body.append(f"    {item[1]} = {_src(item[2])}")
        elif item[0] == "set":
            result = item[1]
    if result is None or template.is_zero(result):
        result_src = f"{refs(zeros_like).id}(y)"
    elif rule.elementwise and not all(mask[:len(params)]):
        # with some tangents zero, the rest may broadcast to less than the result
        result_src = f"{refs(broadcast_like).id}({_src(result)}, y)"
    else:
        result_src = _src(result)
    name = f"{rule.name}_jvp"
    plist = _params_source(rule) + [f"{p}_dot=None" for p, m in zip(params, mask) if m]
    src = (f"def {name}(y, {', '.join(plist)}):\n" + "".join(b + "\n" for b in body)
           + f"    return {result_src}\n")
    return _compile(src, refs.env, name)


def _src(node) -> str:
    node = walk.clone(node)
    return ast.unparse(ast.fix_missing_locations(gast.gast_to_ast(node)))
