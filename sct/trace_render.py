"""How a :func:`sct.trace` result reads: steps, rows, formulas and tables.

A :class:`Step` is what the interpreter (:mod:`sct.trace_interp`) records for one
executed assignment; a :class:`Row` is its line in a table. The formulas in the
tangent and adjoint tables are the rule templates instantiated at each step with the
step's own names (``x1_dot / x1``, ``log_x1_bar / x1``), the expansion the compiler
does (:func:`sct.template.instantiate`); the numbers beside them come from the same
templates compiled (:mod:`sct.rules.compiled`).
"""

from __future__ import annotations

import ast
import itertools
import os
import types
from dataclasses import dataclass

import gast
import numpy as np

from . import kinds, template, walk
from .errors import NoDerivative


@dataclass(eq=False)
class Step:
    """One executed assignment, and what its derivatives need."""

    index: int
    var: str
    expr: str
    value: object
    line: int
    kind: str = "const"  # "input", "copy", "op" or "const" (no derivative)
    prim: object = None
    args: tuple = ()
    kw: dict | None = None
    parents: tuple = ()  # per argument: a Step, a tuple of Steps/None, or None
    atoms: tuple = ()  # (argument nodes, keyword nodes), for the formulas
    names: dict | None = None  # what each argument name referred to
    dot: object = None  # tangent; None: no derivative
    bar: object = None  # adjoint; None: does not reach the output
    uses: list | None = None  # (consumer, argument position, item or None)


@dataclass(frozen=True)
class Row:
    """One line of a trace table.

    Attributes:
        name: the step's version, ``v-1``, ``v0`` for inputs, then ``v1, v2, ...``.
        variable: the name it is assigned to (``y``, a temporary such as ``sin_x``;
            ``_dot`` / ``_bar`` appended in the tangent / adjoint table).
        expression: what computes it, in the function's own names.
        value: the primal, tangent or adjoint value.
        line: the line of the function's file the step comes from.
    """

    name: str
    variable: str
    expression: str
    value: object
    line: int


# -- text of objects and expressions ---------------------------------------------------
def object_text(obj, user_globals) -> str:
    """How the user's module would name ``obj`` (``np.cos`` when ``np`` is numpy).

    >>> import numpy, math
    >>> object_text(numpy.linalg.norm, {"np": numpy}), object_text(math.exp, {})
    ('np.linalg.norm', 'exp')
    """
    if not callable(obj) and not isinstance(obj, types.ModuleType):
        return value_text(obj) if isinstance(obj, np.ndarray) else repr(obj)
    for k, v in user_globals.items():
        if v is obj and not k.startswith("_"):
            return k
    name = getattr(obj, "__name__", None) or type(obj).__name__
    module = getattr(obj, "__module__", None) or (
        "numpy" if isinstance(obj, np.ufunc) else "")
    if module.startswith("sct.") or module in ("builtins", "_operator"):
        return name
    parts = module.split(".")
    for i in range(len(parts), 0, -1):
        prefix = ".".join(parts[:i])
        for k, v in user_globals.items():
            if isinstance(v, types.ModuleType) and v.__name__ == prefix and \
                    not k.startswith("_"):
                found = v
                for a in parts[i:] + [name]:
                    found = getattr(found, a, None)
                if found is obj:
                    return ".".join([k] + parts[i:] + [name])
    return name


def _unparse(node, names) -> str:
    """Source of a gast expression, renaming placeholder names as ``names`` says."""
    tree = gast.gast_to_ast(walk.clone(node))
    for n in ast.walk(tree):
        if isinstance(n, ast.Name) and n.id in names:
            n.id = names[n.id]
    return ast.unparse(tree)


def source_text(node, user_globals, resolved, refs) -> str:
    """A statement's value as the user wrote it (``np.sum(h)``, not a reference)."""
    names = {}
    for n in walk.nodes(node):
        if isinstance(n, gast.Call) and isinstance(n.func, gast.Name) \
                and n.func.id in refs and n in resolved:
            names[n.func.id] = object_text(resolved[n], user_globals)
        elif isinstance(n, gast.Name) and n.id in refs and n.id not in names:
            names[n.id] = object_text(refs[n.id], user_globals)
    return _unparse(node, names)


class _Refs:
    """Placeholders for the objects a template refers to, for :func:`_unparse`."""

    def __init__(self, user_globals):
        self.user_globals, self.names, self.count = user_globals, {}, itertools.count()

    def __call__(self, obj):
        ident = f"__ref{next(self.count)}"
        self.names[ident] = object_text(obj, self.user_globals)
        node = gast.Name(id=ident, ctx=gast.Load(), annotation=None, type_comment=None)
        node.ref_object = obj
        return node


def _name(ident):
    return gast.Name(id=ident, ctx=gast.Load(), annotation=None, type_comment=None)


def _expand(step, mode, user_globals):
    """``(items, refs)``: the rule template of ``step`` with the step's names."""
    rule = step.prim.rule
    atoms, kwa = step.atoms
    binding = template.bind(rule, list(atoms), dict(kwa), step.expr)
    binding[rule.result] = _name(step.var)
    suffix = "_dot" if mode == "tangent" else "_bar"

    def deriv(p):
        if p == rule.result:
            return _name(step.var + suffix)
        atom = binding[p]
        if mode == "tangent" and isinstance(atom, gast.Name) and \
                step.names.get(atom.id) is not None:
            return _name(atom.id + suffix)
        if mode == "tangent" and isinstance(atom, (gast.Tuple, gast.List)):
            return type(atom)(elts=[_name(e.id + suffix) if isinstance(e, gast.Name) and
                                    step.names.get(e.id) is not None else
                                    gast.Constant(value=0.0, kind=None)
                                    for e in atom.elts], ctx=gast.Load())
        return template.zero(atom if isinstance(atom, gast.AST) else
                             gast.Constant(value=None, kind=None))

    refs = _Refs(user_globals)
    count = itertools.count()
    items = template.instantiate(rule, mode, binding, deriv, refs,
                                 lambda base: f"__local_{base}_{next(count)}")
    local = {}
    out = []

    class Inline(gast.NodeTransformer):
        def visit_Name(self, node):
            return walk.clone(local[node.id]) if node.id in local else node

    for item in items:
        expr = Inline().visit(item[-1])
        if item[0] == "local":
            local[item[1]] = expr
        else:
            out.append(item[:-1] + (expr,))
    return out, refs.names


def _joined(terms) -> str:
    text = terms[0]
    for t in terms[1:]:
        text += f" - {t[1:]}" if t.startswith("-") else f" + {t}"
    return text


class _Formulas:
    """The tangent formula of each step and the adjoint contributions to it."""

    def __init__(self, user_globals):
        self.user_globals, self.cache = user_globals, {}

    def expanded(self, step, mode):
        """``{param: [text, ...]}`` (adjoint) or ``{None: [text]}`` (tangent), or None.

        Every pass of a loop runs the same statement: its steps share the text, so it
        is made once per statement, result name and pattern of active arguments.
        """
        atoms, kwa = step.atoms
        key = (mode, step.prim, step.var, tuple(map(id, atoms)),
               tuple((k, id(v)) for k, v in kwa.items()),
               tuple(sorted(n for n, r in step.names.items() if r is not None)))
        if key not in self.cache:
            try:
                items, names = _expand(step, mode, self.user_globals)
            except (NoDerivative, SyntaxError):
                self.cache[key] = None
            else:
                got = {}
                for item in items:
                    got.setdefault(item[1] if item[0] == "acc" else None, []).append(
                        _unparse(item[-1], names))
                self.cache[key] = got
        return self.cache[key]

    def tangent(self, step) -> str:
        if step.kind == "input":
            return "direction"
        if step.kind == "copy":
            return step.parents[0].var + "_dot"
        got = self.expanded(step, "tangent")
        return got[None][0] if got and None in got else f"(rule {step.prim.name})"

    def adjoint(self, step, out_step) -> str:
        terms = ["1"] if step is out_step else []
        for consumer, i, k in step.uses or ():
            if consumer.bar is None:
                continue
            if consumer.kind == "copy":
                terms.append(consumer.var + "_bar")
                continue
            got = self.expanded(consumer, "adjoint") or {}
            texts = got.get(consumer.prim.rule.params[i])
            if not texts:
                terms.append(f"(rule {consumer.prim.name})")
                continue
            for text in texts:
                if consumer.prim.rule.elementwise and \
                        np.shape(step.value) != np.shape(consumer.value):
                    text = f"unbroadcast({text}, {step.var})"
                terms.append(text if k is None else f"({text})[{k}]")
        return _joined(terms) if terms else "0"


# -- values ----------------------------------------------------------------------------
def freeze(v):
    """A copy of an array (nothing written later can change a row), else ``v``."""
    return v.copy() if isinstance(v, np.ndarray) else v


def has_float(v) -> bool:
    """Whether ``v`` is or holds a float or a float array."""
    if isinstance(v, (tuple, list)):
        return any(has_float(x) for x in v)
    if isinstance(v, dict):
        return any(has_float(x) for x in v.values())
    return kinds.of_value(v) in ("S", "A") or isinstance(v, complex)


def value_text(v, digits=6) -> str:
    """A short, deterministic text for a value (arrays on one line).

    >>> value_text(2.0 / 3.0), value_text((1, True))
    ('0.666667', '(1, True)')
    >>> value_text(np.linspace(0.0, 1.0, 11))
    '[0. , 0.1, ..., 0.9, 1. ]'
    """
    if isinstance(v, (bool, np.bool_)) or v is None:
        return str(v)
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    if isinstance(v, (float, np.floating)):
        return format(float(v), f".{digits}g")
    if isinstance(v, np.ndarray):
        if v.dtype.kind not in "biufc":
            return f"<array {v.shape}>"
        text = np.array2string(v, precision=min(digits, 4), separator=", ",
                               threshold=8, edgeitems=2, max_line_width=10 ** 6)
        return " ".join(text.split())
    if isinstance(v, (tuple, list)):
        inner = ", ".join(value_text(x, digits) for x in v)
        return f"({inner}{',' if len(v) == 1 else ''})" if isinstance(v, tuple) \
            else f"[{inner}]"
    if isinstance(v, dict):
        items = (f"{k!r}: {value_text(x, digits)}" for k, x in v.items())
        return "{" + ", ".join(items) + "}"
    if isinstance(v, (str, range, slice, complex)):
        return repr(v)
    return f"<{type(v).__name__}>"


def _clip(text, width=72):
    # an adjoint summed over many loop passes: the full sum stays in Row.expression
    return text if len(text) <= width else text[:width - 4] + " ..."


def vname(step) -> str:
    return f"v{step.index}"


# -- the public view -------------------------------------------------------------------
class TraceView:
    """Rows, tables and the graph of a trace (the attributes are set by ``Trace``)."""

    def _formulas(self):
        if not hasattr(self, "_cached_formulas"):
            self._cached_formulas = _Formulas(self.user_globals)
        return self._cached_formulas

    @property
    def primal(self) -> list:
        """One :class:`Row` per executed assignment: inputs, then in execution order."""
        return [Row(vname(s), s.var, s.expr, s.value, s.line) for s in self.steps]

    @property
    def tangent(self) -> list:
        """The rows with a derivative, with their tangents along ``direction``."""
        f = self._formulas()
        return [Row(vname(s), s.var + "_dot", f.tangent(s), s.dot, s.line)
                for s in self.steps if s.dot is not None]

    @property
    def adjoint(self) -> list:
        """The rows that reach the output, last first, with their adjoints."""
        if self._adjoint_error is not None:
            raise self._adjoint_error
        f = self._formulas()
        rows = []
        for s in reversed(self.steps):
            if s.bar is not None:
                rows.append(Row(vname(s), s.var + "_bar", f.adjoint(s, self.out_step),
                                s.bar, s.line))
            elif s.kind == "input" and self.inputs.index(s) in self.argnums:
                rows.append(Row(vname(s), s.var + "_bar", "0",
                                0.0 * np.asarray(s.value, dtype=float)
                                if np.ndim(s.value) else 0.0, s.line))
        return rows

    def _title(self, kind):
        active = [self.inputs[i] for i in self.argnums]
        if kind == "primal":
            names = ", ".join(s.var for s in self.inputs)
            values = ", ".join(value_text(s.value) for s in self.inputs)
            return (f"Forward primal trace of {self.function} "
                    f"({os.path.basename(self.filename)}) at ({names}) = ({values})")
        if kind == "tangent":
            names = ", ".join(s.var + "_dot" for s in active)
            values = ", ".join(value_text(t) for t in self.direction)
            if len(active) == 1:
                return f"Forward tangent trace along {names} = {values}"
            return f"Forward tangent trace along ({names}) = ({values})"
        if self.out_step is None:
            return "Reverse adjoint trace (the output does not depend on the inputs)"
        return f"Reverse adjoint trace from {self.out_step.var}_bar = 1"

    def table(self, kind="primal", fmt="text", digits=6) -> str:
        """One trace as a table: ``kind`` is "primal", "tangent" or "adjoint"; ``fmt``
        is "text" (aligned columns) or "markdown"; values keep ``digits`` digits.
        Expressions longer than 72 characters are cut (``Row.expression`` has all)."""
        if kind not in ("primal", "tangent", "adjoint"):
            raise ValueError(f"kind must be 'primal', 'tangent' or 'adjoint', not "
                             f"{kind!r}")
        head = ["v", "variable" if kind == "primal" else kind, "expression", "value",
                "line"]
        rows = [[r.name, r.variable, _clip(r.expression), value_text(r.value, digits),
                 str(r.line)] for r in getattr(self, kind)]
        if fmt == "markdown":
            lines = ["| " + " | ".join(head) + " |", "|---|---|---|---:|---:|"]
            lines += ["| " + " | ".join(c.replace("|", "\\|") for c in r) + " |"
                      for r in rows]
            return f"**{self._title(kind)}**\n\n" + "\n".join(lines)
        if fmt != "text":
            raise ValueError(f"fmt must be 'text' or 'markdown', not {fmt!r}")
        widths = [max(len(r[i]) for r in rows + [head]) for i in range(5)]
        lines = [self._title(kind)]
        for r in [head] + rows:
            cells = [c.ljust(w) if i < 3 else c.rjust(w)
                     for i, (c, w) in enumerate(zip(r, widths))]
            lines.append("  ".join(cells).rstrip())
        return "\n".join(lines)

    def __str__(self):
        parts = [self.table("primal"), self.table("tangent")]
        if self._adjoint_error is None:
            parts.append(self.table("adjoint"))
        else:
            parts.append(f"No reverse adjoint trace: {self._adjoint_error}")
        return "\n\n".join(parts)

    def __repr__(self):
        return (f"<sct.trace of {self.function}: {len(self.steps)} rows, "
                f"value {value_text(self.value)}>")
