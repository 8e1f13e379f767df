"""``for`` over sequences -> ``for`` over indices.

The reverse transform differentiates ``x = seq[k]`` (an indexing rule) but not an
iterator's hidden state, so loops over arrays, lists, ``enumerate``, ``zip`` and
``reversed`` are rewritten to index loops over ``range``. Loops over ``range`` stay.
Iterables that cannot be indexed (generators, dict views) are turned into a list
first, by ``as_sequence``.

>>> import gast, sct.emit
>>> from sct.names import Namer
>>> class Ctx:
...     namer = Namer({"f", "xs", "i", "x"}); globals = {}; cells = {}
...     def ref(self, obj):
...         return gast.Name(id=obj.__name__, ctx=gast.Load(), annotation=None,
...                          type_comment=None)
>>> tree = gast.parse('''
... def f(xs):
...     for i, x in enumerate(xs):
...         pass
... ''').body[0]
>>> print(sct.emit.to_source(run(tree, Ctx())).rstrip())
def f(xs):
    sequence = as_sequence(xs)
    for index in range(len(sequence)):
        i, x = index, sequence[index]
        pass
"""

from __future__ import annotations

import builtins

import gast

from . import walk
from .normalize import assign, load, store
from .runtime import as_sequence


def _call(ctx, fn, *args):
    return gast.Call(func=ctx.ref(fn), args=list(args), keywords=[])


def _builtin_call(node, name, ctx):
    """Whether ``node`` calls the builtin ``name`` (not shadowed by the user)."""
    if not (isinstance(node, gast.Call) and isinstance(node.func, gast.Name)
            and node.func.id == name and not node.keywords):
        return False
    return ctx.globals.get(name, getattr(builtins, name)) is getattr(builtins, name) \
        and name not in ctx.cells and name not in getattr(ctx, "local_names", ())


class _Loops(walk.Transformer):
    def __init__(self, ctx):
        self.ctx = ctx

    def visit_For(self, node):
        self.generic_visit(node)
        it = node.iter
        if _builtin_call(it, "range", self.ctx):
            return node
        namer = self.ctx.namer
        pre = []

        def sequence(expr):
            name = namer.fresh("sequence")
            pre.append(gast.copy_location(assign(name, _call(self.ctx, as_sequence, expr)),
                                          node))
            return name

        k = namer.fresh("index")
        start = None
        if _builtin_call(it, "enumerate", self.ctx) and len(it.args) in (1, 2):
            seq = sequence(it.args[0])
            count = _call(self.ctx, len, load(seq))
            first = load(k) if len(it.args) == 1 else gast.BinOp(
                left=load(k), op=gast.Add(), right=it.args[1])
            item = gast.Tuple(elts=[first, _index(seq, k)], ctx=gast.Load())
        elif _builtin_call(it, "zip", self.ctx) and it.args:
            seqs = [sequence(a) for a in it.args]
            lens = [_call(self.ctx, len, load(s)) for s in seqs]
            count = lens[0] if len(lens) == 1 else _call(self.ctx, min, *lens)
            item = gast.Tuple(elts=[_index(s, k) for s in seqs], ctx=gast.Load())
        elif _builtin_call(it, "reversed", self.ctx) and len(it.args) == 1:
            seq = sequence(it.args[0])
            last = gast.BinOp(left=_call(self.ctx, len, load(seq)), op=gast.Sub(),
                              right=gast.Constant(value=1, kind=None))
            start = [last, gast.Constant(value=-1, kind=None),
                     gast.Constant(value=-1, kind=None)]
            count = None
            item = _index(seq, k)
        else:
            seq = sequence(it)
            count = _call(self.ctx, len, load(seq))
            item = _index(seq, k)
        bounds = start if start is not None else [count]
        unpack = gast.copy_location(gast.Assign(targets=[node.target], value=item,
                                                type_comment=None), node)
        loop = gast.For(target=store(k), iter=_call(self.ctx, range, *bounds),
                        body=[unpack] + node.body, orelse=node.orelse, type_comment=None)
        return pre + [gast.copy_location(loop, node)]


def _index(seq, k):
    return gast.Subscript(value=load(seq), slice=load(k), ctx=gast.Load())


def run(tree, ctx):
    """Every ``for`` iterates over ``range``; see the module docstring."""
    if not any(type(s) is gast.For for s in walk.statements(tree)):
        return tree  # (the common case: no walk of every expression)
    return _Loops(ctx).visit(tree)
