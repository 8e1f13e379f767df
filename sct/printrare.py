"""The expressions sct's code seldom holds, for printer.py: slices, comparisons,
``and``/``or``, ``x if c else y``, ``*args`` and dicts, printed as astor 0.8 does
(see printer.py, whose ``_Printer`` has these as its :meth:`Rare.other`).

>>> from sct.printer import to_source
>>> import gast
>>> print(to_source(gast.parse("y = x[1:n:2] if a < b <= c and d else {k: v}")), end="")
y = x[1:n:2] if a < b <= c and d else {k: v}
"""

from __future__ import annotations

import gast

from .numtext import HIGHEST as _HIGHEST, OPS as _OPS, P as _P


class Unsupported(Exception):
    """A node this printer does not print as astor would."""


class Rare:
    """``_Printer.other``: the expressions its ``expr`` does not print itself."""

    def other(self, e, pp):
        t = type(e)
        w = self.out.append  # (a line is started: see stmt)
        if t is gast.Slice:
            p = _P["Slice"]
            if e.lower is not None:
                self.expr(e.lower, p)
            w(":")
            if e.upper is not None:
                self.expr(e.upper, p)
            if e.step is not None:
                w(":")
                if not (type(e.step) is gast.Name and e.step.id == "None"):
                    self.expr(e.step, p)
        elif t is gast.Compare:
            p = _OPS[type(e.ops[0])][1]
            paren = p < pp
            w("(" if paren else "")
            self.expr(e.left, p + 1)
            for op, right in zip(e.ops, e.comparators):
                w(f" {_OPS[type(op)][0]} ")
                self.expr(right, p + 1)
            w(")" if paren else "")
        elif t is gast.BoolOp:
            sym, p = _OPS[type(e.op)]
            paren = p < pp
            w("(" if paren else "")
            for i, v in enumerate(e.values):
                if i:
                    w(f" {sym} ")
                self.expr(v, p + 1)
            w(")" if paren else "")
        elif t is gast.IfExp:
            start = self.marks()
            p = _P["IfExp"]
            paren = p < pp
            w("(" if paren else "")
            self.expr(e.body, p + 1)
            w(" if ")
            self.expr(e.test, p + 1)
            w(" else ")
            self.expr(e.orelse, p)
            w(")" if paren else "")
            self.reordered(start)
        elif t is gast.Starred:
            w("*")
            self.expr(e.value, _HIGHEST)
        elif t is gast.Dict:
            start = self.marks()
            w("{")
            for i, (k, v) in enumerate(zip(e.keys, e.values)):
                if i:
                    w(", ")
                if k is not None:
                    self.expr(k, _HIGHEST)
                w(": " if k is not None else "**")
                self.expr(v, _P["Comma"])
            w("}")
            self.reordered(start)
        else:
            raise Unsupported(t.__name__)
