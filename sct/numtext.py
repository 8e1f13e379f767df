"""Numbers as astor 0.8 writes them, for printer.py: ``repr``, but infinity as
``1e1000`` and NaN as ``(1e1000-1e1000)``, and complex numbers in parentheses.

>>> number(2.5), number(float("inf")), number(-float("inf")), number(1 + 2j)
('2.5', '1e1000', '-1e1000', '(1.0+2.0j)')
>>> [negative(gast.Constant(value=v, kind=None)) for v in (-1.0, 1, -0.0)]
[True, False, True]
"""

from __future__ import annotations

import math

import gast


def negative(e) -> bool:
    """A constant whose text starts with a minus sign."""
    return type(e) is gast.Constant and isinstance(e.value, (int, float)) and \
        number(e.value).startswith("-")


def number(value) -> str:
    """astor's text of a number (infinity as 1e1000, NaN as 1e1000-1e1000)."""
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
