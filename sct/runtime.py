"""Helpers that generated derivative code calls.

Each helper has a derivative rule (``sct/rules/runtime_rules.py``) or is plain
straight-line Python, so generated code can be differentiated again. Generated code
refers to them by bare names bound in its closure, never through ``sct.``.
"""

from __future__ import annotations

import numpy as np

from .errors import NotDifferentiable


def unbroadcast(g, x):
    """Sum ``g`` down to the shape of ``x``: the adjoint of NumPy broadcasting."""
    if type(g) is np.ndarray and type(x) is np.ndarray and g.shape == x.shape:
        return g
    if not isinstance(g, np.ndarray) and not isinstance(x, np.ndarray):
        return g  # scalars: nothing was broadcast
    gs = np.shape(g)
    xs = np.shape(x)
    if gs == xs:
        return g
    if not xs:
        return np.sum(g)
    lead = len(gs) - len(xs)
    axes = tuple(range(lead)) + tuple(
        i + lead for i, n in enumerate(xs) if n == 1 and gs[i + lead] != 1)
    g = np.sum(g, axis=axes, keepdims=True) if axes else g
    return np.reshape(g, xs) if lead or np.shape(g) != xs else g


def unreduce(g, x, axis=None, keepdims=False):
    """Broadcast ``g``, a reduction of ``x`` over ``axis``, back to ``x``'s shape."""
    shape = np.shape(x)
    if type(g) is float:  # a seed or a constant: one fill
        return np.full(shape, g)
    if axis is not None and not keepdims:
        g = np.reshape(g, _kept(shape, axis))
    out = np.empty(shape, dtype=np.result_type(g, 1.0))
    out[...] = g
    return out


def reduced_count(x, axis=None):
    """How many items of ``x`` a reduction over ``axis`` combines into each result."""
    shape = np.shape(x)
    if axis is None or not shape:
        return max(1, int(np.prod(shape))) if shape else 1
    axes = axis if isinstance(axis, tuple) else (axis,)
    n = 1
    for a in axes:
        n *= shape[a]
    return max(1, n)


def _kept(shape, axis):
    """``shape`` with the reduced axes kept as ones."""
    if not shape:  # NumPy lets axis=0 reduce a 0-d value (to itself)
        return shape
    axes = axis if isinstance(axis, tuple) else (axis,)
    axes = {a % len(shape) for a in axes}
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


def extremum_mask(x, y, axis=None, keepdims=False):
    """Where ``x`` attains the max/min ``y`` over ``axis``, shared evenly among ties."""
    if axis is not None and not keepdims:
        y = np.reshape(y, _kept(np.shape(x), axis))
    hit = np.equal(x, y)
    # (a count of booleans is an int; bool / int is a float of x's precision or more)
    mask = hit / np.add.reduce(hit, axis=axis, keepdims=True, dtype=np.intp)
    return mask if np.ndim(mask) or not isinstance(x, float) else float(mask)


def _ndim(x):
    return x.ndim if type(x) is np.ndarray else np.ndim(x)


def matmul_adjoint_a(g, a, b):
    """The adjoint of ``a`` in ``y = a @ b`` given ``g = d[y]`` (any ranks >= 1)."""
    nb = _ndim(b)
    if nb == 2 and _ndim(a) == 2:  # the common case first: g @ b.T
        return np.matmul(g, b.T)
    if nb == 1:
        if np.ndim(a) == 1:
            return g * b
        return np.multiply.outer(g, b)
    bt = np.swapaxes(b, -1, -2)
    if np.ndim(a) == 1:
        return unbroadcast(np.matmul(np.expand_dims(g, -2), bt)[..., 0, :], a)
    return unbroadcast(np.matmul(g, bt), a)


def matmul_adjoint_b(g, a, b):
    """The adjoint of ``b`` in ``y = a @ b`` given ``g = d[y]`` (any ranks >= 1)."""
    na, nb = _ndim(a), _ndim(b)
    if na == 2:  # the common cases first: a.T @ g
        if nb == 2:
            return np.matmul(a.T, g)
        if nb == 1:
            return np.matmul(g, a)
    if na == 1:
        if np.ndim(b) == 1:
            return g * a
        return unbroadcast(np.multiply.outer(a, g), b) if np.ndim(b) == 2 else \
            unbroadcast(np.matmul(np.expand_dims(a, -1), np.expand_dims(g, -2)), b)
    at = np.swapaxes(a, -1, -2)
    if np.ndim(b) == 1:
        return unbroadcast(np.matmul(at, np.expand_dims(g, -1))[..., 0], b)
    return unbroadcast(np.matmul(at, g), b)


def matmul_adjoint_a_sum(gs, a, bs):
    """``sum(matmul_adjoint_a(g, a, b) for g, b in zip(gs, bs))``, as one product.

    What a reverse loop adds up for ``y_t = a @ b_t`` (an RNN's ``W @ h``): one outer
    product per pass, done here as a single matrix product over the stacked passes.
    """
    if not gs:
        return 0.0
    if _ndim(a) == 2 and _ndim(gs[0]) == _ndim(bs[0]) and _ndim(bs[0]) in (1, 2):
        try:  # (stacking checks that every pass has the first one's shape)
            if _ndim(bs[0]) == 1:  # (np.array stacks a list of vectors fastest)
                return np.matmul(np.array(gs).T, np.array(bs))
            return np.matmul(np.concatenate(gs, axis=1), np.concatenate(bs, axis=1).T)
        except ValueError:
            pass  # passes of different shapes: one product each
    total = matmul_adjoint_a(gs[0], a, bs[0])
    for g, b in zip(gs[1:], bs[1:]):
        total = total + matmul_adjoint_a(g, a, b)
    return total


def matmuls(a, xs):
    """``[a @ x for x in xs]``: what a sum of products hands back to each pass."""
    return [np.matmul(a, x) for x in xs]


def matmul_adjoints_b(gs, a, bs):
    """``[matmul_adjoint_b(g, a, b) for g, b in zip(gs, bs)]``."""
    return [matmul_adjoint_b(g, a, b) for g, b in zip(gs, bs)]


def getitem_adjoint(g, x, index):
    """Scatter ``g`` into zeros shaped like ``x`` at ``index`` (adding repeats)."""
    if isinstance(x, dict):
        out = {k: zeros_like(v) for k, v in x.items()}
        out[index] = g
        return out
    if isinstance(x, (tuple, list)):
        out = [zeros_like(v) for v in x]
        if isinstance(index, slice):
            for i, gi in zip(range(*index.indices(len(x))), g):
                out[i] = gi
        else:
            out[index] = g
        return out if isinstance(x, list) else tuple(out)
    out = np.zeros(np.shape(x), dtype=np.result_type(x, 1.0))
    if _basic_index(index):
        out[index] = g
    else:
        np.add.at(out, index, g)
    return out


def _basic_index(index):
    items = index if isinstance(index, tuple) else (index,)
    return all(i is None or i is Ellipsis or isinstance(i, (int, slice, np.integer))
               for i in items)


def zeros_like(x):
    """A float zero shaped like ``x``; tuples and lists of such for containers."""
    if isinstance(x, dict):
        return {k: zeros_like(v) for k, v in x.items()}
    if isinstance(x, list):
        return [zeros_like(v) for v in x]
    if isinstance(x, tuple):
        return tuple(zeros_like(v) for v in x)
    if isinstance(x, np.ndarray):
        return np.zeros(x.shape, dtype=np.result_type(x, 1.0))
    return 0.0


def add_adjoint(a, b):
    """``a + b`` for adjoints that may be containers (added element by element)."""
    if isinstance(a, dict) or isinstance(b, dict):
        if not isinstance(a, dict):
            return b if a is None or (np.ndim(a) == 0 and a == 0) else None
        if not isinstance(b, dict):
            return a if b is None or (np.ndim(b) == 0 and b == 0) else None
        return {k: add_adjoint(a.get(k), b.get(k)) for k in {**a, **b}}
    seq = (tuple, list)
    if isinstance(a, seq) or isinstance(b, seq):
        kind = list if isinstance(a, list) or isinstance(b, list) else tuple
        if not isinstance(a, seq):
            a = (a,) * len(b)
        if not isinstance(b, seq):
            b = (b,) * len(a)
        return kind(add_adjoint(u, v) for u, v in zip(a, b))
    if a is None:
        return b
    if b is None:
        return a
    return a + b


def scalar_seed(out, name="the function"):
    """The seed ``1`` for the gradient of a scalar output; refuses other outputs."""
    size = np.size(out) if not isinstance(out, (tuple, list, dict)) else -1
    if size != 1 or isinstance(out, (bool, np.bool_)) or (
            isinstance(out, np.ndarray) and out.dtype.kind not in "fc"):
        raise NotDifferentiable(
            f"grad needs {name} to return a float scalar or a size-1 float array; it "
            f"returned {_describe(out)}. Use sct.vjp for non-scalar outputs.")
    if isinstance(out, np.ndarray) and out.ndim:
        return np.ones_like(out)
    return 1.0


def _describe(v):
    if isinstance(v, np.ndarray):
        return f"an array of shape {v.shape} and dtype {v.dtype}"
    return f"a value of type {type(v).__name__}"


def as_grad(g, x, _ndarray=np.ndarray):
    """``g`` with the shape and float dtype of ``x`` (gradients mirror their input)."""
    if type(x) is _ndarray:  # (called once per gradient returned: the commonest first)
        if type(g) is _ndarray and g.shape == x.shape:
            dtype = g.dtype
            if dtype is x.dtype or dtype == x.dtype:
                return g
        if x.dtype.kind == "f":
            return np.array(np.broadcast_to(g, x.shape), dtype=x.dtype)
        return np.array(np.broadcast_to(g, x.shape), dtype=float)
    if isinstance(x, np.floating):
        return x.dtype.type(g)
    return g


def stop_gradient(x):
    """The value of ``x``, through which no derivative flows (``detach``).

    >>> stop_gradient(3.0)
    3.0
    """
    return x


def maximum_mask(a, b):
    """1 where ``a > b``, 0 where ``a < b``, 1/2 on ties (a tie splits the adjoint)."""
    return (a > b) + 0.5 * (a == b)


def inverse_permutation(axes):
    """The axes that undo ``np.transpose(x, axes)`` (``None`` stays ``None``)."""
    return None if axes is None else tuple(np.argsort(axes))


def split_like(g, xs, axis=0):
    """Split ``g`` along ``axis`` into pieces shaped like the arrays in ``xs``."""
    ends = np.cumsum([np.shape(x)[axis] for x in xs])[:-1]
    return np.split(g, ends, axis=axis)  # a list, as for unstack


def unstack(g, axis=0):
    """The slices of ``g`` along ``axis``: the adjoint of ``np.stack``.

    A list: the adjoint of a list is popped as the reverse sweep undoes its appends.
    """
    return list(np.moveaxis(g, axis, 0))


def astype(x, dtype):
    """``x.astype(dtype)``, as a function."""
    return np.asarray(x).astype(dtype)


def tuple_zeros(xs):
    """Zeros shaped like each value in ``xs``."""
    return tuple(zeros_like(x) for x in xs)


def as_sequence(x):
    """``x`` if it can be indexed and measured (arrays, lists, tuples), else ``list(x)``."""
    if isinstance(x, (np.ndarray, list, tuple, range)):
        return x
    return list(x)


def private_copy(x):
    """A copy of ``x`` that the derivative may write into (lists and arrays)."""
    if isinstance(x, list):
        return list(x)
    return np.array(x)


def item_copy(x, index):
    """``x[index]``, copied when it is a view (saved before an in-place write)."""
    v = x[index]
    return v.copy() if isinstance(v, np.ndarray) else v


def zero_item(g, index):
    """A copy of the adjoint ``g`` with ``g[index]`` set to zero."""
    g = np.array(g, dtype=np.result_type(g, 1.0))
    g[index] = 0.0
    return g


def setitem(x, index, v):
    """``x[index] = v`` as an expression, on a copy of ``x``."""
    x = np.array(x, dtype=np.result_type(x, v, 1.0))
    x[index] = v
    return x


def replicate(g, xs):
    """``[g, g, ...]``, one per item of ``xs``: the adjoint of ``sum(xs)``."""
    return [g] * len(xs)


def restructure(g, x):
    """``g`` split like ``x`` when ``x`` is a list or tuple (the adjoint of np.array)."""
    if isinstance(x, (list, tuple)):
        parts = [restructure(gi, xi) for gi, xi in zip(g, x)]
        return parts if isinstance(x, list) else tuple(parts)
    return g


def broadcast_like(t, y):
    """The tangent ``t`` with the shape of ``y``.

    A tangent that only some operands of an elementwise operation contribute to can be
    smaller than the result (``x - c`` with only ``c`` varying); it is spread over the
    result, as the value itself was.
    """
    if np.shape(t) == np.shape(y):
        return t
    return np.array(np.broadcast_to(t, np.shape(y)))


def einsum_transpose(subscripts, k):
    """The subscripts of the adjoint of operand ``k`` (0 or 1) of a two-operand
    ``np.einsum``: ``"ij,jk->ik"`` gives ``"ik,jk->ij"`` (``g, b``) for 0 and
    ``"ij,ik->jk"`` (``a, g``) for 1.

    >>> einsum_transpose("ij,jk->ik", 0), einsum_transpose("ij,jk", 1)
    ('ik,jk->ij', 'ij,ik->jk')
    """
    spec = subscripts.replace(" ", "")
    if "." in spec:
        raise NotDifferentiable(f"einsum '{subscripts}': '...' is not supported in a "
                                f"derivative; name the axes")
    inputs, _, out = spec.partition("->")
    ins = inputs.split(",")
    if not _:  # implicit output: the indices that appear once, in order
        out = "".join(sorted(c for c in set(inputs) - {","} if inputs.count(c) == 1))
    own, other = ins[k], ins[1 - k]
    for c in own:
        if own.count(c) > 1 or (c not in out and c not in other):
            raise NotDifferentiable(
                f"einsum '{subscripts}': index '{c}' of operand {k} is repeated or "
                f"summed on its own; its derivative is not supported (sum it first)")
    return f"{out},{other}->{own}" if k == 0 else f"{other},{out}->{own}"


def linspace_weights(y, endpoint=True):
    """Where each row of ``y = np.linspace(start, stop, ...)`` lies between ``start``
    (0) and ``stop`` (1), shaped to broadcast against ``y`` (steps along axis 0)."""
    n = np.shape(y)[0]
    return np.reshape(np.linspace(0.0, 1.0, n, endpoint=endpoint),
                      (n,) + (1,) * (np.ndim(y) - 1))


def arange_start_weight(stop):
    """How ``np.arange``'s first argument moves its values: 1 when it is the start
    (``np.arange(start, stop)``), 0 when it is the stop (``np.arange(stop)``)."""
    return 0.0 if stop is None else 1.0


def diag_adjoint(g, x, k=0):
    """The adjoint of ``x`` in ``y = np.diag(x, k)``: ``g``'s k-th diagonal for a
    vector ``x``, and ``g`` placed on the k-th diagonal of zeros shaped like a matrix
    ``x`` (``np.diag(g, k)`` would be square)."""
    if np.ndim(x) == 1:
        return np.diag(g, k)
    out = np.zeros(np.shape(x), dtype=np.result_type(g, 1.0))
    i = np.arange(np.size(g))
    out[i + max(0, -k), i + max(0, k)] = g
    return out
