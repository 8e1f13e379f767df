"""Deterministic, readable names for generated code.

| thing                         | name                                   |
|-------------------------------|----------------------------------------|
| user variables                | unchanged                              |
| reassigned variable           | ``x``, ``x_1``, ``x_2`` in order       |
| temporary                     | what it computes: ``sin_x``, ``w_times_x`` |
| adjoint / tangent of ``v``    | ``v_bar`` / ``v_dot``                  |

A :class:`Namer` knows every name the user's function mentions and never hands out
one of them, so generated names cannot collide with the user's.

>>> n = Namer({"x", "x_bar"})
>>> n.fresh("x_bar"), n.fresh("x_bar"), n.fresh("y")
('x_bar_1', 'x_bar_2', 'y')
"""

from __future__ import annotations

import keyword
import re

import gast

MAX_TEMP = 20

_BINOP_WORDS = {
    gast.Add: "plus", gast.Sub: "minus", gast.Mult: "times", gast.Div: "over",
    gast.FloorDiv: "floordiv", gast.Mod: "mod", gast.Pow: "pow", gast.MatMult: "at",
    gast.BitAnd: "and", gast.BitOr: "or", gast.BitXor: "xor", gast.LShift: "lshift",
    gast.RShift: "rshift",
}
_CMP_WORDS = {
    gast.Lt: "lt", gast.LtE: "le", gast.Gt: "gt", gast.GtE: "ge", gast.Eq: "eq",
    gast.NotEq: "ne", gast.Is: "is", gast.IsNot: "isnot", gast.In: "in",
    gast.NotIn: "notin",
}
_UNARY_WORDS = {gast.USub: "neg", gast.UAdd: "pos", gast.Not: "not", gast.Invert: "inv"}


class Namer:
    """Hands out fresh names, never one already taken."""

    def __init__(self, taken=()):
        self.taken = set(taken)

    def reserve(self, name: str) -> None:
        self.taken.add(name)

    def fresh(self, base: str, first_suffix: int = 1) -> str:
        base = _identifier(base)
        if base not in self.taken:
            self.taken.add(base)
            return base
        i = first_suffix
        while f"{base}_{i}" in self.taken:
            i += 1
        name = f"{base}_{i}"
        self.taken.add(name)
        return name


    def numbered(self, prefix: str) -> str:
        """``prefix1``, ``prefix2``, ...: the first one not taken."""
        i = 1
        while f"{prefix}{i}" in self.taken:
            i += 1
        self.taken.add(f"{prefix}{i}")
        return f"{prefix}{i}"


def _identifier(s: str) -> str:
    if s.isidentifier() and s[0] != "_" and s[-1] != "_" and not keyword.iskeyword(s) \
            and s.isascii():
        return s  # (the common case: already what the rules below make of it)
    s = re.sub(r"\W+", "_", s).strip("_") or "t"
    if s[0].isdigit():
        s = "v" + s
    if keyword.iskeyword(s):
        s += "_"
    return s


def describe(node) -> str:
    """A short description of what ``node`` computes, for a temporary's name.

    >>> describe(gast.parse("np.sin(w * x)").body[0].value)
    'sin_w_times_x'
    """
    if isinstance(node, gast.Name):
        return node.id
    if isinstance(node, gast.Constant):
        v = node.value
        if isinstance(v, float) and v.is_integer():
            v = int(v)
        return str(v).replace("-", "minus").replace(".", "_")
    if isinstance(node, gast.BinOp):
        return f"{describe(node.left)}_{_BINOP_WORDS.get(type(node.op), 'op')}_" \
               f"{describe(node.right)}"
    if isinstance(node, gast.UnaryOp):
        return f"{_UNARY_WORDS.get(type(node.op), 'op')}_{describe(node.operand)}"
    if isinstance(node, gast.Compare):
        return f"{describe(node.left)}_{_CMP_WORDS.get(type(node.ops[0]), 'cmp')}_" \
               f"{describe(node.comparators[0])}"
    if isinstance(node, gast.Call):
        fname = node.func.attr if isinstance(node.func, gast.Attribute) else (
            node.func.id if isinstance(node.func, gast.Name) else "call")
        if fname.startswith("__sct_ref"):
            fname = getattr(getattr(node.func, "ref_object", None), "__name__", "call")
        args = "_".join(describe(a) for a in node.args[:2])
        return f"{fname}_{args}" if args else fname
    if isinstance(node, gast.Attribute):
        return f"{describe(node.value)}_{node.attr}"
    if isinstance(node, gast.Subscript):
        return f"{describe(node.value)}_{describe(node.slice)}"
    if isinstance(node, (gast.Tuple, gast.List)):
        return "_".join(describe(e) for e in node.elts[:3]) or "empty"
    if isinstance(node, gast.Slice):
        return "slice"
    if isinstance(node, gast.IfExp):
        return "choice"
    if isinstance(node, gast.BoolOp):
        return "cond"
    return "t"


def temp_name(node, target_hint: str) -> str:
    """The base name of a temporary holding ``node``.

    Descriptive when short; ``None`` when too long, and the caller names it after
    the assignment it serves (``z_t1``)."""
    name = _identifier(describe(node))
    return None if len(name) > MAX_TEMP else name
