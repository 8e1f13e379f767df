"""The interpreter behind :func:`sct.trace`: three-address statements run one at a time.

Each executed assignment of ``f``'s normalized form becomes a :class:`Step` holding
its value and, when it depends on a differentiated input, what its derivatives need:
the rule (as a :class:`~sct.baseline.elementary.Primitive`, whose adjoint and tangent
are the compiled rule templates), the argument values, and the Steps they came from.
Tangents are computed as the statements run; adjoints afterwards (``sct/trace.py``).

Nothing the function can reach is written: an array written in place is copied first,
and any later read that would have seen the write through another name is an error,
as is every construct the interpreter cannot follow. A table is right or not made.
"""

from __future__ import annotations

import ast
import inspect
import operator

import gast
import numpy as np

from . import pipeline, runtime, walk
from .baseline.elementary import Active, primitive
from .errors import SCTError
from .trace_render import Step, freeze, has_float, source_text


class TraceError(SCTError):
    """The function does what :func:`sct.trace` cannot follow (at file:line, named)."""


class _Jump(Exception):
    """``break``, ``continue`` or ``return`` (args: the kind, and what is returned)."""


class Struct:
    """A tuple, list or dict literal holding values with derivatives (``items``)."""

    def __init__(self, items):
        self.items = items


def _struct(items):
    """A ref for a container of refs: ``None`` when no item has a derivative."""
    return Struct(items) if any(r is not None for r in (
        items.values() if isinstance(items, dict) else items)) else None


class _Slot(Active):
    """Marks an argument with a derivative while a rule binds keywords to positions."""

    __slots__ = ("i",)

    def __init__(self, i):
        self.i = i


class _Index:
    def __getitem__(self, key):
        return key


_MUTATORS = {"append", "extend", "insert", "pop", "remove", "clear", "sort", "reverse",
             "update", "setdefault", "popitem", "fill", "resize", "put"}


def _load(ident):
    return gast.Name(id=ident, ctx=gast.Load(), annotation=None, type_comment=None)


class Interpreter:
    """Runs one function's normalized tree; ``steps`` are the rows, in order."""

    def __init__(self, fn):
        ctx, self.tree, self.resolved = pipeline.front(fn)
        self.q, self.refs_env = ctx.quoted, ctx.refs
        self.env = dict(self.q.globals)
        for name, cell in self.q.cells.items():
            try:
                self.env[name] = cell.cell_contents
            except ValueError:  # an empty cell: the name is not bound yet
                pass
        self.env.update(ctx.refs)
        self.env["__sct_trace_index"] = _Index()
        self.ns, self.refs, self.snap, self.stale = {}, {}, {}, []
        self.steps, self.codes, self.n = [], {}, 0

    def error(self, node, what):
        q = self.q
        return TraceError(f"{q.filename}:{q.line(node)}: {what} "
                          f"(in function '{q.name}')")

    def unsupported(self, s, call, what):
        f = call.func if isinstance(call, gast.Call) else None
        if isinstance(f, gast.Attribute) and f.attr in _MUTATORS and isinstance(
                f.value, gast.Name) and f.value.id in self.ns:
            what = f"a {type(self.ns[f.value.id]).__name__} mutation"
        return self.error(s, f"'{self.text(call)}' ({what}) is not supported by "
                             f"sct.trace")

    def text(self, node):
        return source_text(node, self.q.globals, self.resolved, self.refs_env)

    # -- values ------------------------------------------------------------------------
    def eval(self, node):
        # keyed by the node, which is kept alive with its code: ids are reused
        got = self.codes.get(id(node))
        if got is None:
            expr = gast.gast_to_ast(gast.Expression(body=walk.clone(node)))
            got = self.codes[id(node)] = (node, compile(
                ast.fix_missing_locations(expr), self.q.filename, "eval"))
        return eval(got[1], self.env, self.ns)

    def index(self, sl):
        """The value of a subscript's index (``1:3`` is ``slice(1, 3, None)``)."""
        key = ("index", id(sl))
        if key not in self.codes:
            self.codes[key] = gast.Subscript(value=_load("__sct_trace_index"), slice=sl,
                                             ctx=gast.Load())
        return self.eval(self.codes[key])

    def check(self, name, value, s):
        """Reading ``name``: its value is still what the rows say it is."""
        if not isinstance(value, np.ndarray):
            return
        old = self.snap.get(name)
        if old is not None and (old.shape != value.shape or not np.array_equal(
                old, value, equal_nan=value.dtype.kind in "fc")):
            raise self.error(s, f"'{name}' was changed in place by a call that "
                                f"sct.trace cannot see into")
        if any(np.shares_memory(value, a) for a in self.stale):
            raise self.error(s, f"'{name}' shares memory with an array written in "
                                f"place through another name")

    def read(self, atom, s):
        """``(value, ref)`` of an argument; ``ref`` is a Step or Struct, or None."""
        if isinstance(atom, gast.Name):
            value = self.ns[atom.id] if atom.id in self.ns else self.eval(atom)
            self.check(atom.id, value, s)
            return value, self.refs.get(atom.id)
        if isinstance(atom, (gast.Tuple, gast.List)) and all(
                isinstance(e, (gast.Name, gast.Constant)) for e in atom.elts):
            pairs = [self.read(e, s) for e in atom.elts]
            kind = tuple if isinstance(atom, gast.Tuple) else list
            return kind(p[0] for p in pairs), _struct(kind(p[1] for p in pairs))
        if any(isinstance(n, gast.Name) and self.refs.get(n.id) is not None
               for n in walk.nodes(atom)):
            raise self.error(s, f"'{self.text(atom)}' holds a value with a derivative "
                                f"in a form sct.trace cannot follow")
        return self.eval(atom), None

    def bind(self, s, var, value, ref, expr, **fields):
        """Record the row of ``var = value``; ``ref`` True: the new Step itself."""
        self.n += 1
        step = Step(self.n, var, expr, freeze(value), self.q.line(s), **fields)
        self.steps.append(step)
        self.ns[var] = value
        if isinstance(value, np.ndarray):
            self.snap[var] = step.value
        else:
            self.snap.pop(var, None)
        if ref is None:
            self.refs.pop(var, None)
        else:
            self.refs[var] = step if ref is True else ref
        return step

    # -- derivatives -------------------------------------------------------------------
    def op(self, s, var, value, prim, args, kw, atoms, names, expr):
        """``var = prim(*args, **kw)``, each argument a ``(value, ref)`` pair."""
        flat = list(args) + list(kw.values())
        marked = [_Slot(i) if r is not None else a for i, (a, r) in enumerate(args)]
        kwv = {k: (_Slot(len(args) + j) if r is not None else a)
               for j, (k, (a, r)) in enumerate(kw.items())}
        try:
            pos, kwargs = prim.bind(tuple(marked), kwv)
        except SCTError as e:
            raise self.error(s, str(e)) from None
        if any(isinstance(v, _Slot) for v in kwargs.values()):
            raise self.error(s, f"a keyword argument with a derivative in '{expr}'")
        raw, parents = [], []
        for p in pos:
            a, r = flat[p.i] if isinstance(p, _Slot) else (p, None)
            if isinstance(r, Struct):
                if isinstance(r.items, dict) or any(isinstance(x, Struct)
                                                    for x in r.items):
                    raise self.error(s, f"a dict or nested container with derivatives "
                                        f"in '{expr}'")
                r = tuple(r.items)
                a = type(a)(freeze(x) for x in a)
            raw.append(freeze(a))
            parents.append(r)
        step = self.bind(s, var, value, True, expr, kind="op", prim=prim,
                         args=tuple(raw), kw=kwargs, parents=tuple(parents),
                         atoms=atoms, names=names, uses=[])
        tangents = []
        for i, (a, p) in enumerate(zip(raw, parents)):
            if isinstance(p, tuple):
                tangents.append(type(a)(runtime.zeros_like(x) if q is None else q.dot
                                        for x, q in zip(a, p)))
                for k, q in enumerate(p):
                    if q is not None:
                        q.uses.append((step, i, k))
            else:
                tangents.append(None if p is None else p.dot)
                if p is not None:
                    p.uses.append((step, i, None))
        step.dot = prim.jvp(step.value, tuple(raw), tuple(tangents), **kwargs)
        return step

    def copy(self, s, var, value, ref, expr):
        if isinstance(ref, (list, tuple, dict)):
            ref = _struct(ref)
        if not isinstance(ref, Step):
            return self.bind(s, var, value, ref, expr)
        step = self.bind(s, var, value, True, expr, kind="copy", parents=(ref,),
                         dot=ref.dot, uses=[])
        ref.uses.append((step, 0, None))
        return step

    # -- statements --------------------------------------------------------------------
    def block(self, body):
        for s in body:
            self.stmt(s)

    def stmt(self, s):
        if isinstance(s, gast.Assign) and len(s.targets) == 1 and isinstance(
                s.targets[0], gast.Name):
            self.assign(s, s.targets[0].id, s.value)
        elif isinstance(s, gast.Assign) and len(s.targets) == 1 and isinstance(
                s.targets[0], gast.Subscript):
            self.setitem(s, s.targets[0])
        elif isinstance(s, gast.If):
            self.block(s.body if self.eval(s.test) else s.orelse)
        elif isinstance(s, gast.While):
            while self.eval(s.test) and not self.loop_body(s):
                pass
        elif isinstance(s, gast.For):
            self.loop(s)
        elif isinstance(s, gast.Return):
            raise _Jump("return", self.read(s.value, s) if s.value else (None, None))
        elif isinstance(s, (gast.Break, gast.Continue)):
            raise _Jump("break" if isinstance(s, gast.Break) else "continue")
        elif isinstance(s, gast.Expr) and isinstance(s.value, gast.Constant):
            pass  # a docstring
        elif isinstance(s, gast.Expr) and isinstance(s.value, gast.Call) and \
                self.resolved.get(s.value) is print:
            self.eval(s.value)
        elif isinstance(s, gast.Expr):
            raise self.unsupported(s, s.value, "a call made for its effect")
        elif not isinstance(s, gast.Pass):
            what = self.text(s.targets[0]) if isinstance(s, gast.Assign) else \
                type(s).__name__
            raise self.error(s, f"the statement '{what}'")

    def loop_body(self, s):
        """Run one pass; True when it ends with ``break``."""
        try:
            self.block(s.body)
        except _Jump as jump:
            if jump.args[0] == "return":
                raise
            return jump.args[0] == "break"
        return False

    def loop(self, s):
        if not isinstance(s.target, gast.Name):
            raise self.error(s, f"the loop target '{self.text(s.target)}'")
        seq, ref = self.read(s.iter, s)
        it = self.text(s.iter)
        for k, item in enumerate(seq):
            expr = f"{it}[{k}]" if isinstance(seq, (range, list, tuple, np.ndarray)) \
                else f"item {k} of {it}"
            if isinstance(ref, Struct) and not isinstance(ref.items, dict):
                self.copy(s, s.target.id, item, ref.items[k], expr)
            elif isinstance(ref, Step):
                atoms = ((s.iter, gast.Constant(value=k, kind=None)), {})
                self.op(s, s.target.id, item, primitive(operator.getitem),
                        [(seq, ref), (k, None)], {}, atoms, {s.iter.id: ref}, expr)
            else:
                self.bind(s, s.target.id, item, None, expr)
            if self.loop_body(s):
                break

    def assign(self, s, var, v):
        if isinstance(v, gast.Name):
            value, ref = self.read(v, s)
            self.copy(s, var, value, ref, v.id)
        elif isinstance(v, (gast.Tuple, gast.List, gast.Dict)):
            refs = [self.read(a, s)[1] for a in (
                v.values if isinstance(v, gast.Dict) else v.elts)]
            value = self.eval(v)
            items = dict(zip(value, refs)) if isinstance(v, gast.Dict) else \
                type(value)(refs)
            self.bind(s, var, value, _struct(items), self.text(v))
        elif v in self.resolved:
            self.call(s, var, v, self.resolved[v])
        elif any(isinstance(n, gast.Call) for n in walk.nodes(v)):
            raise self.unsupported(s, v, "a call of a local name")
        else:
            names = [n.id for n in walk.nodes(v) if isinstance(n, gast.Name)]
            for n in names:
                if n in self.ns:
                    self.check(n, self.ns[n], s)
            value = self.eval(v)
            if has_float(value) and any(self.refs.get(n) is not None for n in names):
                raise self.error(s, f"'{self.text(v)}' (a {type(v).__name__}) on a "
                                    f"value with a derivative is not supported by "
                                    f"sct.trace")
            self.bind(s, var, value, None, self.text(v))

    def call(self, s, var, v, obj):
        kwa = {}
        if isinstance(v, gast.BinOp):
            atoms = [v.left, v.right]
        elif isinstance(v, gast.UnaryOp):
            atoms = [v.operand]
        elif isinstance(v, gast.Compare):
            atoms = [v.left] + list(v.comparators)
        elif isinstance(v, gast.Subscript):
            atoms = [v.value]
        else:
            if any(isinstance(a, gast.Starred) for a in v.args) or any(
                    k.arg in (None, "out") for k in v.keywords):
                raise self.error(s, f"'*', '**' or 'out=' in the call '{self.text(v)}'")
            atoms, kwa = list(v.args), {k.arg: k.value for k in v.keywords}
        args = [self.read(a, s) for a in atoms]
        kw = {k: self.read(a, s) for k, a in kwa.items()}
        expr = self.text(v)
        if isinstance(v, gast.Subscript):
            index = self.index(v.slice)
            if isinstance(args[0][1], Struct):  # an item of a literal: a copy of it
                return self.copy(s, var, self.eval(v), args[0][1].items[index], expr)
            args.append((index, None))
            atoms.append(v.slice)
        value = self.eval(v)
        if all(r is None for _, r in args + list(kw.values())):
            return self.bind(s, var, value, None, expr)
        prim = primitive(obj)
        if prim is None:
            name = getattr(obj, "__qualname__", None) or getattr(obj, "__name__", "?")
            if inspect.isfunction(obj) and not obj.__module__.startswith("sct."):
                raise self.error(s, f"the call of user function '{name}' (sct.trace "
                                    f"shows the steps of the traced function only: "
                                    f"register a rule with @sct.rule({name}) or write "
                                    f"its body into the traced function)")
            raise self.error(s, f"no derivative rule for '{expr}' (register one with "
                                f"@sct.rule)")
        if prim.nondiff:
            return self.bind(s, var, value, None, expr)
        if isinstance(value, (list, tuple, dict)):  # the rules see numbers and arrays
            raise self.error(s, f"'{expr}' (a {type(value).__name__} made by an "
                                f"operation on values with derivatives) is not "
                                f"supported by sct.trace; write the items out")
        names = {n.id: self.refs.get(n.id) for a in atoms + list(kwa.values())
                 for n in walk.nodes(a) if isinstance(n, gast.Name)}
        return self.op(s, var, value, prim, args, kw, (tuple(atoms), kwa), names, expr)

    def setitem(self, s, target):
        base = target.value
        if not isinstance(base, gast.Name) or base.id not in self.ns:
            raise self.error(s, f"writing into '{self.text(target)}', which is not a "
                                f"local array")
        old, ref = self.read(base, s)
        if not isinstance(old, np.ndarray):
            raise self.error(s, f"'{self.text(target)} = ...' changes a "
                                f"{type(old).__name__} in place (mutation)")
        index = self.index(target.slice)
        v, vref = self.read(s.value, s)
        new = old.copy()  # never write into an array someone else may hold
        new[index] = v
        self.stale.append(old)
        expr = f"{self.text(target)} = {self.text(s.value)}"
        if ref is None and vref is None:
            return self.bind(s, base.id, new, None, expr)
        if old.dtype.kind != "f":
            raise self.error(s, f"writing a value with a derivative into the "
                                f"{old.dtype} array '{base.id}'")
        names = {base.id: ref}
        if isinstance(s.value, gast.Name):
            names[s.value.id] = vref
        return self.op(s, base.id, new, primitive(runtime.setitem),
                       [(old, ref), (index, None), (v, vref)], {},
                       ((base, target.slice, s.value), {}), names, expr)

    def run(self):
        """Execute the body; the ``(value, ref)`` of what it returns."""
        try:
            self.block(self.tree.body)
        except _Jump as jump:
            return jump.args[1]
        return None, None
