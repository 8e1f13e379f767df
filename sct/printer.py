"""Print a gast tree as astor 0.8 prints it, for the nodes sct generates, faster.

astor needs an ``ast`` tree (a conversion of every node) and stores each node's
parent precedence on the node; this printer reads the gast tree as it is and hands
the precedence down as an argument. It follows astor's rules (parentheses by the
same precedence table, astor's spacing, numbers and quotes) so the text is the same
to the byte; a node it does not know makes :func:`to_source` return ``None``, and
the caller prints the tree with astor.

>>> import gast
>>> print(to_source(gast.parse("def f(x, y=2):\\n    return -(x + y) ** 2, x[1:]\\n")
...                 .body[0]), end="")
def f(x, y=2):
    return -(x + y) ** 2, x[1:]
"""

from __future__ import annotations

import gast

from .numtext import HIGHEST as _HIGHEST, OPS as _OPS, P as _P, POW_RHS as _POW_RHS
from .numtext import negative as _negative, number as _number
from .printrare import Rare, Unsupported


_Name, _BinOp = gast.Name, gast.BinOp
_SPACED = {op: (f" {sym} ", p) for op, (sym, p) in _OPS.items()}


def to_source(tree, plain=lambda s: False, comment=None) -> str | None:
    """astor's ``to_source(tree)`` text, or ``None``. ``plain(s)``: whether the string
    ``s`` prints as its ``repr`` wherever it is (sct's comment markers);
    ``comment(s)``: the line that a statement of the string ``s`` alone prints as
    instead (a blank line for ``""``), or ``None``: the statement as astor prints it."""
    p = printed(tree, plain, comment)
    return None if p is None else "".join(p.out)


def printed(tree, plain, comment, marked=()):
    """The :class:`_Printer` that printed ``tree`` (``None``: it cannot): ``out``, the
    text in pieces; ``names``, every name printed (parameters too); ``at``, where in
    ``out`` the names in ``marked`` went, in the fields' order (else ``None``)."""
    p = _Printer(plain)
    p.comment, p.marked = comment, marked
    try:
        p.stmt(tree) if not isinstance(tree, gast.Module) else p.stmts(tree.body)
    except Unsupported:
        return None
    out = p.out
    out.append("\n")
    if out and out[0] and set(out[0]) == {"\n"}:
        out[0] = ""
    return p


class _Printer(Rare):
    def __init__(self, plain):
        self.plain = plain
        self.out = []
        self.indent = 0
        self.new_lines = 0
        self.line_start = 0  # where in ``out`` the current line starts
        self.names, self.marked, self.at = [], (), []

    def w(self, text):
        """Write ``text``, starting the pending new line first (as astor does)."""
        if self.new_lines:
            self.out.append("\n" * self.new_lines)
            self.line_start = len(self.out)
            self.out.append("    " * self.indent)
            self.new_lines = 0
        if text:
            self.out.append(text)

    def newline(self, extra=0):
        self.new_lines = max(self.new_lines, 1 + extra)

    # -- statements -----------------------------------------------------------------
    def stmts(self, body):
        for s in body:
            self.stmt(s)

    def block(self, body):
        self.indent += 1
        self.stmts(body)
        self.indent -= 1

    def stmt(self, s):
        t = type(s)
        if t is gast.Assign:  # (newline() and w(""): the line starts, written here)
            out = self.out
            out.append("\n" * max(self.new_lines, 1))
            self.line_start = len(out)
            out.append("    " * self.indent)
            self.new_lines = 0
            for target in s.targets:  # (expressions write straight to ``out``)
                self.expr(target, 3)
                out.append(" = ")
            self.expr(s.value, 3)
            return
        w, e = self.w, self.expr
        if t is gast.Expr:
            self.newline()
            v = s.value
            line = self.comment(v.value) if self.comment and type(v) is gast.Constant \
                and isinstance(v.value, str) else None
            if line is None:
                w("")
                e(v, 5)
            elif line:
                w(line)
            else:  # (a blank line, without the indentation)
                w("")
                self.out[-1] = ""
        elif t is gast.Return:
            self.newline()
            w("return")
            if s.value is not None:
                w(" ")
                e(s.value, 11)
        elif t is gast.AugAssign:
            self.newline()
            w("")
            e(s.target, 5)
            w(f" {_OPS[type(s.op)][0]}= ")
            e(s.value, 5)
        elif t is gast.If:
            self.newline()
            w("if ")
            e(s.test, 9)
            w(":")
            self.block(s.body)
            while len(s.orelse) == 1 and type(s.orelse[0]) is gast.If:
                s = s.orelse[0]
                self.newline()
                w("elif ")
                e(s.test, 9)
                w(":")
                self.block(s.body)
            self.orelse(s.orelse)
        elif t is gast.For:
            self.newline()
            w("for ")
            e(s.target, 9)
            w(" in ")
            e(s.iter, _HIGHEST)  # (astor sets no precedence for the iterable)
            w(":")
            self.block(s.body)
            self.orelse(s.orelse)
        elif t is gast.While:
            self.newline()
            w("while ")
            e(s.test, 9)
            w(":")
            self.block(s.body)
            self.orelse(s.orelse)
        elif t is gast.Pass or t is gast.Break or t is gast.Continue:
            self.newline()
            w(t.__name__.lower())
        elif t is gast.FunctionDef:
            self.function(s)
        else:
            raise Unsupported(t.__name__)

    def orelse(self, body):
        if body:
            self.newline()
            self.w("else:")
            self.block(body)

    def function(self, s):
        if s.decorator_list or s.returns is not None or getattr(s, "type_params", None):
            raise Unsupported("FunctionDef")
        self.newline(1 if self.indent else 2)
        self.newline()
        self.w(f"def {s.name}(")
        start = self.marks()
        self.arguments(s.args)
        self.reordered(start)
        self.w("):")
        self.block(s.body)
        if not self.indent:
            self.newline(2)

    def arguments(self, a):
        first = [True]

        def comma():
            if first[0]:
                first[0] = False
            else:
                self.w(", ")

        def loop(args, defaults):
            pad = [None] * (len(args) - len(defaults))
            for arg, default in zip(args, pad + list(defaults)):
                comma()
                self.arg(arg)
                if default is not None:
                    self.w("=")
                    self.expr(default, _P["Comma"])

        offset = 0
        if a.posonlyargs:
            offset = len(a.defaults) - len(a.args)
            loop(a.posonlyargs, a.defaults[:offset])
            comma()
            self.w("/")
        loop(a.args, a.defaults[offset:])
        if a.vararg is not None:
            comma()
            self.w("*")
            self.arg(a.vararg)
        if a.kwonlyargs:
            if a.vararg is None:
                comma()
                self.w("*")
            loop(a.kwonlyargs, a.kw_defaults)
        if a.kwarg is not None:
            comma()
            self.w("**")
            self.arg(a.kwarg)

    def arg(self, node):
        if type(node) is not gast.Name or node.annotation is not None:
            raise Unsupported("annotation")
        self.expr(node, _HIGHEST)  # (mid-line: the name, kept as expressions' are)

    def marks(self):
        return 0 if self.at is None else len(self.at)

    def reordered(self, start):
        """Marked names written since ``marks()`` said ``start`` came in another order
        than the fields': defaults, an ``IfExp`` or a ``Dict`` printed them."""
        if self.at is not None and len(self.at) != start:
            self.at = None

    # -- expressions: ``pp`` is the precedence the parent hands down -----------------
    def expr(self, e, pp):
        t = type(e)
        w = self.out.append  # (a line is started: see stmt)
        if t is _Name:
            if e.id in self.marked and self.at is not None:
                self.at.append(len(self.out))
            w(e.id)
            self.names.append(e)
        elif t is _BinOp:
            op = type(e.op)
            sym, p = _SPACED[op]
            if p < pp:
                w("(")
            if op is gast.Pow:
                # (-2.0) ** n: a negative number must keep its parentheses there
                self.expr(e.left, _HIGHEST if _negative(e.left) else 56)
                w(" ** ")
                self.expr(e.right, _POW_RHS)
            else:  # (an operand that is a name, unmarked, written here)
                x = e.left
                if type(x) is _Name and x.id not in self.marked:
                    w(x.id)
                    self.names.append(x)
                else:
                    self.expr(x, p)
                w(sym)
                x = e.right
                if type(x) is _Name and x.id not in self.marked:
                    w(x.id)
                    self.names.append(x)
                else:
                    self.expr(x, p + 1)
            if p < pp:
                w(")")
        elif t is gast.Constant:
            self.constant(e, pp)
        elif t is gast.Attribute:
            self.expr(e.value, _HIGHEST)
            w(".")
            w(e.attr)
        elif t is gast.Call:
            self.call(e)
        elif t is gast.UnaryOp:
            sym, p = _OPS[type(e.op)]
            paren = p < pp
            w("(" if paren else "")
            w(sym)
            w(" " if sym.isalpha() else "")
            self.expr(e.operand, p)
            w(")" if paren else "")
        elif t is gast.Subscript:
            self.expr(e.value, _HIGHEST)
            w("[")
            self.expr(e.slice, _P["Subscript"])
            w("]")
        elif t is gast.Tuple:
            paren = _P["Tuple"] < pp or not e.elts
            w("(" if paren else "")
            self.comma_list(e.elts)
            if len(e.elts) == 1:
                w(",")
            w(")" if paren else "")
        elif t is gast.List:
            w("[")
            self.comma_list(e.elts)
            w("]")
        else:
            self.other(e, pp)

    def comma_list(self, elts):
        for i, x in enumerate(elts):
            if i:
                self.out.append(", ")
            self.expr(x, _P["Comma"])

    def call(self, e):
        w = self.out.append  # (a line is started: see stmt)
        self.expr(e.func, _HIGHEST)
        w("(")
        p = _P["Comma"] if len(e.args) + len(e.keywords) > 1 else _P["call_one_arg"]
        first = True
        for a in e.args:
            if not first:
                w(", ")
            first = False
            if type(a) is _Name and a.id not in self.marked:
                w(a.id)  # (as expr writes it)
                self.names.append(a)
            else:
                self.expr(a, p)
        for k in e.keywords:
            if not first:
                w(", ")
            first = False
            w(k.arg or "")
            w("=" if k.arg else "**")
            self.expr(k.value, _P["Comma"])
        w(")")

    def constant(self, e, pp):
        v = e.value
        if isinstance(v, (int, float, complex)):  # (bool too, as in astor)
            paren = _P["Constant"] < pp
            self.out.append(f"({_number(v)})" if paren else _number(v))
        elif isinstance(v, str) and self.plain(v):
            self.w(repr(v))
        elif isinstance(v, str):
            # astor keeps repr for a one-line string after other text on its line
            # when the parent's precedence is at least an assignment's
            self.w("")
            line = "".join(self.out[self.line_start:])
            if "\n" in v or "\r" in v or pp < _P["Assign"] or not line.strip() or \
                    getattr(e, "kind", None):
                raise Unsupported("string")
            self.w(repr(v))
        elif v is Ellipsis:
            self.w("...")
        else:
            self.w(repr(v))
