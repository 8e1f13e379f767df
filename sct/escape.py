"""Returned derivatives never share memory with the arguments or with each other.

Inside a derivative, ``y_bar = x * 1.0`` and ``y_bar = x`` are interchangeable, and
the optimizer folds the first into the second. Returned, the second is the caller's
own array: ``g = sct.grad(f, argnums=1)(x, y)`` would be ``x`` itself, and
``g *= 0.1`` would change ``x``. Two gradients may likewise come out as one array.
This pass finds, for each returned array, the objects it may be (its *roots*:
parameters, values made by arithmetic, anything not followed) and copies it where a
root is a parameter, is not followed, or is another returned array's::

    return as_grad(x, y)              ->  return as_grad(private_copy(x), y)

Arithmetic and the NumPy functions that always allocate make new objects; any other
call may return one of its arguments (``unbroadcast(g, x)`` returns ``g`` when the
shapes agree), so its roots are its arguments'.

>>> import gast
>>> from sct import emit
>>> body = gast.parse("t = x * y\\nu = t\\nreturn g(u, x), g(x, y), g(t, y)").body
>>> def callee(call):
...     return as_grad if call.func.id == "g" else None
>>> def ref(obj):
...     return gast.Name(id=obj.__name__, ctx=gast.Load(), annotation=None,
...                      type_comment=None)
>>> run(body, {"x", "y"}, callee, ref)
2
>>> print(emit.to_source(gast.Module(body=body[-1:], type_ignores=[])).strip())
return g(u, x), g(private_copy(x), y), g(private_copy(t), y)
"""

from __future__ import annotations

import gast
import numpy as np

from . import walk
from .runtime import (as_grad, broadcast_like, extremum_mask, matmul_adjoint_a,
                      matmul_adjoint_a_sum, matmul_adjoint_b, maximum_mask, private_copy,
                      setitem, unbroadcast, unreduce, zero_item, zeros_like)

# functions whose result is always a new object (given no ``out=``)
_FRESH = {np.sum, np.mean, np.prod, np.max, np.min, np.amax, np.amin, np.var, np.std,
          np.dot, np.matmul, np.outer, np.inner, np.einsum, np.concatenate, np.stack,
          np.zeros, np.ones, np.full, np.empty, np.zeros_like, np.ones_like,
          np.full_like, np.array, np.copy, np.where, np.clip, np.cumsum, np.tril,
          np.triu, np.linalg.inv, np.linalg.solve, np.linalg.det, np.linalg.norm,
          np.linalg.cholesky, unreduce, matmul_adjoint_a, matmul_adjoint_b,
          matmul_adjoint_a_sum, zeros_like, private_copy, zero_item, setitem,
          extremum_mask, maximum_mask}
# functions whose result is a new object or their first argument (the others are read
# for their shapes)
_FIRST = {unbroadcast, broadcast_like, as_grad}
_NOT_FOLLOWED = ("not followed",)


def _in(fn, table) -> bool:
    try:
        return fn in table
    except TypeError:  # unhashable
        return False


def allocates(fn) -> bool:
    """Whether ``fn`` always returns a new object (given no ``out=``)."""
    if isinstance(fn, np.ufunc) or _in(fn, _FRESH):
        return True
    # np.add.reduce and the other methods of a ufunc that make a new array
    return isinstance(getattr(fn, "__self__", None), np.ufunc) and getattr(
        fn, "__name__", "") in ("reduce", "accumulate", "outer", "reduceat")


class _Roots:
    def __init__(self, stmts, params, callee):
        self.params, self.callee = params, callee
        self.defs: dict = {}
        self.unfollowed: set = set()  # names bound by loops, unpacking, ...
        for n in walk.statements(stmts):  # (in walk order: the cycles below follow it)
            if type(n) is gast.Assign and len(n.targets) == 1 and \
                    type(n.targets[0]) is gast.Name:
                self.defs.setdefault(n.targets[0].id, []).append(n.value)
            elif type(n) in (gast.Assign, gast.For, gast.AugAssign):
                targets = n.targets if type(n) is gast.Assign else [n.target]
                for t in targets:
                    if type(t) is not gast.Name:
                        self.unfollowed |= walk.writes(t)
        self.memo: dict = {}

    def of_name(self, name) -> frozenset:
        if name in self.params:
            return frozenset({("parameter", name)})
        if name in self.unfollowed or name not in self.defs:
            return frozenset({_NOT_FOLLOWED})  # (a global, a loop target)
        if name not in self.memo:
            self.memo[name] = frozenset({_NOT_FOLLOWED})  # (a cycle: not followed)
            out = set()
            for value in self.defs[name]:
                if type(value) in (gast.BinOp, gast.UnaryOp):
                    out.add(("new", name))  # arithmetic: a new object
                else:
                    out |= self.of(value)
            self.memo[name] = frozenset(out)
        return self.memo[name]

    def of(self, e) -> frozenset:
        t = type(e)
        if t is gast.Constant:
            return frozenset()
        if t is gast.Name:
            return self.of_name(e.id)
        if t in (gast.BinOp, gast.UnaryOp, gast.Compare):
            return frozenset({("new", id(e))})
        if t in (gast.Subscript, gast.Attribute):  # a view, an item or ``x.T``
            return self.of(e.value)
        if t in (gast.Tuple, gast.List, gast.IfExp):
            return frozenset().union(*(self.of(x) for x in gast.iter_child_nodes(e)
                                       if not isinstance(x, gast.expr_context)))
        if t is gast.Call:
            fn = self.callee(e)
            if fn is not None and allocates(fn) and not any(
                    k.arg == "out" for k in e.keywords):
                return frozenset({("new", id(e))})
            if fn is not None and e.args and _in(fn, _FIRST):
                return self.of(e.args[0])
            if type(e.func) is gast.Attribute and e.func.attr == "pop":
                return frozenset({_NOT_FOLLOWED})  # a value off the tape
            parts = list(e.args) + [k.value for k in e.keywords]
            if type(e.func) is gast.Attribute:
                parts.append(e.func.value)
            return frozenset().union(*(self.of(x) for x in parts))
        return frozenset({_NOT_FOLLOWED})


def run(stmts, params, callee, ref, arrays=None, value_first=False) -> int:
    """Copy what the final ``return`` hands back where it may share memory; how many
    copies were added.

    Args:
        stmts: a function body ending with its ``return``.
        params: the function's parameter names (the seed ``out_bar`` included).
        callee: ``call node -> object called`` (or ``None``).
        ref: ``object -> placeholder`` naming a global object in generated code.
        arrays: the parameters that may be arrays (``None``: any); gradients of the
            others (floats, containers) are left as they are.
        value_first: the ``return`` hands back a tuple whose first item is the
            function's value (``out, grads`` or ``out, saved``); it is copied where
            it may be an array argument (``f(x) = x * 1.0`` folded to ``x``).
    """
    ret = stmts[-1] if stmts and type(stmts[-1]) is gast.Return else None
    if ret is None or ret.value is None:
        return 0
    roots = _Roots(stmts, set(params), callee)
    seen: set = set()
    copies = 0
    if value_first and type(ret.value) is gast.Tuple and ret.value.elts:
        # the function's value: the caller's array only where f returns it too
        out = ret.value.elts[0]
        if any(r[0] == "parameter" and (arrays is None or r[1] in arrays)
               for r in roots.of(out)):
            ret.value.elts[0] = gast.Call(func=ref(private_copy), args=[out], keywords=[])
            copies += 1
    for call in walk.nodes(ret.value):
        if type(call) is not gast.Call or callee(call) is not as_grad or \
                len(call.args) != 2 or (arrays is not None and not (
                    type(call.args[1]) is gast.Name and call.args[1].id in arrays)):
            continue
        r = roots.of(call.args[0])
        if any(x[0] != "new" for x in r) or r & seen:
            call.args[0] = gast.Call(func=ref(private_copy), args=[call.args[0]],
                                     keywords=[])
            copies += 1
        else:
            seen |= r
    return copies
