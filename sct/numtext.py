"""Numbers as astor 0.8 writes them, for printer.py: ``repr``, but infinity as
``1e1000`` and NaN as ``(1e1000-1e1000)``, and complex numbers in parentheses; and
astor's precedence table, by which printer.py puts parentheses where astor does.

>>> number(2.5), number(float("inf")), number(-float("inf")), number(1 + 2j)
('2.5', '1e1000', '-1e1000', '(1.0+2.0j)')
>>> [negative(gast.Constant(value=v, kind=None)) for v in (-1.0, 1, -0.0)]
[True, False, True]
"""

from __future__ import annotations

import math

import gast

# astor's precedence table (astor/op_util.py): a child is wrapped in parentheses when
# its own precedence is below the one its parent hands down
P = dict(GeneratorExp=1, Assign=3, AugAssign=5, Expr=5, If=9, For=9, While=9,
          Return=11, Slice=13, Subscript=13, Tuple=19, Comma=21, call_one_arg=25,
          IfExp=27, Constant=61)
HIGHEST = 63  # what a parent that sets nothing hands down
OPS = {  # operator class -> (symbol, precedence)
    gast.Or: ("or", 31), gast.And: ("and", 33), gast.Not: ("not", 35),
    gast.Eq: ("==", 37), gast.Gt: (">", 37), gast.GtE: (">=", 37), gast.In: ("in", 37),
    gast.Is: ("is", 37), gast.NotEq: ("!=", 37), gast.Lt: ("<", 37),
    gast.LtE: ("<=", 37), gast.NotIn: ("not in", 37), gast.IsNot: ("is not", 37),
    gast.BitOr: ("|", 39), gast.BitXor: ("^", 41), gast.BitAnd: ("&", 43),
    gast.LShift: ("<<", 45), gast.RShift: (">>", 45), gast.Add: ("+", 47),
    gast.Sub: ("-", 47), gast.Mult: ("*", 49), gast.Div: ("/", 49),
    gast.Mod: ("%", 49), gast.FloorDiv: ("//", 49), gast.MatMult: ("@", 49),
    gast.Invert: ("~", 53), gast.UAdd: ("+", 53), gast.USub: ("-", 53),
    gast.Pow: ("**", 55),
}
POW_RHS = 51


def negative(e) -> bool:
    """A constant whose text starts with a minus sign."""
    return type(e) is gast.Constant and isinstance(e.value, (int, float)) and \
        number(e.value).startswith("-")


def number(value) -> str:
    """astor's text of a number (infinity as 1e1000, NaN as 1e1000-1e1000)."""
    t = type(value)
    if t is int or t is float and value - value == 0.0:  # (finite: the commonest)
        return repr(value)
    def part(x, imaginary):
        s = "j" if imaginary else ""
        try:
            if math.isinf(x):
                return ("-1e1000" if x < 0 else "1e1000") + s
            if math.isnan(x):
                return f"(1e1000{s}-1e1000{s})"
        except OverflowError:  # an int too large for a float
            pass
        return repr(x) + s

    if not isinstance(value, complex):
        return part(value, False)
    real, imag = part(value.real, False), part(value.imag, True)
    if value.real == 0:
        return imag
    if value.imag == 0:
        return f"({real}+0j)"
    return f"({real}{'' if imag.startswith('-') else '+'}{imag})"
