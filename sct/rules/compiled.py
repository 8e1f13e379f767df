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
import copy
import itertools
import threading

import gast

from .. import template
from ..runtime import add_adjoint, unbroadcast

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


def vjp_callable(rule):
    """``f(y, y_bar, *args, **kwargs) -> tuple`` of adjoints, one per parameter.

    ``None`` stands for a zero adjoint (a parameter the rule does not differentiate,
    such as an axis). Broadcasting is undone for elementwise rules.
    """
    fn = getattr(rule, "_vjp_callable", None)
    if fn is not None:
        return fn
    with _lock:
        refs = _Refs()
        params = rule.params
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
            if template.is_zero(expr):
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
        rule._vjp_callable = fn
        return fn


def jvp_callable(rule):
    """``f(y, args, tangents, **kwargs) -> y_dot``.

    ``tangents`` has one entry per positional argument in ``args``; ``None`` is a zero
    tangent. Keyword arguments have no tangent.
    """
    fn = getattr(rule, "_jvp_callable", None)
    if fn is not None:
        return fn
    with _lock:
        refs = _Refs()
        params = rule.params
        binding = {p: _name(p) for p in params}
        binding[rule.result] = _name("y")
        counter = itertools.count()
        dot_names = {p: f"{p}_dot" for p in params}

        items = template.instantiate(rule, "tangent", binding,
                                     lambda p: _name(dot_names[p]), refs,
                                     lambda base: f"{base}_{next(counter)}")
        body = []
        result = "None"
        for item in items:
            if item[0] == "local":
                body.append(f"    {item[1]} = {_src(item[2])}")
            elif item[0] == "set":
                result = _src(item[1])
        name = f"{rule.name}_jvp"
        plist = _params_source(rule) + [f"{p}_dot=None" for p in params]
        src = (f"def {name}(y, {', '.join(plist)}):\n" + "".join(b + "\n" for b in body)
               + f"    return {result}\n")
        inner = _compile(src, refs.env, name)
        from ..runtime import zeros_like

        def jvp(y, args, tangents, **kwargs):
            dots = {}
            for p, a, t in zip(params, args, tangents):
                dots[f"{p}_dot"] = zeros_like(a) if t is None else t
            sig = rule.signature.parameters
            for p in params[len(args):]:
                value = kwargs[p] if p in kwargs else sig[p].default
                dots[f"{p}_dot"] = zeros_like(value)
            return inner(y, *args, **kwargs, **dots)

        jvp.__sct_source__ = src
        rule._jvp_callable = jvp
        return jvp


def _src(node) -> str:
    node = copy.deepcopy(node)
    return ast.unparse(ast.fix_missing_locations(gast.gast_to_ast(node)))
