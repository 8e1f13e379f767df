"""What kind of value each name holds: a scalar, an array, a container or unknown.

The derivative is built for the kinds of the arguments it is called with (a Python
float is ``S``, a float array ``A``). Knowing that two operands are scalars, or that an
array meets a scalar, lets the compiler skip undoing broadcasting where it cannot
happen; unknown kinds always take the general path, so the analysis only ever
removes work that is provably useless.

Kinds: ``S`` float scalar, ``A`` float array, ``N`` one of the two, ``T`` tuple or
list, ``I`` integer or boolean scalar, ``B`` integer or boolean array, ``O`` anything
else.
"""

from __future__ import annotations

import functools
import numbers

import gast

from . import shapes, walk
import numpy as np

from .rules import lookup


def of_value(v) -> str:
    """The kind of a run-time value."""
    if isinstance(v, (bool, np.bool_)):
        return "I"
    if isinstance(v, (float, np.floating)):
        return "S"
    if isinstance(v, (int, np.integer)):
        return "I"
    if isinstance(v, np.ndarray):
        # integer and boolean arrays broadcast like float ones: "B", never a scalar
        return "A" if v.dtype.kind == "f" else ("B" if v.dtype.kind in "iub" else "O")
    if isinstance(v, (tuple, list)):
        return "T"
    if isinstance(v, numbers.Number):
        return "O"
    return "O"


def join(a, b):
    if a is None:
        return b
    if b is None or a == b:
        return a
    if {a, b} <= {"S", "A", "N", "I", "B"}:
        return "N"
    return "O"


def _elementwise(kinds):
    """The kind of an elementwise result of operands of ``kinds`` (``None`` when
    one is not known yet)."""
    return _elementwise_kind(tuple(kinds))


@functools.lru_cache(maxsize=4096)  # (a few dozen tuples of kinds are ever met)
def _elementwise_kind(kinds):
    if any(k is None for k in kinds):
        return None
    kinds = list(kinds)
    if kinds and all(k in ("S", "I") for k in kinds):
        return "S"
    if any(k == "A" for k in kinds) and all(k in ("S", "I", "A") for k in kinds):
        return "A"
    if all(k in ("S", "I", "A", "N", "B") for k in kinds):
        return "N"
    return "O"


class _Kinds:
    def __init__(self, env, resolved):
        self.env = env
        self.resolved = resolved

    def atom(self, node):
        if isinstance(node, gast.Constant):
            v = node.value
            return "S" if isinstance(v, float) else ("I" if isinstance(
                v, (int, bool)) else "O")
        if isinstance(node, gast.Name):
            self.seen.add(node.id)
            if node.id in self.env:
                return self.env[node.id]
            return None if node.id in self.locals else "O"  # None: not known yet
        if isinstance(node, (gast.Tuple, gast.List)):
            return "T"
        return "O"

    def value(self, v):
        if isinstance(v, (gast.Name, gast.Constant)):
            return self.atom(v)
        if isinstance(v, (gast.Compare, gast.BoolOp)):
            return "I"
        if isinstance(v, (gast.Tuple, gast.List)):
            return "T"
        if isinstance(v, gast.Dict):
            return "O"
        if isinstance(v, gast.UnaryOp):
            return "I" if isinstance(v.op, gast.Not) else self.atom(v.operand)
        if isinstance(v, gast.IfExp):
            return None
        if isinstance(v, gast.BinOp):
            if isinstance(v.op, gast.MatMult):
                return "N"
            return _elementwise([self.atom(v.left), self.atom(v.right)])
        if isinstance(v, gast.Subscript):
            k = self.atom(v.value)
            return "N" if k in ("A", "N") else ("I" if k == "B" else "O")
        if isinstance(v, gast.Call):
            if v in self.calls:
                return self.calls[v]
            r = lookup(self.resolved.get(v)) if v in self.resolved else None
            if r is None:
                return "O"
            if r.nondiff:
                return {"int": "I", "array": "A", "range": "R"}.get(r.output, "O")
            if r.output == "like":
                return _elementwise([self.atom(a) for a in v.args])
            if r.output == "scalar":
                return "S"
            if r.output == "reduce":
                kw = {k.arg for k in v.keywords}
                reduced_all = len(v.args) == 1 and not kw & {"axis", "keepdims"}
                return "S" if reduced_all else "N"
            return "N"
        return "O"


def run(tree, arg_kinds: dict, resolved, call_kinds=None, stored=None) -> dict:
    """``{name: kind}`` given the kinds of the arguments (``stored``: the names the
    tree assigns, :func:`walk.writes`, when the caller has them)."""
    env = dict(arg_kinds)
    k = _Kinds(env, resolved)
    k.locals = walk.writes(tree) if stored is None else stored
    k.calls = dict(call_kinds or {})
    assigns = [n for n in walk.statements(tree) if isinstance(n, (gast.Assign, gast.For))]
    changed = True
    while changed:
        # Another pass only when a kind changed after a statement of this pass read
        # it (or assigned it: a name assigned twice); straight-line code in three-
        # address form, where each name is read after its one assignment, takes one.
        changed = False
        k.seen = seen = set()  # names read or assigned so far in this pass
        for node in assigns:
            if isinstance(node, gast.For):
                it = k.atom(node.iter)
                name = node.target.id
                kind = {"R": "I", "A": "N", "N": "N"}.get(it, "O")
            else:
                if not isinstance(node.targets[0], gast.Name):
                    continue
                name, kind = node.targets[0].id, k.value(node.value)
            if kind is None:
                continue
            new = join(env.get(name), kind)
            if new != env.get(name):
                env[name] = new
                changed = changed or name in seen
            seen.add(name)
    return env


def shape_classes(tree, resolved, known=None) -> dict:
    """``{name: class}``: names in one class always hold values of one shape.

    Elementwise operations keep the shape of their array operand (``tanh(x)``,
    ``x * 2.0``, ``h * h``); anything else starts a class of its own. Two operands of
    one class never broadcast against each other, so no adjoint needs unbroadcasting
    there. A class that is a tuple is a decided shape: ``()`` for scalars, and the
    symbolic shape (shapes.py) of the names in ``known``.
    """
    known = known or {}
    cls: dict = dict(known)
    assigns = [n for n in walk.statements(tree) if isinstance(n, gast.Assign)
               and isinstance(n.targets[0], gast.Name)]
    count: dict = {}
    for a in assigns:
        count[a.targets[0].id] = count.get(a.targets[0].id, 0) + 1

    def of(atom):
        return class_of(atom, cls)

    def value_class(v, target):
        if isinstance(v, gast.Name):
            return of(v)
        if isinstance(v, (gast.BinOp, gast.Call, gast.UnaryOp)):
            if isinstance(v, gast.BinOp) and isinstance(v.op, gast.MatMult):
                return target
            if isinstance(v, gast.UnaryOp):
                return of(v.operand)
            if isinstance(v, gast.Call):
                r = lookup(resolved.get(v)) if v in resolved else None
                kw = {k.arg: k.value for k in v.keywords}
                if r is not None and r.output == "reduce" and len(v.args) == 1 and \
                        isinstance(kw.get("keepdims"), gast.Constant) and \
                        kw["keepdims"].value is True:
                    inner = of(v.args[0])
                    axis = kw.get("axis")
                    axis = "all" if axis is None else _constant_axis(axis)
                    if not isinstance(inner, str) or axis is None:
                        return target  # (a decided shape needs no marker)
                    # broadcasts back onto x; two of them only if along the same axes
                    return f"kd:{inner}@{axis}"
                if r is None or not r.elementwise or v.keywords:
                    return target
                args = v.args
            else:
                args = [v.left, v.right]
            c = common_class(args, cls)
            return target if c is None else c
        return target

    changed = True
    while changed:  # (another pass only when a class changed after a read of it)
        changed = False
        seen = set()  # names whose class this pass has read
        for a in assigns:
            t = a.targets[0].id
            if count[t] != 1 or t in known:
                continue  # reassigned: a class of its own; or its shape is known
            seen.update(n.id for n in _operands(a.value) if type(n) is gast.Name)
            c = value_class(a.value, t)
            if c is not None and cls.get(t, t) != c and c != t:
                cls[t] = c
                changed = changed or t in seen
    return cls


def _operands(v) -> list:
    """The atoms whose classes ``value_class`` may read for the value ``v``."""
    if isinstance(v, gast.Name):
        return [v]
    if isinstance(v, gast.BinOp):
        return [v.left, v.right]
    if isinstance(v, gast.UnaryOp):
        return [v.operand]
    if isinstance(v, gast.Call):
        return v.args
    return []


def _constant_axis(node):
    """A reduction's constant axis as text (``1``, ``(0, 2)``), else ``None``."""
    if isinstance(node, gast.Constant) and type(node.value) is int:
        return repr(node.value)
    if isinstance(node, gast.Tuple) and all(
            isinstance(e, gast.Constant) and type(e.value) is int for e in node.elts):
        return repr(tuple(e.value for e in node.elts))
    return None


def class_of(atom, classes):
    """The shape class of an atom (``None`` when unknown)."""
    if isinstance(atom, gast.Constant):
        return () if isinstance(atom.value, (int, float)) else None
    if isinstance(atom, gast.Name):
        return classes.get(atom.id, atom.id)
    return None


def common_class(atoms, classes):
    """The class of an elementwise result of ``atoms``, or ``None`` when unknown."""
    found = {class_of(a, classes) for a in atoms}
    if None in found:
        return None
    found.discard(())  # a scalar broadcasts against anything
    if found and all(isinstance(c, tuple) for c in found):  # decided shapes
        return shapes.broadcast(list(found))
    # a keepdims reduction of x broadcasts back onto x's shape
    found = {c for c in found if not (isinstance(c, str) and c.startswith("kd:") and
                                      c[3:c.rindex("@")] in found)}
    if not found:
        return ()
    return found.pop() if len(found) == 1 else None
