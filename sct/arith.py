"""Arithmetic folding for the optimizer: constants, ones, negations.

One bottom-up pass over an expression: an operation on two constants becomes its
value; multiplying or dividing a float by one, or raising it to the first power,
gives the float; negations of negations, and additions of negations, become
subtractions. ``1.0 * x`` folds only where ``x`` is known to be a float (``1 * n`` is
an ``int``, ``1.0 * n`` a ``float``: the type of the result would change).

The optimizer folds every statement it rewrites, every round, so the walk
dispatches on the node's class rather than asking every field of every node.

>>> import ast, gast
>>> e = gast.parse("-1.0 * (x * 1.0) + -(2.0 * 3.0)").body[0].value
>>> folder = Folder({"x"})
>>> print(ast.unparse(gast.gast_to_ast(folder.fold(e))))
-6.0 - x
"""

from __future__ import annotations

import numbers

import gast

_Name, _Constant = gast.Name, gast.Constant
_BinOp, _UnaryOp, _Call = gast.BinOp, gast.UnaryOp, gast.Call
_Attribute, _keyword = gast.Attribute, gast.keyword
_Mult, _Div, _Pow, _Add, _Sub, _USub = (gast.Mult, gast.Div, gast.Pow, gast.Add,
                                        gast.Sub, gast.USub)
_AST = gast.AST
_LEAF_TYPES = {_Name, _Constant}  # (nothing folds in them)
# operands that are neither constants nor negations, whatever they hold: an operation
# on two of them folds to itself (and an expression of such operations, facts.py)
INERT = {_Name, _BinOp, _Call, gast.Attribute, gast.Subscript, gast.Compare,
          gast.BoolOp, gast.IfExp, gast.Tuple, gast.List}


class Folder:
    """Folds expressions in place; counts the parts it rewrites in ``edits``."""

    def __init__(self, floats):
        self.floats = floats  # names known to hold floats (scalar or array)
        self.edits = 0  # rewrites of an expression's parts, so far

    def floaty(self, e) -> bool:
        t = type(e)
        if t is _Name:
            return e.id in self.floats
        if t is _Constant:
            return isinstance(e.value, float)
        if t is _Call:
            return True
        if t is _BinOp:
            return self.floaty(e.left) or self.floaty(e.right)
        if t is _UnaryOp:
            return self.floaty(e.operand)
        return isinstance(e, (_Name, _Constant, _Call, _BinOp, _UnaryOp)) and \
            _floaty_slow(self, e)

    def fold(self, e):
        """``e`` folded: its parts are folded in place, the result may be a new node."""
        t = type(e)
        if t is _BinOp:
            left = e.left
            if type(left) not in _LEAF_TYPES:
                new = self.fold(left)
                if new is not left:
                    e.left = new
                    self.edits += 1
            right = e.right
            if type(right) not in _LEAF_TYPES:
                new = self.fold(right)
                if new is not right:
                    e.right = new
                    self.edits += 1
            return self._binop(e)
        if t is _UnaryOp:
            operand = e.operand
            if type(operand) not in _LEAF_TYPES:
                new = self.fold(operand)
                if new is not operand:
                    e.operand = new
                    self.edits += 1
            return self._unaryop(e) if isinstance(e.op, _USub) else e
        if t is _Call:  # (a field may be missing where a stage made the node)
            func = getattr(e, "func", None)
            if isinstance(func, _AST) and type(func) not in _LEAF_TYPES:
                new = self.fold(func)
                if new is not func:
                    e.func = new
                    self.edits += 1
            for parts in (getattr(e, "args", None), getattr(e, "keywords", None)):
                if type(parts) is list:
                    for i, v in enumerate(parts):
                        if isinstance(v, _AST) and type(v) not in _LEAF_TYPES:
                            new = self.fold(v)
                            if new is not v:
                                parts[i] = new
                                self.edits += 1
            return e
        if t is _Attribute or t is _keyword:
            value = getattr(e, "value", None)
            if isinstance(value, _AST) and type(value) not in _LEAF_TYPES:
                new = self.fold(value)
                if new is not value:
                    e.value = new
                    self.edits += 1
            return e
        if t in _LEAF_TYPES or not e._fields:
            return e  # nothing folds in a name, a constant, an operator
        for fname in e._fields:
            value = getattr(e, fname, None)
            if type(value) is list:
                for i, v in enumerate(value):
                    if isinstance(v, _AST) and type(v) not in _LEAF_TYPES:
                        new = self.fold(v)
                        if new is not v:
                            value[i] = new
                            self.edits += 1
            elif isinstance(value, _AST) and type(value) not in _LEAF_TYPES:
                new = self.fold(value)
                if new is not value:
                    setattr(e, fname, new)
                    self.edits += 1
        if isinstance(e, (_BinOp, _UnaryOp)):  # (a subclass: the rules all the same)
            return self._binop(e) if isinstance(e, _BinOp) else (
                self._unaryop(e) if isinstance(e.op, _USub) else e)
        return e

    def _binop(self, e):
        """The rules for an operation whose operands are folded."""
        if type(e.left) in INERT and type(e.right) in INERT:
            return e  # (every rule wants a constant or a negation among the operands)
        lv, rv = _const(e.left), _const(e.right)
        op = type(e.op)
        if lv is not None and rv is not None:
            try:
                v = _BIN[op](lv, rv)
                if isinstance(v, (int, float)) and not isinstance(v, bool):
                    return _num(v)
            except (KeyError, ArithmeticError, ValueError, TypeError):
                pass
        if not isinstance(e.op, (_Mult, _Div, _Pow, _Add, _Sub)):
            return e
        if isinstance(e.op, _Mult):
            if lv == 1 and self.floaty(e.right):
                return e.right
            if rv == 1 and self.floaty(e.left):
                return e.left
            if lv == -1 and self.floaty(e.right):
                return gast.UnaryOp(op=gast.USub(), operand=e.right)
            if rv == -1 and self.floaty(e.left):
                return gast.UnaryOp(op=gast.USub(), operand=e.left)
        if isinstance(e.op, _Div) and rv == 1 and self.floaty(e.left):
            return e.left
        if isinstance(e.op, _Pow) and rv == 1 and self.floaty(e.left):
            return e.left
        if isinstance(e.op, _Add) and isinstance(e.right, _UnaryOp) \
                and isinstance(e.right.op, _USub):
            return gast.BinOp(left=e.left, op=gast.Sub(), right=e.right.operand)
        if isinstance(e.op, _Sub) and isinstance(e.right, _UnaryOp) \
                and isinstance(e.right.op, _USub):
            return gast.BinOp(left=e.left, op=gast.Add(), right=e.right.operand)
        if isinstance(e.op, _Add) and isinstance(e.left, _UnaryOp) \
                and isinstance(e.left.op, _USub):
            return gast.BinOp(left=e.right, op=gast.Sub(), right=e.left.operand)
        return e

    def _unaryop(self, e):
        """The rules for a negation whose operand is folded."""
        v = _const(e.operand)
        if isinstance(v, bool):
            v = None
        if v is not None:
            return _num(-v)
        if isinstance(e.operand, _UnaryOp) and isinstance(e.operand.op, _USub):
            return e.operand.operand
        return e


def may_fold(e) -> bool:
    """Whether a rule may rewrite the operation ``e`` (a ``BinOp`` or a ``UnaryOp``)
    as it stands, whatever its names hold: False where ``Folder.fold`` would return
    it unchanged once its operands fold to themselves (facts.py asks, to skip folds
    that would change nothing). A constant one, or a constant that is not a plain
    number, counts as a rule that may apply.

    >>> import gast
    >>> [may_fold(gast.parse(s).body[0].value) for s in ("0.5 * x", "-x", "x * 1.0",
    ...                                                   "x + -y", "2.0 - 1.0")]
    [False, False, True, True, True]
    """
    if type(e) is _UnaryOp:
        op = type(e.op)
        if op is _USub:
            return type(e.operand) not in INERT  # (a constant, a negation)
        return op is not gast.UAdd and op is not gast.Not and op is not gast.Invert
    if type(e) is not _BinOp:
        return True
    x, y = e.left, e.right
    tx, ty = type(x), type(y)
    for v, t in ((x, tx), (y, ty)):
        if t is _Constant:
            c = v.value
            if type(c) is not float and type(c) is not int or c == 1 or c == -1:
                return True
        elif t not in INERT:
            return True  # (a negation, or a node of another kind)
    return tx is _Constant and ty is _Constant


def _floaty_slow(folder, e) -> bool:
    """``floaty`` for an instance of a subclass of the node classes it knows."""
    if isinstance(e, _Name):
        return e.id in folder.floats
    if isinstance(e, _Constant):
        return isinstance(e.value, float)
    if isinstance(e, _Call):
        return True
    if isinstance(e, _BinOp):
        return folder.floaty(e.left) or folder.floaty(e.right)
    return folder.floaty(e.operand)


def _const(e):
    if type(e) is not _Constant and not isinstance(e, _Constant):
        return None
    v = e.value
    if type(v) is float or type(v) is int:
        return v
    if isinstance(v, numbers.Number) and not isinstance(v, (bool, complex)):
        return v
    return None


def _num(v):
    return gast.Constant(value=v, kind=None)


_BIN = {
    gast.Add: lambda a, b: a + b, gast.Sub: lambda a, b: a - b,
    gast.Mult: lambda a, b: a * b, gast.Div: lambda a, b: a / b,
    gast.Pow: lambda a, b: a ** b if abs(b) < 64 else None,
}
