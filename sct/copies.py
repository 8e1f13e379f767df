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
(True, ['c'])
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

    def kill(self, name) -> bool:
        """``name`` is written: forget what it held, and the names that copy it;
        whether a name held a copy of it until now."""
        self.pop(name, None)
        copies = self.copies.pop(name, None)
        ended = False
        if copies:
            for k in copies:
                v = self.get(k)
                if v is not None and isinstance(v, _Name) and v.id == name:
                    del self[k]
                    ended = True
        return ended

    def copy(self):
        new = Env(self)
        new.copies = {k: list(v) for k, v in self.copies.items()}
        return new


def chained(reads, env, floats) -> int:
    """What a statement reading ``reads`` has left to take after it takes the copies
    ``env`` holds (the next round's work): 0 nothing; 1 a copy of a name that holds a
    copy of another name, each in ``floats`` or each not; 2 a copy of a name that
    holds a constant, or of another kind (or what is neither a name nor a constant).

    >>> import gast
    >>> env = Env()
    >>> env.add("b", gast.parse("c").body[0].value)
    >>> env.add("a", gast.parse("b").body[0].value)
    >>> [chained(*case) for case in (({"a"}, env, {"b", "c"}), ({"a"}, env, {"b"}),
    ...                               ({"b"}, env, {}))]
    [1, 2, 0]
    """
    found = 0
    for n in reads:
        v = env.get(n)
        if v is None or type(v) is _Constant:
            continue
        if type(v) is not _Name:
            return 2
        w = env.get(v.id)
        if w is None:
            continue
        if type(w) is not _Name or (v.id in floats) != (w.id in floats):
            return 2
        found = 1
    return found


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
