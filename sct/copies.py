"""The copies and constants known at a point of straight-line code, for the optimizer.

After ``a = b`` (or ``a = 1.0``) a read of ``a`` may read ``b`` instead, until ``a``
or ``b`` is written again. :class:`Env` holds these facts and forgets them when a
name is written; it keeps, for each name, the names that copied it, so a write
forgets its copies without looking at every fact (the optimizer writes a name in
every statement, and in a long gradient many copies are known at once).

>>> import gast
>>> env = Env()
>>> env.add("a", gast.Name(id="b", ctx=gast.Load(), annotation=None, type_comment=None))
>>> env.add("c", gast.Constant(value=1.0, kind=None))
>>> e = gast.parse("f(a, c, d)").body[0].value
>>> substitute(e, env), [getattr(x, "id", getattr(x, "value", None)) for x in e.args]
(2, ['b', 1.0, 'd'])
>>> env.kill("b"), sorted(env)
(None, ['c'])
"""

from __future__ import annotations

import gast

from . import walk

_Name, _Load, _Constant, _AST = gast.Name, gast.Load, gast.Constant, gast.AST
_BinOp = gast.BinOp
_MARKS = walk._MARKS  # contexts and operators: no names in them
_clone = walk.clone


class Env(dict):
    """name -> the ``Name`` or ``Constant`` it holds a copy of."""

    __slots__ = ("copies",)

    def __init__(self, *args):
        super().__init__(*args)
        self.copies: dict = {}  # name -> names that were set to copy it (some since not)

    def add(self, name, value):
        self[name] = value
        if isinstance(value, _Name):
            self.copies.setdefault(value.id, []).append(name)

    def kill(self, name):
        """``name`` is written: forget what it held, and the names that copy it."""
        self.pop(name, None)
        copies = self.copies.pop(name, None)
        if copies:
            for k in copies:
                v = self.get(k)
                if v is not None and isinstance(v, _Name) and v.id == name:
                    del self[k]

    def copy(self):
        new = Env(self)
        new.copies = {k: list(v) for k, v in self.copies.items()}
        return new


def chained(reads, env) -> bool:
    """Whether a name in ``reads`` holds a copy of a name that holds a copy in ``env``
    (after the substitution the next round has one to make), or holds what is
    neither a name nor a constant."""
    for n in reads:
        v = env.get(n)
        if v is not None and type(v) is not _Constant and (
                type(v) is not _Name or v.id in env):
            return True
    return False


def substitute(node, env) -> int:
    """Reads of names in ``env`` under ``node`` (not ``node`` itself) -> copies of what
    the names hold; the number of reads replaced."""
    count = 0
    todo = [node]
    push = todo.append
    for n in todo:  # (a list iterator sees what is appended meanwhile)
        t = type(n)
        if t is _BinOp:  # (the commonest: its operands without asking every field)
            x = n.left
            if type(x) is _Name:
                if type(x.ctx) is _Load and x.id in env:
                    n.left = _clone(env[x.id])
                    count += 1
                elif getattr(x, "annotation", None) is not None:
                    push(x)
            elif type(x) is not _Constant:
                push(x)
            x = n.right
            if type(x) is _Name:
                if type(x.ctx) is _Load and x.id in env:
                    n.right = _clone(env[x.id])
                    count += 1
                elif getattr(x, "annotation", None) is not None:
                    push(x)
            elif type(x) is not _Constant:
                push(x)
            continue
        if t is _Constant:
            continue
        for field in n._fields:
            v = getattr(n, field, None)
            if type(v) is list:
                for i, x in enumerate(v):
                    if isinstance(x, _Name) and isinstance(x.ctx, _Load) and x.id in env:
                        v[i] = _clone(env[x.id])
                        count += 1
                    elif isinstance(x, _AST) and type(x) not in _MARKS:
                        push(x)
            elif isinstance(v, _Name):
                if isinstance(v.ctx, _Load) and v.id in env:
                    setattr(n, field, _clone(env[v.id]))
                    count += 1
                else:
                    push(v)
            elif v is not None and type(v) not in _MARKS and isinstance(v, _AST):
                push(v)
    return count
