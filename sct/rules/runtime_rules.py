"""Rules for the helpers generated code calls, so that it can be differentiated again."""

import numpy as np

from .. import runtime as rt
from ..runtime import (add_adjoint, diag_adjoint, matmul_adjoint_a_sum, matmul_adjoints_b, matmuls,
                       as_grad, as_sequence, broadcast_like, getitem_adjoint, matmul_adjoint_a,
                       item_copy, matmul_adjoint_b, private_copy, replicate, restructure,
                       setitem, zero_item,
                       split_like, unbroadcast, unreduce, unstack)
from .core import adjoint, d, nondifferentiable, rule, tangent

nondifferentiable(rt.arange_start_weight, rt.einsum_transpose, rt.linspace_weights, rt.maximum_mask, rt.reduced_count, rt.extremum_mask, rt.inverse_permutation,
                  rt.tuple_zeros, rt.zeros_like, rt.scalar_seed, rt.stop_gradient)


@rule(unbroadcast, linear=(0,), domain="any",
      examples=lambda rng: [((rng.normal(size=(2, 3)), rng.normal(size=3)), {}),
                            ((rng.normal(size=(2, 3)), rng.normal(size=(2, 1))), {}),
                            ((rng.normal(size=(2, 3)), 1.5), {})])
def unbroadcast_(y, g, x):
    with adjoint:
        d[g] += np.broadcast_to(d[y], np.shape(g))
    with tangent:
        d[y] = unbroadcast(d[g], x)


@rule(unreduce, linear=(0,), domain="any",
      examples=lambda rng: [((rng.normal(size=3), rng.normal(size=(4, 3)), 0), {}),
                            ((1.5, rng.normal(size=(4, 3))), {})])
def unreduce_(y, g, x, axis=None, keepdims=False):
    with adjoint:
        d[g] += np.sum(d[y], axis=axis, keepdims=keepdims)
    with tangent:
        d[y] = unreduce(d[g], x, axis, keepdims)


@rule(matmul_adjoint_a, linear=(0, 2), domain="any",  # bilinear in (g, b)
      examples=lambda rng: [((rng.normal(size=(3, 2)), rng.normal(size=(3, 4)),
                              rng.normal(size=(4, 2))), {}),
                            ((rng.normal(size=2), rng.normal(size=4),
                              rng.normal(size=(4, 2))), {}),
                            ((rng.normal(size=3), rng.normal(size=(3, 4)),
                              rng.normal(size=4)), {})])
def matmul_adjoint_a_(y, g, a, b):
    # y = g @ b.T, bilinear in (g, b)
    with adjoint:
        d[g] += np.matmul(d[y], b)
        d[b] += matmul_adjoint_b(g, d[y], b)
    with tangent:
        d[y] = matmul_adjoint_a(d[g], a, b) + matmul_adjoint_a(g, a, d[b])


@rule(matmul_adjoint_b, linear=(0, 1), domain="any",
      examples=lambda rng: [((rng.normal(size=(3, 2)), rng.normal(size=(3, 4)),
                              rng.normal(size=(4, 2))), {}),
                            ((rng.normal(size=2), rng.normal(size=4),
                              rng.normal(size=(4, 2))), {}),
                            ((rng.normal(size=3), rng.normal(size=(3, 4)),
                              rng.normal(size=4)), {})])
def matmul_adjoint_b_(y, g, a, b):
    # y = a.T @ g, bilinear in (g, a)
    with adjoint:
        d[g] += np.matmul(a, d[y])
        d[a] += matmul_adjoint_a(g, a, d[y])
    with tangent:
        d[y] = matmul_adjoint_b(d[g], a, b) + matmul_adjoint_b(g, d[a], b)


def _passes(rng, n=3, g=(3,), b=(4,)):
    return [rng.normal(size=g) for _ in range(n)], [rng.normal(size=b) for _ in range(n)]


@rule(matmul_adjoint_a_sum, linear=(0, 2), domain="any",  # bilinear in (gs, bs)
      examples=lambda rng: [((_passes(rng)[0], rng.normal(size=(3, 4)), _passes(rng)[1]),
                             {}),
                            ((_passes(rng, g=(3, 2))[0], rng.normal(size=(3, 4)),
                              _passes(rng, b=(4, 2))[1]), {}),
                            ((_passes(rng, g=(2,))[0], rng.normal(size=4),
                              _passes(rng, b=(4, 2))[1]), {})])
def matmul_adjoint_a_sum_(y, gs, a, bs):
    # y = sum_t g_t @ b_t.T: each pass as in matmul_adjoint_a
    with adjoint:
        d[gs] += matmuls(d[y], bs)
        d[bs] += matmul_adjoints_b(gs, d[y], bs)
    with tangent:
        d[y] = matmul_adjoint_a_sum(d[gs], a, bs) + matmul_adjoint_a_sum(gs, a, d[bs])


@rule(matmuls, linear=(0, 1), domain="any",
      examples=lambda rng: [((rng.normal(size=(3, 4)), _passes(rng)[1]), {}),
                            ((rng.normal(size=(3, 4)), _passes(rng, b=(4, 2))[1]), {})])
def matmuls_(y, a, xs):
    # y_t = a @ x_t
    with adjoint:
        d[a] += matmul_adjoint_a_sum(d[y], a, xs)
        d[xs] += matmul_adjoints_b(d[y], a, xs)
    with tangent:
        d[y] = add_adjoint(matmuls(d[a], xs), matmuls(a, d[xs]))


@rule(matmul_adjoints_b, linear=(0, 1), domain="any",
      examples=lambda rng: [((_passes(rng)[0], rng.normal(size=(3, 4)), _passes(rng)[1]),
                             {}),
                            ((_passes(rng, g=(3, 2))[0], rng.normal(size=(3, 4)),
                              _passes(rng, b=(4, 2))[1]), {})])
def matmul_adjoints_b_(y, gs, a, bs):
    # y_t = a.T @ g_t, as in matmul_adjoint_b
    with adjoint:
        d[gs] += matmuls(a, d[y])
        d[a] += matmul_adjoint_a_sum(gs, a, d[y])
    with tangent:
        d[y] = add_adjoint(matmul_adjoints_b(d[gs], a, bs), matmul_adjoints_b(gs, d[a], bs))


@rule(add_adjoint, domain="any",
      examples=lambda rng: [((rng.normal(size=3), rng.normal(size=3)), {}),
                            ((1.5, rng.normal(size=(2, 3))), {}),
                            (([rng.normal(size=2), 0.5], [rng.normal(size=2), 1.5]), {})])
def add_adjoint_(y, a, b):
    # a + b, item by item for containers
    with adjoint:
        d[a] += unbroadcast(d[y], a)
        d[b] += unbroadcast(d[y], b)
    with tangent:
        d[y] = add_adjoint(d[a], d[b])


@rule(getitem_adjoint, linear=(0,), domain="any",
      examples=lambda rng: [((rng.normal(size=2), rng.normal(size=5), slice(1, 3)), {}),
                            ((1.5, rng.normal(size=5), 3), {})])
def getitem_adjoint_(y, g, x, index):
    with adjoint:
        d[g] += d[y][index]
    with tangent:
        d[y] = getitem_adjoint(d[g], x, index)


@rule(split_like, linear=(0,), domain="any",
      examples=lambda rng: [((rng.normal(size=(3, 2)),
                              [rng.normal(size=(1, 2)), rng.normal(size=(2, 2))]), {})])
def split_like_(y, g, xs, axis=0):
    with adjoint:
        d[g] += np.concatenate(d[y], axis=axis)
    with tangent:
        d[y] = split_like(d[g], xs, axis)


@rule(unstack, linear=(0,), domain="any",
      examples=lambda rng: [((rng.normal(size=(2, 3)),), {})])
def unstack_(y, g, axis=0):
    with adjoint:
        d[g] += np.stack(d[y], axis=axis)
    with tangent:
        d[y] = unstack(d[g], axis)


@rule(as_grad, linear=(0,), domain="any",
      examples=lambda rng: [((rng.normal(size=3), rng.normal(size=3)), {})])
def as_grad_(y, g, x):
    with adjoint:
        d[g] += unbroadcast(d[y], g)
    with tangent:
        d[y] = as_grad(d[g], x)


@rule(as_sequence, linear=(0,), domain="any", output="like",
      examples=lambda rng: [((rng.normal(size=(3, 2)),), {})])
def as_sequence_(y, x):
    with adjoint:
        d[x] += d[y]
    with tangent:
        d[y] = as_sequence(d[x])


@rule(private_copy, linear=(0,), domain="any",
      examples=lambda rng: [((rng.normal(size=(3, 2)),), {})])
def private_copy_(y, x):
    with adjoint:
        d[x] += d[y]
    with tangent:
        d[y] = private_copy(d[x])


# The reverse sweep saves ``item_copy(x, i)`` before ``x[i] = v`` and writes it back
# before it reads ``x`` again; forward over that code must write the saved tangent back
# too. (As a nondifferentiable helper it restored a zero tangent: wrong Hessians.)
@rule(item_copy, linear=(0,), domain="any",
      examples=lambda rng: [((rng.normal(size=5), slice(1, 3)), {}),
                            ((rng.normal(size=5), 2), {}),
                            ((rng.normal(size=(3, 4)), (1, slice(None))), {})])
def item_copy_(y, x, index):
    with adjoint:
        d[x] += getitem_adjoint(d[y], x, index)
    with tangent:
        d[y] = item_copy(d[x], index)


@rule(zero_item, linear=(0,), domain="any",
      examples=lambda rng: [((rng.normal(size=5), 2), {}),
                            ((rng.normal(size=(3, 4)), (slice(0, 2), 1)), {})])
def zero_item_(y, g, index):
    with adjoint:
        d[g] += zero_item(d[y], index)
    with tangent:
        d[y] = zero_item(d[g], index)


@rule(setitem, domain="any",
      examples=lambda rng: [((rng.normal(size=5), 2, 1.5), {}),
                            ((rng.normal(size=(3, 4)), (slice(0, 2), 1),
                              rng.normal(size=2)), {})])
def setitem_(y, x, index, v):
    with adjoint:
        d[x] += zero_item(d[y], index)
        d[v] += unbroadcast(d[y][index], v)
    with tangent:
        d[y] = setitem(d[x], index, d[v])


@rule(replicate, linear=(0,), domain="any",
      examples=lambda rng: [((rng.normal(size=3), [1.0, 2.0]), {})])
def replicate_(y, g, xs):
    with adjoint:
        d[g] += sum(d[y])
    with tangent:
        d[y] = replicate(d[g], xs)


@rule(restructure, linear=(0,), domain="any",
      examples=lambda rng: [((rng.normal(size=(2, 3)), [np.ones(3), np.ones(3)]), {})])
def restructure_(y, g, x):
    with adjoint:
        d[g] += np.asarray(d[y])
    with tangent:
        d[y] = restructure(d[g], x)


@rule(broadcast_like, linear=(0,), domain="any",
      examples=lambda rng: [((1.5, rng.normal(size=3)), {}),
                            ((rng.normal(size=(1, 3)), rng.normal(size=(2, 3))), {})])
def broadcast_like_(y, t, x):
    with adjoint:
        d[t] += unbroadcast(d[y], t)
    with tangent:
        d[y] = broadcast_like(d[t], x)


@rule(diag_adjoint, linear=(0,), domain="any",
      examples=lambda rng: [((rng.normal(size=(4, 4)), rng.normal(size=4)), {}),
                            ((rng.normal(size=3), rng.normal(size=(3, 4))), {}),
                            ((rng.normal(size=3), rng.normal(size=(4, 3)), -1), {})])
def diag_adjoint_(y, g, x, k=0):
    # linear in g: placing on a diagonal and reading it back are each other's adjoints
    with adjoint:
        d[g] += np.diag(d[y], k)
    with tangent:
        d[y] = diag_adjoint(d[g], x, k)
