"""Outer products that a loop adds up, one per pass, become one matrix product after it.

The reverse of ``h = W @ h`` in a loop adds ``matmul_adjoint_a(h_bar, W, h)`` (an
outer product) into ``W_bar`` on every pass. Where nothing else in the loop touches
``W_bar``, the loop instead keeps each pass's two factors in lists and the sum is one
product after the loop (what a hand-written backpropagation through time does):

    W_bar = W_bar + matmul_adjoint_a(W_at_h_bar, W, h)      # in the loop
    ->
    W_at_h_bars.append(W_at_h_bar)                          # in the loop
    hs.append(h)
    W_bar = W_bar + matmul_adjoint_a_sum(W_at_h_bars, W, hs)  # after it

The lists hold the values themselves, so the pass only runs on functions that write
into no array in place (no ``x[i] = v``, no augmented assignment).

>>> import gast
>>> from sct.pipeline import Context
>>> from sct.runtime import matmul_adjoint_a
>>> body = gast.parse('''
... for t in range(n):
...     W_bar = W_bar + MA(g, W, h)
...     h = tape.pop()
... ''').body
>>> body[0].body[0].value.right.func.ref_object = matmul_adjoint_a
>>> class Ctx:
...     from sct.names import Namer
...     namer = Namer(["W_bar", "g", "W", "h", "tape", "n", "t"])
...     ref = staticmethod(lambda obj: gast.Name(id="SUM", ctx=gast.Load(),
...                                              annotation=None, type_comment=None))
>>> from sct.emit import to_source
>>> print(to_source(gast.Module(body=run(body, Ctx()), type_ignores=[])).strip())
gs = []
hs = []
for t in range(n):
    gs.append(g)
    hs.append(h)
    h = tape.pop()
W_bar = W_bar + SUM(gs, W, hs)
"""

from __future__ import annotations

import gast

from . import walk
from .normalize import assign, load
from .runtime import matmul_adjoint_a, matmul_adjoint_a_sum

_LOOPS = (gast.For, gast.While)


def run(stmts, ctx) -> list:
    """``stmts`` (a function body) with per-pass outer products summed after loops."""
    if not any(isinstance(s, _LOOPS) for s in walk.statements(stmts)):
        return stmts  # no loop: nothing to sum after one (and no walk of every node)
    if _in_place(stmts):
        return stmts  # values written in place: a list of them would change
    return _block(stmts, ctx)


def _in_place(stmts) -> bool:
    """Whether ``stmts`` hold an augmented assignment or an assignment into an item,
    anywhere: a walk of every node but the names (half of them), which hold neither
    (unless annotated)."""
    todo = list(stmts)
    push, extend = todo.append, todo.extend
    for n in todo:
        t = type(n)
        if t is gast.BinOp:  # (the commonest nodes first)
            push(n.left)
            push(n.right)
        elif t is gast.Name:
            if getattr(n, "annotation", None) is not None:
                push(n.annotation)
        elif t is gast.Constant:
            continue
        elif t is gast.AugAssign or t is gast.Subscript and type(n.ctx) is gast.Store:
            return True
        else:
            for field in n._fields:
                v = getattr(n, field, None)
                if type(v) is list:
                    extend([x for x in v if isinstance(x, gast.AST)])
                elif isinstance(v, gast.AST):
                    push(v)
    return False


def _block(stmts, ctx):
    out = []
    for s in stmts:
        for field in ("body", "orelse"):
            inner = getattr(s, field, None)
            if isinstance(inner, list) and inner and isinstance(inner[0], gast.stmt):
                setattr(s, field, _block(inner, ctx))
        if isinstance(s, _LOOPS):
            before, after = _loop(s, ctx)
            out += before + [s]
            for st in after:
                out.append(_start_from_zero(out, st))
        else:
            out.append(s)
    return out


def _match(s):
    """``(A, g, a, b)`` for ``A = A + matmul_adjoint_a(g, a, b)``, else None."""
    if not (isinstance(s, gast.Assign) and len(s.targets) == 1
            and isinstance(s.targets[0], gast.Name)):
        return None
    v = s.value
    if not (isinstance(v, gast.BinOp) and isinstance(v.op, gast.Add)
            and isinstance(v.left, gast.Name) and v.left.id == s.targets[0].id
            and isinstance(v.right, gast.Call) and not v.right.keywords
            and len(v.right.args) == 3
            and getattr(v.right.func, "ref_object", None) is matmul_adjoint_a):
        return None
    g, a, b = v.right.args
    if not all(isinstance(x, gast.Name) for x in (g, a, b)):
        return None
    return s.targets[0].id, g.id, a.id, b.id


def _loop(loop, ctx):
    if loop.orelse or any(isinstance(n, (gast.Break, gast.Continue, gast.Return))
                          for n in walk.nodes(loop)):
        return [], []
    names = walk.name_nodes(loop)
    written = {n.id for n in names if isinstance(n.ctx, gast.Store)}
    uses: dict = {}
    for n in names:
        uses[n.id] = uses.get(n.id, 0) + 1
    before, after, body = [], [], []
    lists: dict = {}  # name -> the list its value is appended to, once per pass

    def list_of(name):
        if name not in lists:
            lists[name] = ctx.namer.fresh(f"{name}s")
            before.append(assign(lists[name], gast.List(elts=[], ctx=gast.Load())))
            body.append(_append(lists[name], name))
        return lists[name]

    for s in loop.body:
        m = _match(s)
        if m is None or uses.get(m[0]) != 2 or m[2] in written or m[0] in (m[1], m[3]):
            body.append(s)
            for name in walk.writes(s):  # a new value: appended to a list of its own
                lists.pop(name, None)
            continue
        acc, g, a, b = m
        gs, bs = list_of(g), list_of(b)
        total = gast.Call(func=ctx.ref(matmul_adjoint_a_sum),
                          args=[load(gs), load(a), load(bs)], keywords=[])
        after.append(assign(acc, gast.BinOp(left=load(acc), op=gast.Add(), right=total)))
    loop.body = body
    return before, after


def _start_from_zero(out, st):
    """``A = A + total`` -> ``A = total`` when ``A = 0.0`` above is all ``A`` held;
    the assignment of zero is removed from ``out``."""
    acc = st.targets[0].id
    for i in range(len(out) - 1, -1, -1):
        s = out[i]
        if isinstance(s, gast.Assign) and len(s.targets) == 1 and isinstance(
                s.targets[0], gast.Name) and s.targets[0].id == acc:
            v = s.value
            if isinstance(v, gast.Constant) and v.value == 0 and not isinstance(
                    v.value, bool):
                del out[i]
                return assign(acc, st.value.right)
            return st
        if acc in {n.id for n in walk.name_nodes(s)}:
            return st
    return st


def _append(lst, name):
    call = gast.Call(func=gast.Attribute(value=load(lst), attr="append", ctx=gast.Load()),
                     args=[load(name)], keywords=[])
    return gast.Expr(value=call)
