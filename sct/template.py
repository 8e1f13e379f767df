"""Expands a rule template at one call site.

The template's parameters are replaced by the call's atoms, ``d[v]`` by the adjoint
(or tangent) of what ``v`` is bound to, or by a zero marker when that is inactive.
Zeros are simplified away (``0 * b`` vanishes, ``a + 0`` is ``a``, a linear call of
zero is zero); a zero that cannot be simplified becomes ``zeros_like(x)``. Template
locals get fresh names, template globals become references the emitter names.

The result is a list of items for the transform to place:
``("local", name, expr)``, ``("acc", param, expr)`` (``d[param] += expr``) and
``("set", expr)`` (``d[result] = expr``, tangent mode).

Each template is compiled once to a function that builds its copy (stamp.py); the
walk over the template (:func:`instantiate_copying`) is the reference it matches.
"""

from __future__ import annotations

import inspect

import gast

from . import stamp, walk
from .nodes import literal, load

from .errors import NoDerivative
from .rules import lookup
from .runtime import zeros_like

ZERO = "__sct_zero__"


def bind(rule, call_args, call_keywords, what):
    """``{param: atom}`` for a call, with defaults as constants.

    ``what``: where the call is, for messages (or a function that says it: only a
    call the rule refuses needs it)."""
    plan = rule.__dict__.get("_bind_plan")
    if plan is None:
        plan = rule.__dict__["_bind_plan"] = _bind_plan(rule)
    names, least, defaults = plan
    n = len(call_args)
    if not call_keywords and least <= n <= len(names):  # (what Signature.bind gives)
        out = dict(zip(names, call_args))
        if n < len(names):
            for name, default, is_literal in defaults[n:]:
                out[name] = literal(default) if is_literal else ("__default__", default)
    else:
        params = list(rule.signature.parameters.values())[1:]
        try:
            arguments = inspect.Signature(params).bind(
                *call_args, **call_keywords).arguments
        except TypeError as e:
            raise NoDerivative(f"{_what(what)}: the derivative rule '{rule.name}' does "
                               f"not accept these arguments ({e})") from None
        out = {}
        for name, default, is_literal in defaults:
            if name in arguments:
                out[name] = arguments[name]
            else:
                out[name] = literal(default) if is_literal else ("__default__", default)
    if rule.check is not None:
        try:
            rule.check({k: v.value for k, v in out.items() if isinstance(v, gast.Constant)})
        except ValueError as e:
            raise NoDerivative(f"{_what(what)}: {e}") from None
    return out


def _bind_plan(rule):
    """What :func:`bind` needs of a rule's signature, found once: the parameter names,
    the fewest positional arguments a call can bind without keywords (one more than
    there are parameters when some parameter cannot be given by position), and each
    parameter's ``(name, default, whether the default is written as a constant)``."""
    params = list(rule.signature.parameters.values())[1:]
    least = max((i + 1 for i, p in enumerate(params) if p.default is p.empty),
                default=0)
    if any(p.kind not in _POSITIONAL for p in params):
        least = len(params) + 1
    defaults = tuple((p.name, p.default, _is_literal(p.default)) for p in params)
    return tuple(p.name for p in params), least, defaults


def _what(what):
    return what() if callable(what) else what


_POSITIONAL = (inspect.Parameter.POSITIONAL_ONLY,
               inspect.Parameter.POSITIONAL_OR_KEYWORD)


def _is_literal(v):
    return v is None or isinstance(v, (bool, int, float, str)) or (
        isinstance(v, tuple) and all(_is_literal(x) for x in v))


def index_value(node, ref):
    """An index expression as a value: ``1:3`` becomes ``slice(1, 3, None)``."""
    if isinstance(node, gast.Slice):
        parts = [p if p is not None else gast.Constant(value=None, kind=None)
                 for p in (node.lower, node.upper, node.step)]
        return gast.Call(func=ref(slice), args=parts, keywords=[])
    if isinstance(node, gast.Tuple) and any(isinstance(e, gast.Slice) for e in node.elts):
        return gast.Tuple(elts=[index_value(e, ref) for e in node.elts], ctx=gast.Load())
    return node


def zero(primal):
    node = load(ZERO)
    node.primal = primal
    return node


def is_zero(node) -> bool:
    return isinstance(node, gast.Name) and node.id == ZERO


def has_zero(node) -> bool:
    """Whether ``node`` holds a zero marker anywhere."""
    if type(node) is gast.Name:
        return node.id == ZERO
    return any(is_zero(n) for n in walk.name_nodes(node))


def param_value(v, ref):
    """What an occurrence of a parameter bound to ``v`` becomes: a copy of its atom
    (an index as a value), or a reference to its default."""
    t = type(v)
    if t is _Name:  # (the usual atom: what walk.clone makes of it, without a walk)
        src = v.__dict__
        if src.get("annotation") is None and "primal" not in src:
            new = _new(_Name)  # (no node in it but its context, shared as in nodes.py)
            new.__dict__ = src.copy()
            return new
        return walk.clone(v)
    if t is _Constant:  # (a constant holds no node)
        new = _new(_Constant)
        new.__dict__ = v.__dict__.copy()
        return new
    if isinstance(v, tuple) and v and v[0] == "__default__":
        return ref(v[1])
    return index_value(walk.clone(v), ref)


_Name, _Constant, _new = gast.Name, gast.Constant, gast.AST.__new__


_NOT_GLOBAL = object()


class _Subst:
    """Copies a template's expression for one call site (the template's own tree is
    never changed): parameters become the call's atoms, ``d[v]`` its derivative,
    locals their fresh names, globals references."""

    def __init__(self, binding, deriv, ref, locals_, globals_):
        self.binding, self.deriv, self.ref, self.locals = binding, deriv, ref, locals_
        self.globals = globals_

    def copy(self, node):
        t = type(node)
        if t is gast.Name:
            return self.name(node)
        if t is gast.Subscript:
            if isinstance(node.value, gast.Name) and node.value.id == "d":
                return self.deriv(node.slice.id)
            if isinstance(node.slice, gast.Name) and node.slice.id in self.binding:
                new = t.__new__(t)
                new.__dict__ = node.__dict__.copy()
                new.value = self.copy(node.value)
                new.slice = walk.clone(self.binding[node.slice.id])  # an index, as is
                new.ctx = walk.clone(node.ctx)
                return new
        elif t is gast.Attribute:
            obj = self.dotted(node)
            if obj is not _NOT_GLOBAL:
                return self.ref(obj)
        new = t.__new__(t)
        src = node.__dict__
        d = new.__dict__ = src.copy()  # (a parsed template: fields and positions)
        for field in t._fields:  # depth first, in order: deriv and ref are called in
            v = src.get(field)   # the order of the template's text
            if type(v) is list:
                d[field] = [self.copy(x) if isinstance(x, gast.AST) else x for x in v]
            elif isinstance(v, gast.AST):
                d[field] = self.copy(v)
        return new

    def name(self, node):
        if node.id in self.locals:
            return gast.Name(id=self.locals[node.id], ctx=walk.clone(node.ctx),
                             annotation=None, type_comment=None)
        if node.id in self.binding:
            return param_value(self.binding[node.id], self.ref)
        if node.id in self.globals:
            return self.ref(self.globals[node.id])
        return walk.clone(node)

    def dotted(self, node):
        """``np.cos`` inside a template: the object the whole dotted name refers to."""
        chain, base = [], node
        while isinstance(base, gast.Attribute):
            chain.append(base.attr)
            base = base.value
        if not (isinstance(base, gast.Name) and base.id in self.globals):
            return _NOT_GLOBAL
        obj = self.globals[base.id]
        for a in reversed(chain):
            obj = getattr(obj, a)
        return obj


def instantiate(rule, mode, binding, deriv, ref, fresh):
    """The items of ``rule``'s ``mode`` block at a call site (see module doc).

    Args:
        binding: ``{param: expr}`` including the result parameter.
        deriv: ``param -> expr``: the adjoint/tangent of what ``param`` is bound to,
            or a zero (see :func:`zero`); called for ``d[param]`` reads.
        ref: ``object -> expr`` naming a global object in generated code.
        fresh: ``base -> name`` for template locals.
    """
    build = stamp.builder(rule, mode)
    if build is not None and binding.keys() == build.__sct_binds__:
        return build(binding, deriv, ref, fresh)  # (the same items, made faster)
    return instantiate_copying(rule, mode, binding, deriv, ref, fresh)


def instantiate_copying(rule, mode, binding, deriv, ref, fresh):
    """:func:`instantiate` by walking the template (what stamp.py compiles away);
    for templates stamp.py does not compile, and to check those it does."""
    adj, tan, glob = rule.parsed()
    stmts = adj if mode == "adjoint" else tan
    local_names = {}
    for s in stmts:
        if isinstance(s, gast.Assign) and isinstance(s.targets[0], gast.Name):
            n = s.targets[0].id
            if n not in local_names:
                local_names[n] = fresh(n)
    zeros = []  # whether a derivative read so far was (or held) a zero

    def deriv_seen(param):
        d = deriv(param)
        if not zeros and has_zero(d):
            zeros.append(d)
        return d

    def simplified(e):  # (without a zero marker, simplify changes nothing)
        return simplify(e, ref) if zeros else e

    sub = _Subst(binding, deriv_seen, ref, local_names, glob)
    items = []
    for s in stmts:  # (the template's own statements: read, never changed)
        if isinstance(s, gast.AugAssign) and _is_d(s.target):
            param = s.target.slice.id
            value = simplified(sub.copy(s.value))
            if isinstance(s.op, gast.Sub):
                value = simplified(gast.UnaryOp(op=gast.USub(), operand=value))
            items.append(("acc", param, value))
        elif isinstance(s, gast.Assign) and _is_d(s.targets[0]):
            items.append(("set", simplified(sub.copy(s.value))))
        elif isinstance(s, gast.Assign):
            items.append(("local", local_names[s.targets[0].id],
                          simplified(sub.copy(s.value))))
        else:
            raise SyntaxError(f"rule {rule.name}: unexpected statement in template")
    return items


def _is_d(node):
    return isinstance(node, gast.Subscript) and isinstance(node.value, gast.Name) \
        and node.value.id == "d"


def simplify(e, ref):
    """Remove zero markers: products with zero vanish, sums lose zero terms."""
    e = _simplify(e)
    if is_zero(e):
        return e
    return _materialize(e, ref)


def _simplify(e):
    if isinstance(e, gast.BinOp):
        e.left, e.right = _simplify(e.left), _simplify(e.right)
        lz, rz = is_zero(e.left), is_zero(e.right)
        if isinstance(e.op, (gast.Mult, gast.MatMult)) and (lz or rz):
            return e.left if lz else e.right
        if isinstance(e.op, (gast.Div, gast.FloorDiv)) and lz:
            return e.left
        if isinstance(e.op, gast.Add):
            if lz:
                return e.right
            if rz:
                return e.left
        if isinstance(e.op, gast.Sub):
            if rz:
                return e.left
            if lz:
                return gast.UnaryOp(op=gast.USub(), operand=e.right)
        return e
    if isinstance(e, gast.UnaryOp):
        e.operand = _simplify(e.operand)
        if is_zero(e.operand) and isinstance(e.op, (gast.USub, gast.UAdd)):
            return e.operand
        return e
    if isinstance(e, gast.Subscript):
        e.value = _simplify(e.value)
        return e.value if is_zero(e.value) else e
    if isinstance(e, gast.Call):
        e.args = [_simplify(a) for a in e.args]
        for k in e.keywords:
            k.value = _simplify(k.value)
        fn = getattr(e.func, "ref_object", None)
        r = lookup(fn) if fn is not None else None
        if r is not None and any(is_zero(e.args[i]) for i in r.linear
                                 if i < len(e.args)):
            return next(e.args[i] for i in r.linear if i < len(e.args)
                        and is_zero(e.args[i]))
        return e
    if isinstance(e, (gast.Tuple, gast.List)):
        e.elts = [_simplify(x) for x in e.elts]
        return e
    return e


class _Materialize(walk.Transformer):
    """Zero markers -> ``zeros_like(primal)`` calls."""

    def __init__(self, ref):
        self.ref = ref

    def visit_Name(self, node):
        if not is_zero(node):
            return node
        primal, ref = node.primal, self.ref
        if isinstance(primal, (gast.List, gast.Tuple)):
            return type(primal)(elts=[
                gast.Call(func=ref(zeros_like), args=[walk.clone(p)], keywords=[])
                for p in primal.elts], ctx=gast.Load())
        return gast.Call(func=ref(zeros_like), args=[walk.clone(primal)], keywords=[])


def _materialize(e, ref):
    if not any(is_zero(n) for n in walk.name_nodes(e)):
        return e  # (most expressions hold no zero marker)
    return _Materialize(ref).visit(e)
