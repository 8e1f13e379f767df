"""Rule templates compiled, once per rule and mode, to functions that build their copy.

:func:`sct.template.instantiate` copies a template's statements for each call site,
deciding at every node whether it is a parameter, a local, a global or ``d[v]``. Those
decisions depend on the template alone, so they are taken once here: the template
becomes the source of a Python function that builds exactly the nodes the generic
copy builds, in the same order (``deriv``, ``ref`` and ``fresh`` are called in the
order of the template's text, as there), with every node kind known in advance.

>>> import operator
>>> from sct.rules import lookup
>>> print(source(lookup(operator.neg), "adjoint"))  # d[a] -= d[y]
def build(B, deriv, ref, fresh):
    z = False
    items = []
    v1 = deriv('y')
    if not z and (v1.__class__ is not Name or v1.id == ZERO) and has_zero(v1): z = True
    if z: v1 = simplify(v1, ref)
    v2 = neg(v1)
    if z: v2 = simplify(v2, ref)
    items.append(('acc', 'a', v2))
    return items
<BLANKLINE>

(``z``: a derivative read so far was zero, and the expressions are simplified.)

A template this does not know how to compile (a statement that is no accumulation or
assignment, ``d[...]`` of anything but a name) gets ``None``; it is copied the
generic way, which also reports what is wrong with it.
"""

from __future__ import annotations

import gast

from . import walk

_NONE = object()


class _Unsupported(Exception):
    pass


def builder(rule, mode):
    """``build(binding, deriv, ref, fresh) -> items`` for ``rule``'s ``mode`` block (see
    template.py), or ``None``; compiled on first use and kept on the rule, whose
    template never changes (registering again makes a new rule)."""
    cache = rule.__dict__.get("_builders")
    if cache is None:
        cache = rule.__dict__.setdefault("_builders", {})
    fn = cache.get(mode, _NONE)
    if fn is _NONE:
        fn = cache[mode] = _compile(rule, mode)
    return fn


def source(rule, mode):
    """The source of ``rule``'s builder for ``mode`` (for people and tests)."""
    fn = builder(rule, mode)
    return None if fn is None else fn.__sct_source__


def _compile(rule, mode):
    try:
        src, env = _Writer(rule, mode).write()
    except _Unsupported:
        return None
    from . import template  # (template uses this module)
    env.update(_ENV, simplify=template.simplify, has_zero=template.has_zero,
               ZERO=template.ZERO,
               param=template.param_value)
    code = compile(src, f"<sct template {rule.name} {mode}>", "exec")
    exec(code, env)
    fn = env["build"]
    fn.__sct_source__ = src
    fn.__sct_binds__ = frozenset(rule.params) | {rule.result}  # (what it assumes)
    return fn


def _is_d(node):
    return isinstance(node, gast.Subscript) and isinstance(node.value, gast.Name) \
        and node.value.id == "d"


class _Writer:
    """Writes the builder's source: one line per node, children first."""

    def __init__(self, rule, mode):
        adj, tan, glob = rule.parsed()
        self.stmts = adj if mode == "adjoint" else tan
        self.glob = glob
        self.params = set(rule.params) | {rule.result}
        self.lines = []
        self.env = {}  # name in the source -> object
        self.consts = {}  # id(object) -> its name in the source
        self.count = 0
        self.locals = {}  # template local -> the variable holding its fresh name

    def const(self, obj):
        """A name for ``obj`` in the builder's source (literals are written out)."""
        if obj is None or type(obj) in (bool, int, str):
            return repr(obj)
        name = self.consts.get(id(obj))
        if name is None:
            name = self.consts[id(obj)] = f"K{len(self.consts)}"
            self.env[name] = obj
        return name

    def temp(self, expr):
        self.count += 1
        name = f"v{self.count}"
        self.lines.append(f"    {name} = {expr}")
        return name

    def write(self):
        for s in self.stmts:  # (instantiate names every local before any copy)
            if isinstance(s, gast.Assign) and isinstance(s.targets[0], gast.Name):
                n = s.targets[0].id
                if n not in self.locals:
                    self.locals[n] = f"L{len(self.locals)}"
                    self.lines.append(f"    {self.locals[n]} = fresh({n!r})")
        self.lines.append("    z = False")  # whether a derivative read so far held a zero
        self.lines.append("    items = []")
        for s in self.stmts:
            if isinstance(s, gast.AugAssign) and _is_d(s.target):
                param = self.d_param(s.target)
                value = self.simplified(self.copy(s.value))
                if isinstance(s.op, gast.Sub):
                    value = self.simplified(self.temp(f"neg({value})"))
                self.lines.append(f"    items.append(('acc', {param!r}, {value}))")
            elif isinstance(s, gast.Assign) and len(s.targets) == 1 and _is_d(s.targets[0]):
                value = self.simplified(self.copy(s.value))
                self.lines.append(f"    items.append(('set', {value}))")
            elif isinstance(s, gast.Assign) and len(s.targets) == 1 and isinstance(
                    s.targets[0], gast.Name):
                value = self.simplified(self.copy(s.value))
                local = self.locals[s.targets[0].id]
                self.lines.append(f"    items.append(('local', {local}, {value}))")
            else:
                raise _Unsupported
        self.lines.append("    return items")
        src = "def build(B, deriv, ref, fresh):\n" + "\n".join(self.lines) + "\n"
        return src, self.env

    def simplified(self, name):
        self.lines.append(f"    if z: {name} = simplify({name}, ref)")
        return name

    def d_param(self, node):
        if not isinstance(node.slice, gast.Name):
            raise _Unsupported
        return node.slice.id

    # -- one expression, as the generic copy (template._Subst) makes it --------------
    def copy(self, node):
        """The name of a variable that holds the copy of ``node``."""
        t = type(node)
        if t is gast.Name:
            return self.name(node)
        if t is gast.Subscript:
            if isinstance(node.value, gast.Name) and node.value.id == "d":
                v = self.temp(f"deriv({self.d_param(node)!r})")
                self.lines.append(f"    if not z and ({v}.__class__ is not Name or "
                                  f"{v}.id == ZERO) and has_zero({v}): z = True")
                return v
            if isinstance(node.slice, gast.Name) and node.slice.id in self.params:
                value = self.copy(node.value)
                fields = {"value": value, "slice": f"clone(B[{node.slice.id!r}])",
                          "ctx": self.leaf(node.ctx)}
                return self.node(node, fields)
        elif t is gast.Attribute:
            chain, base = [], node
            while isinstance(base, gast.Attribute):
                chain.append(base.attr)
                base = base.value
            if isinstance(base, gast.Name) and base.id in self.glob:
                path = "".join(f".{a}" for a in reversed(chain))
                return self.temp(f"ref({self.const(self.glob[base.id])}{path})")
        fields = {}
        src = node.__dict__
        for field in t._fields:  # (children in the order the generic copy visits them)
            v = src.get(field)
            if type(v) is list:
                fields[field] = "[" + "".join(
                    (self.copy(x) if isinstance(x, gast.AST) else self.const(x)) + ", "
                    for x in v) + "]"
            elif isinstance(v, gast.AST):
                fields[field] = self.copy(v)
        return self.node(node, fields)

    def node(self, node, fields):
        """A new node of ``node``'s class: its attributes, with ``fields`` replaced."""
        t = type(node)
        if not node.__dict__:
            return self.leaf(node)
        entries = list(node.__dict__.items())
        tail = ""  # (a node's position, the same dict for every copy: one name)
        if len(entries) > 4 and tuple(k for k, _ in entries[-4:]) == _POSITIONS:
            tail = f", **{self.const(dict(entries[-4:]))}"
            del entries[-4:]
        items = ", ".join(f"{k!r}: {fields[k] if k in fields else self.const(v)}"
                          for k, v in entries) + tail
        v = self.temp(f"new({self.const(t)})")
        self.lines.append(f"    {v}.__dict__ = {{{items}}}")
        return v

    def leaf(self, node):
        """A context or an operator: a marker without fields, the one shared instance
        of its class (as in the nodes nodes.py makes, and the trees Python parses)."""
        if node.__dict__:
            raise _Unsupported
        t = type(node)
        if t in walk.MARKS:
            return self.const(_MARKS.setdefault(t, t()))
        return f"new({self.const(t)})"

    def name(self, node):
        i = node.id
        if i in self.locals:
            return self.temp(f"name({self.locals[i]}, {self.leaf(node.ctx)})")
        if i in self.params:
            return self.temp(f"param(B[{i!r}], ref)")
        if i in self.glob:
            return self.temp(f"ref({self.const(self.glob[i])})")
        return self.temp(f"clone({self.const(node)})")


_new = gast.AST.__new__  # (new(cls): a node of class cls, nothing set)
_MARKS = {}  # context or operator class -> its one instance in built nodes
_POSITIONS = ("lineno", "col_offset", "end_lineno", "end_col_offset")


def _name(id_, ctx):
    """``gast.Name(id=id_, ctx=ctx, annotation=None, type_comment=None)``, faster."""
    node = _new(gast.Name)
    node.__dict__ = {"id": id_, "ctx": ctx, "annotation": None, "type_comment": None}
    return node


def _neg(operand):
    """``gast.UnaryOp(op=gast.USub(), operand=operand)``, faster (the operator shared)."""
    node = _new(gast.UnaryOp)
    node.__dict__ = {"op": _USUB, "operand": operand}
    return node


_USUB = gast.USub()


_ENV = {"new": _new, "name": _name, "neg": _neg, "clone": walk.clone, "Name": gast.Name}
