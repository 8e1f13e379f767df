"""Runtime-helper calls whose operands' shapes are decided -> the NumPy they come to.

Rules call helpers that work for any rank (``matmul_adjoint_a(g, a, b)`` is the
adjoint of ``a`` in ``a @ b`` for vectors, matrices and stacks of them). In a
derivative built for a shape pattern (shapes.py) the ranks are known, and the call
becomes the one product it would make at run time::

    h_bar = matmul_adjoint_a(z_bar, h, W2)     ->  h_bar = z_bar @ W2.T
    W2_bar = matmul_adjoint_b(z_bar, h, W2)    ->  W2_bar = h.T @ z_bar

Before: a function body after optimize and batch. After: the same body, with the
calls whose operands have decided shapes (``ctx.shapes``) rewritten.
"""

from __future__ import annotations

import gast

from .normalize import load
from .runtime import matmul_adjoint_a, matmul_adjoint_b


def _transposed(name):
    return gast.Attribute(value=load(name), attr="T", ctx=gast.Load())


def _matmul(a, b):
    return gast.BinOp(left=a, op=gast.MatMult(), right=b)


def _mul(a, b):
    return gast.BinOp(left=a, op=gast.Mult(), right=b)


def _rank(node, classes):
    if not isinstance(node, gast.Name):
        return None
    c = classes.get(node.id)
    if c == "()":
        return 0
    return len(c) if isinstance(c, tuple) else None


def _rewrite(call, classes):
    fn = getattr(call.func, "ref_object", None)
    if fn not in (matmul_adjoint_a, matmul_adjoint_b) or call.keywords or \
            len(call.args) != 3 or not all(isinstance(x, gast.Name) for x in call.args):
        return None
    g, a, b = (x.id for x in call.args)
    ra, rb = _rank(call.args[1], classes), _rank(call.args[2], classes)
    if fn is matmul_adjoint_a:
        if ra == 2 and rb == 2:
            return _matmul(load(g), _transposed(b))
        if ra == 1 and rb == 1:
            return _mul(load(g), load(b))
        if ra == 1 and rb == 2:
            return _matmul(load(b), load(g))  # (b @ g): the adjoint of a vector times b
        return None
    if ra == 2 and rb == 2:
        return _matmul(_transposed(a), load(g))
    if ra == 2 and rb == 1:
        return _matmul(load(g), load(a))
    if ra == 1 and rb == 1:
        return _mul(load(g), load(a))
    return None


class _Specialize(gast.NodeTransformer):
    def __init__(self, classes):
        self.classes = classes

    def visit_Call(self, node):
        self.generic_visit(node)
        new = _rewrite(node, self.classes)
        return node if new is None else new


def run(stmts, ctx) -> list:
    """``stmts`` with helper calls on decided shapes written as NumPy."""
    classes = getattr(ctx, "shapes", None) or {}
    if not any(isinstance(c, tuple) for c in classes.values()):
        return stmts
    t = _Specialize(classes)
    return [t.visit(s) for s in stmts]

