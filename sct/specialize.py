"""Runtime-helper calls whose operands' shapes are decided -> the NumPy they come to.

Rules call helpers that work for any rank (``matmul_adjoint_a(g, a, b)`` is the
adjoint of ``a`` in ``a @ b`` for vectors, matrices and stacks of them). In a
derivative built for a shape pattern (shapes.py) the ranks are known, and the call
becomes the one product it would make at run time::

    h_bar = matmul_adjoint_a(z_bar, h, W2)     ->  h_bar = z_bar @ W2.T
    W2_bar = matmul_adjoint_b(z_bar, h, W2)    ->  W2_bar = h.T @ z_bar

``unreduce(g, x, axis, keepdims)`` spreads the adjoint of a reduction over ``x``'s
shape in a new array. When that array's one use is an elementwise operation with an
operand of ``x``'s shape, broadcasting spreads it anyway: ``g`` (with the reduced
axes kept) takes its place and the array is never made::

    e_bar = unreduce(s_bar, e, 1, False)       ->  e_bar = s_bar[:, None]
    z_bar = logp_bar + e_bar * e                   (e_bar's one use: unchanged)

The adjoint of a mean is a uniform array: ``unreduce(c, s, None, False)`` for a scalar
``c``. Spread again (the mean of a row sum), it is still uniform, and ``c`` itself
takes the place of both. The count a mean divides by, ``reduced_count(x, axis)``,
is a product of sizes the arguments carry, so ``x`` itself is no longer needed::

    s_bar = unreduce(-1.0 / reduced_count(s, None), s, None, False)
    e_bar = unreduce(s_bar, e, 1, False)       ->  e_bar = -1.0 / Y.shape[0]
    logp_bar = Y * e_bar                           (then s and e go: nothing reads them)

Before: a function body after optimize and batch. After: the same body, with the
calls whose operands have decided shapes (``ctx.shapes``) rewritten.
"""

from __future__ import annotations

import gast
import numpy as np

from . import walk
from .found import Found
from .survey import survey
from .normalize import constant, load
from .reverse import COMMENT
from .runtime import (extremum_mask, matmul_adjoint_a, matmul_adjoint_b, reduced_count,
                      unreduce)

_SPREADING = (gast.Add, gast.Sub, gast.Mult, gast.Div)
_Name, _BinOp = gast.Name, gast.BinOp


def _transposed(name):
    return gast.Attribute(value=load(name), attr="T", ctx=gast.Load())


def _matmul(a, b):
    return gast.BinOp(left=a, op=gast.MatMult(), right=b)


def _mul(a, b):
    return gast.BinOp(left=a, op=gast.Mult(), right=b)


def _rank(node, classes):
    shape = _shape_of(node, classes)
    return None if shape is None else len(shape)


def _rewrite(call, classes, ref):
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
        if ra == 2 and rb == 1:
            return gast.Call(func=ref(np.outer), args=[load(g), load(b)], keywords=[])
        return None
    if ra == 2 and rb == 2:
        return _matmul(_transposed(a), load(g))
    if ra == 2 and rb == 1:
        return _matmul(load(g), load(a))
    if ra == 1 and rb == 1:
        return _mul(load(g), load(a))
    if ra == 1 and rb == 2:
        return gast.Call(func=ref(np.outer), args=[load(a), load(g)], keywords=[])
    return None


def _shape_of(node, classes):
    """The decided shape of an operand (a name, or an ``extremum_mask`` of one)."""
    if isinstance(node, gast.Call) and getattr(node.func, "ref_object", None) is \
            extremum_mask and node.args:
        node = node.args[0]
    if isinstance(node, gast.Name):
        c = classes.get(node.id)
        return c if isinstance(c, tuple) else None  # (a tuple is a decided shape)
    return None


def _kept(call, classes):
    """``g`` with the reduced axes kept, for ``unreduce(g, x, axis, keepdims)`` on a
    decided ``x``; else ``None``."""
    if getattr(call.func, "ref_object", None) is not unreduce or call.keywords or \
            len(call.args) != 4:
        return None
    g, x, axis, keepdims = call.args
    shape = _shape_of(x, classes)
    if shape is not None and _scalar(g, classes):
        return g  # a scalar broadcasts, whatever the axes
    if shape is None or not isinstance(keepdims, gast.Constant) or not isinstance(
            axis, gast.Constant) or type(keepdims.value) is not bool:
        return None  # (keepdims=1 keeps the axes too: not decided here)
    if not isinstance(g, (gast.Name, gast.Constant)):
        return None
    if keepdims.value is True or axis.value is None:
        return g  # already broadcasts: kept axes, or a scalar
    if not isinstance(g, gast.Name):
        return None
    axes = axis.value if isinstance(axis.value, tuple) else (axis.value,)
    if not all(type(a) is int and -len(shape) <= a < len(shape) for a in axes):
        return None
    axes = {a % len(shape) for a in axes}
    index = [gast.Constant(value=None, kind=None) if i in axes else
             gast.Slice(lower=None, upper=None, step=None) for i in range(len(shape))]
    return gast.Subscript(value=g, slice=gast.Tuple(elts=index, ctx=gast.Load())
                          if len(index) > 1 else index[0], ctx=gast.Load())


def _spreads(op, other, x, classes):
    """Whether ``(unreduced) op other`` broadcasts to ``x``'s shape on its own."""
    shape = _shape_of(x, classes)
    return isinstance(op, _SPREADING) and shape is not None and \
        _shape_of(other, classes) == shape


def _unreduce_operands(node, classes):
    """In a BinOp, the ``unreduce`` operands whose result only meets ``x``'s shape."""
    for side, other in (("left", node.right), ("right", node.left)):
        call = getattr(node, side)
        if isinstance(call, gast.Call) and len(call.args) > 1 and _spreads(
                node.op, other, call.args[1], classes):
            kept = _kept(call, classes)
            if kept is not None:
                setattr(node, side, kept)


def _spreads_up(chain, x, classes):
    """Whether a value read where ``chain`` starts meets ``x``'s shape in an elementwise
    operation. ``chain``: ``[(binop, other operand), ...]`` from the read up through
    the enclosing operations; on the way, only scalars may join it (``t * 2 * h``:
    elementwise operations commute with broadcasting)."""
    for binop, other in chain:
        if _spreads(binop.op, other, x, classes):
            return True
        if not isinstance(binop.op, _SPREADING) or not _scalar(other, classes):
            return False
    return False


def _candidates(assigned) -> set:
    """The names :func:`_spread_uses` may spread: assigned once, a call of four
    arguments (as ``unreduce`` is)."""
    return {name for name, defs in assigned.items() if len(defs) == 1 and type(
        defs[0].value) is gast.Call and len(defs[0].value.args) == 4}


def _spread_uses(found, classes, assigned, candidates):
    """``{assignment: kept g}`` for ``t = unreduce(...)`` whose every read spreads it
    (``found.names``: the names read, at least those of ``candidates``)."""
    if not candidates:
        return {}
    # id(operand) -> (the BinOp, the other operand), for the operands a chain of reads
    # goes through: a candidate's name, then operations
    parents: dict = {}
    for n in found.binops:
        x, y = n.left, n.right
        t = type(x)
        if t is _BinOp or t is _Name and x.id in candidates:
            parents[id(x)] = (n, y)
        t = type(y)
        if t is _BinOp or t is _Name and y.id in candidates:
            parents[id(y)] = (n, x)
    loads: dict = {}
    reads: dict = {}
    for n in found.names:
        if n.id not in candidates:
            continue
        if type(n.ctx) is gast.Load:
            loads[n.id] = loads.get(n.id, 0) + 1
        if id(n) in parents:
            chain, node = [], n
            while id(node) in parents:
                chain.append(parents[id(node)])
                node = chain[-1][0]
            reads.setdefault(n.id, []).append(chain)
    out = {}
    for name, defs in assigned.items():
        if name not in candidates:
            continue
        uses = reads.get(name, ())
        if not uses or loads.get(name) != len(uses):
            continue
        call = defs[0].value
        if all(_spreads_up(chain, call.args[1], classes) for chain in uses):
            kept = _kept(call, classes)
            if kept is not None:
                out[defs[0]] = kept
    return out


def _scalar(node, classes) -> bool:
    """Whether an expression is a scalar: numbers, scalar names, sizes, arithmetic."""
    t = type(node)
    if t is gast.Constant:
        return type(node.value) in (int, float)
    if t is gast.Name:
        return classes.get(node.id) == ()
    if t is gast.BinOp:
        return _scalar(node.left, classes) and _scalar(node.right, classes)
    if t is gast.UnaryOp:
        return _scalar(node.operand, classes)
    return t is gast.Subscript and type(node.value) is gast.Attribute and \
        node.value.attr == "shape"  # x.shape[i], made by _count


def _size_sources(stored, ctx, classes) -> dict:
    """``{symbol: (parameter, axis)}``: where each symbolic size can be read
    (``stored``: the names assigned anywhere)."""
    out: dict = {}
    for p in getattr(ctx, "arg_names", ()):
        shape = classes.get(p)
        if isinstance(shape, tuple) and p not in stored:  # never rebound
            for i, n in enumerate(shape):
                out.setdefault(n, (p, i))
    return out


def _count(call, classes, sources, assigned):
    """``reduced_count(x, axis)`` on a decided ``x`` as a product of argument sizes."""
    if getattr(call.func, "ref_object", None) is not reduced_count or call.keywords \
            or len(call.args) != 2:
        return None
    axis = call.args[1]
    if type(axis) is gast.Name and len(assigned.get(axis.id, ())) == 1:
        axis = assigned[axis.id][0].value  # a constant axis tuple held in a name
    axis = constant(axis, _NOT_CONSTANT)
    shape = _shape_of(call.args[0], classes)
    if shape is None or axis is _NOT_CONSTANT:
        return None
    axes = range(len(shape)) if axis is None else (
        axis if isinstance(axis, tuple) else (axis,))
    if not all(type(a) is int and -len(shape) <= a < len(shape) for a in axes):
        return None
    dims = [shape[a] for a in axes]
    if 0 in dims:
        return gast.Constant(value=1, kind=None)  # (an empty reduction counts one)
    out = None
    for n in dims:
        if n == 1:
            continue
        if n not in sources:
            return None
        p, i = sources[n]
        size = gast.Subscript(value=gast.Attribute(value=load(p), attr="shape",
                                                   ctx=gast.Load()),
                              slice=gast.Constant(value=i, kind=None), ctx=gast.Load())
        out = size if out is None else _mul(out, size)
    return out or gast.Constant(value=1, kind=None)


_NOT_CONSTANT = object()


def _uniform(found, classes, assigned, ctx, edits) -> bool:
    """Counts as sizes, and a uniform adjoint spread again spread once; whether any
    read of a primal value went away (dead code to remove). ``assigned``: see
    :meth:`Found.assigned`. ``edits`` gets ``(old, parent, new)`` for each subtree
    replaced (see :meth:`Found.mended`)."""
    changed = False
    counts = sources = None  # (counted when first asked, from the names as found)
    for call, parent in found.calls:  # (as the walk lists them: parents in order too)
        if getattr(call.func, "ref_object", None) is not reduced_count:
            continue
        t = type(parent)
        if t is gast.Call:
            where = next((i for i, a in enumerate(parent.args) if a is call), None)
        elif t is gast.BinOp:
            where = "left" if parent.left is call else "right" if parent.right is call \
                else None
        else:  # (counts are read as call arguments and operands)
            continue
        if where is None:
            continue
        if sources is None:
            counts = counts or found.counts()
            sources = _size_sources(counts[1], ctx, classes)
        size = _count(call, classes, sources, assigned)
        if size is not None:
            if t is gast.Call:
                parent.args[where] = size
            else:
                setattr(parent, where, size)
            edits.append((call, parent, size))
            changed = True
    for n, _ in found.calls:
        if getattr(n.func, "ref_object", None) is not unreduce or len(n.args) != 4 or \
                type(n.args[0]) is not gast.Name:
            continue
        inner = assigned.get(n.args[0].id)
        if inner is None or len(inner) != 1:
            continue
        counts = counts or found.counts()
        if counts[0].get(n.args[0].id) != 1:
            continue
        inner = inner[0].value
        if type(inner) is gast.Call and getattr(inner.func, "ref_object", None) is \
                unreduce and len(inner.args) == 4 and not inner.keywords and \
                type(inner.args[2]) is gast.Constant and inner.args[2].value is None \
                and _scalar(inner.args[0], classes):
            # unreduce(unreduce(c, s, None, _), x, axis, keepdims): c over x's shape
            old, n.args = n.args, [walk.clone(inner.args[0]), n.args[1],
                                   gast.Constant(value=None, kind=None),
                                   gast.Constant(value=False, kind=None)]
            edits.extend((old[i], n, n.args[i]) for i in (0, 2, 3))
            changed = True
    return changed


def _reverse_start(stmts):
    """Where the reverse sweep begins in ``stmts`` (its title comment), or ``None``."""
    return next((i for i, s in enumerate(stmts) if type(s) is gast.Expr and type(
        s.value) is gast.Constant and s.value.value == COMMENT + "=reverse sweep"), None)


def _direct_sums(calls, ctx):
    """``np.sum(g, axis=..., keepdims=...)`` in the reverse sweep (``calls``: the
    calls there) as ``np.add.reduce(g, ...)``: the same reduction without np.sum's
    Python wrapper (about 1.2 us a call on small arrays), for floats and arrays
    alike. The user's own lines in the forward sweep keep their ``np.sum``."""
    for n in calls:
        if type(n) is gast.Call and getattr(n.func, "ref_object", None) is np.sum and \
                len(n.args) == 1 and {k.arg for k in n.keywords} <= {"axis", "keepdims"}:
            n.func = gast.Attribute(value=ctx.ref(np.add), attr="reduce", ctx=gast.Load())
            if not any(k.arg == "axis" for k in n.keywords):  # (reduce's default is 0)
                n.keywords.insert(0, gast.keyword(
                    arg="axis", value=gast.Constant(value=None, kind=None)))


def _replace(parent, old, new):
    """Put ``new`` where ``parent`` holds ``old`` (the first place)."""
    for field in parent._fields:
        v = getattr(parent, field, None)
        if type(v) is list:
            for i, x in enumerate(v):
                if x is old:
                    v[i] = new
                    return
        elif v is old:
            setattr(parent, field, new)
            return


def run(stmts, ctx) -> tuple:
    """``(stmts, dropped)``: ``stmts`` with helper calls on decided shapes written as
    NumPy; ``dropped``: whether values may now be unread or constant (worth another
    round of optimize.py)."""
    start = _reverse_start(stmts)
    classes = getattr(ctx, "shapes", None) or {}
    if not any(isinstance(c, tuple) for c in classes.values()):
        if start is not None:
            _direct_sums(survey(stmts[start:], {gast.Call}).nodes, ctx)
        return stmts, False
    found = Found(stmts, start)
    if start is not None:  # (what it adds is no call, operation or assignment)
        _direct_sums(found.late, ctx)
    edits: list = []
    assigned = found.assigned()  # (the edits below change no assignment's target)
    candidates = _candidates(assigned)
    dropped = _uniform(found, classes, assigned, ctx, edits)
    if dropped:  # (what is read of it from here on does not depend on the order)
        found = found.mended(edits, candidates) or Found(stmts)
    for assignment, kept in _spread_uses(found, classes, assigned, candidates).items():
        assignment.value = kept
        dropped = True
    # matmul adjoints as products; the operands kept above are names, not such calls
    for call, parent in found.calls:
        new = _rewrite(call, classes, ctx.ref)
        if new is not None:
            _replace(parent, call, new)
    for n in found.binops:
        if type(n.left) is gast.Call or type(n.right) is gast.Call:  # (an unreduce?)
            _unreduce_operands(n, classes)
    return stmts, dropped
