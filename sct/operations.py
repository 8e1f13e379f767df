"""The reverse of an assignment's value: the derivative rule's adjoint, placed.

A mixin of the reverse transform (reverse.py). For ``y = f(a, b)`` the rule of ``f``
binds its parameters to the call's atoms, its template is instantiated
(template.py) with ``d[y]`` the adjoint of ``y`` and ``d[a]`` that of ``a`` or a zero,
and each ``d[a] += ...`` it gives becomes an accumulation into an active operand,
with broadcasting undone for elementwise rules (broadcast.py). Copies, literal
containers and their items move adjoints without a rule.
"""

from __future__ import annotations

import gast

from . import broadcast, stamp, template, walk
from .errors import NoDerivative, UnsupportedSyntax
from .nodes import assign, load
from .rules import lookup

_UNSET = object()
_ZERO = template.ZERO
_ATOMS = (gast.Name, gast.Constant)
_new, _Name, _LOAD = gast.AST.__new__, gast.Name, load("x").ctx


def _adjoint_plan(rule):
    """``(rule.has_mode("adjoint"), its builder or None, what the builder binds)``,
    found on first use and kept on the rule (whose template never changes: registering
    again makes a new rule)."""
    has = rule.has_mode("adjoint")
    build = stamp.builder(rule, "adjoint") if has and not rule.nondiff else None
    plan = rule.__dict__["_adjoint_plan"] = (
        has, build, None if build is None else build.__sct_binds__)
    return plan


def _reads_active(value, active):
    """Whether an active name occurs in ``value`` (as ``walk.name_nodes`` finds them):
    without a walk for an operation on atoms, the usual case."""
    t = type(value)
    if t is gast.BinOp:
        a, b = value.left, value.right
        if type(a) in _ATOMS and type(b) in _ATOMS:
            return (type(a) is gast.Name and a.id in active) or (
                type(b) is gast.Name and b.id in active)
    elif t is gast.Call:
        f = value.func
        while type(f) is gast.Attribute:
            f = f.value
        if type(f) is gast.Name:
            if f.id in active:
                return True
            operands = value.args if not value.keywords else value.args + [
                k.value for k in value.keywords]
            for x in operands:
                tx = type(x)
                if tx is gast.Name:
                    if x.id in active:
                        return True
                elif tx is not gast.Constant:
                    break  # (an operand that is no atom: the walk below decides)
            else:
                return False
    for n in walk.name_nodes(value):
        if n.id in active:
            return True
    return False


class Site:
    """The operation whose rule is being placed, as its builder and ``bind`` ask about
    it: one per transform, set per operation (no closures made per statement)."""

    __slots__ = ("rev", "s", "result", "y", "binding", "deriv", "where")

    def __init__(self, rev):
        self.rev = rev
        self.deriv, self.where = self._deriv, self._where  # (bound once)

    def _deriv(self, param):
        """``d[param]``: the adjoint of the result, or of what ``param`` is bound to."""
        if param == self.result:  # (load(rev.adj_read(y)), inline)
            rev, y = self.rev, self.y
            node = _new(_Name)
            node.__dict__ = {"id": rev.alias.get(y) or rev.adj_names.get(y) or rev.adj(y),
                             "ctx": _LOAD, "annotation": None, "type_comment": None}
            return node
        return self.rev.deriv_of(self.binding[param])

    def _where(self):
        return self.rev.ctx.quoted.where(self.s)

    def close(self):
        """Drop what refers back to the transform and to itself (its bound methods),
        so that the build's trees are freed when it ends, not at a collection."""
        self.rev = self.deriv = self.where = self.s = self.binding = None


class OperationsReverse:
    def backward_value(self, s, target, out):
        value = s.value
        t = type(value)
        if t is gast.Call or t is gast.BinOp:  # (the commonest: straight to the rule)
            return self.backward_operation(s, target, out)
        if t is gast.Constant:
            return
        if t is gast.Name:
            if value.id in self.active:
                self.accumulate(value.id, load(self.adj_read(target.id)), out)
            return
        if t is gast.Dict:
            for k, e in zip(value.keys, value.values):
                if self.is_active(e):
                    item = gast.Subscript(value=load(self.adj_read(target.id)),
                                          slice=walk.clone(k), ctx=gast.Load())
                    self.accumulate(e.id, item, out)
            return
        if t is gast.Tuple or t is gast.List:
            for i, e in enumerate(value.elts):
                if self.is_active(e):
                    item = gast.Subscript(value=load(self.adj_read(target.id)),
                                          slice=gast.Constant(value=i, kind=None),
                                          ctx=gast.Load())
                    self.accumulate(e.id, item, out)
            return
        return self.backward_operation(s, target, out)

    def backward_operation(self, s, target, out):
        """The adjoint of an operation with a derivative rule: its template, placed."""
        value = s.value
        active = self.active
        if not _reads_active(value, active):
            return  # only inactive operands: no derivative flows here
        if type(value) is gast.BinOp:
            left, right = value.left, value.right
            kinds = self.kinds
            if (type(left) is gast.Name and kinds.get(left.id) == "T") or (
                    type(right) is gast.Name and kinds.get(right.id) == "T"):
                q = self.ctx.quoted
                raise UnsupportedSyntax([(q.filename, q.line(s),
                                          f"'{q.text(s)}': '+' or '*' on a list or tuple "
                                          f"(concatenation, repetition) is not supported "
                                          f"in differentiated code (in function "
                                          f"'{q.name}'); build the list with append or "
                                          f"a comprehension")])
            args, kws = [left, right], {}
        else:
            args, kws = call_args(value)
        fn = self.resolved.get(value)
        r = lookup(fn) if fn is not None else None
        if r is not None:
            has_adjoint, build, binds = r.__dict__.get("_adjoint_plan") or \
                _adjoint_plan(r)
        if r is None or not has_adjoint:
            raise NoDerivative(self.no_rule_message(s, value, fn))
        if r.nondiff:
            return
        site = self.site
        site.s = s
        binding = template.bind(r, args, kws, site.where)
        binding[r.result] = load(target.id)
        site.result, site.y, site.binding = r.result, target.id, binding
        deriv = site.deriv
        if build is not None and binding.keys() == binds:
            items = build(binding, deriv, self.ctx.ref, self.namer.fresh)
        else:
            items = template.instantiate_copying(r, "adjoint", binding, deriv,
                                                 self.ctx.ref, self.namer.fresh)
        common = _UNSET  # the class of the result, for broadcasting: found once
        classes = self.shapes
        for kind, param, expr in items:
            if kind == "local":
                if self.straight:
                    self.held(param, expr)
                out.append(assign(param, expr))
                continue
            bound = binding[param]
            if type(expr) is gast.Name and expr.id == _ZERO:
                continue
            tb = type(bound)
            if tb is not gast.Name:
                if tb is gast.List or tb is gast.Tuple:
                    self.accumulate_sequence(bound, expr, out)
                continue
            name = bound.id
            if name not in active:
                continue
            if r.elementwise:
                if common is _UNSET:
                    common = broadcast.result_class(args, classes, self.common_classes)
                # (undo leaves an operand of the result's class as it is)
                if common is None or classes.get(name, name) != common:
                    expr = broadcast.undo(expr, bound, r.positions[param], args, classes,
                                          self.kinds, self.ctx.ref, common)
            self.accumulate(name, expr, out)

    def accumulate_sequence(self, seq, expr, out):
        if not any(self.is_active(e) for e in seq.elts):
            return
        parts = self.namer.fresh("parts")
        if self.straight:
            self.held(parts, expr)
        out.append(assign(parts, expr))
        for i, e in enumerate(seq.elts):
            if self.is_active(e):
                item = gast.Subscript(value=load(parts),
                                      slice=gast.Constant(value=i, kind=None),
                                      ctx=gast.Load())
                self.accumulate(e.id, item, out)

    def no_rule_message(self, s, value, fn):
        where = self.ctx.quoted.where(s)
        text = self.ctx.quoted.text(s)
        if isinstance(value, gast.Call) and isinstance(value.func, gast.Attribute) and \
                value.func.attr == "pop" and (value.args or value.keywords):
            return (f"{where}: cannot differentiate '{text}': a differentiated list can "
                    f"only be popped from its end, lst.pop() (in function "
                    f"'{self.ctx.quoted.name}'); take lst[i] and rebuild the list instead")
        if fn is None:
            what = gast.unparse(value) if hasattr(gast, "unparse") else type(value).__name__
            return (f"{where}: cannot differentiate '{text}': the call or operation is not "
                    f"known when the derivative is built (in function "
                    f"'{self.ctx.quoted.name}'). Call a module-level function or one with "
                    f"a derivative rule (see sct.rule). [{what}]")
        name = getattr(fn, "__qualname__", None) or getattr(fn, "__name__", repr(fn))
        module = getattr(fn, "__module__", None)
        full = f"{module}.{name}" if module and module != "builtins" else name
        return (f"{where}: no derivative rule for '{full}' (in function "
                f"'{self.ctx.quoted.name}', '{text}'). Register one with "
                f"@sct.rule({name}), or wrap the call in sct.stop_gradient if its "
                f"derivative should be zero.")


def call_args(value):
    """The positional and keyword atoms of an operation, as for a call.

    >>> import gast
    >>> args, kws = call_args(gast.parse("np.sum(x, axis=0)").body[0].value)
    >>> [a.id for a in args], {k: v.value for k, v in kws.items()}
    (['x'], {'axis': 0})
    """
    if isinstance(value, gast.Call):
        return list(value.args), {k.arg: k.value for k in value.keywords}
    if isinstance(value, gast.BinOp):
        return [value.left, value.right], {}
    if isinstance(value, gast.UnaryOp):
        return [value.operand], {}
    if isinstance(value, gast.Subscript):
        return [value.value, value.slice], {}
    if isinstance(value, gast.Compare):
        return [value.left, value.comparators[0]], {}
    return [], {}
