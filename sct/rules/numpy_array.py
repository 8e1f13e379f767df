"""Rules for NumPy reductions, products, shape changes and indexing."""

import builtins
import operator

import numpy as np

from ..runtime import (astype, reduced_count, replicate, restructure, extremum_mask, getitem_adjoint, inverse_permutation, linspace_weights, arange_start_weight,
                       matmul_adjoint_a, matmul_adjoint_b, split_like,
                       unbroadcast, unreduce, unstack)
from .core import adjoint, d, rule, tangent


def _axes(shape):
    """Examples for a reduction: no axis, each axis, keepdims."""
    def make(rng):
        x = rng.normal(size=shape)
        out = [((x,), {}), ((x,), {"axis": 0}), ((x,), {"axis": -1, "keepdims": True})]
        return out
    return make


# --- reductions ---------------------------------------------------------------------
@rule(np.sum, linear=(0,), output="reduce", examples=_axes((3, 4)))
def sum_(y, x, axis=None, keepdims=False):
    with adjoint:
        d[x] += unreduce(d[y], x, axis, keepdims)
    with tangent:
        d[y] = np.sum(d[x], axis=axis, keepdims=keepdims)


@rule(np.add.reduce, linear=(0,), examples=_axes((3, 4)))
def add_reduce(y, x, axis=0, dtype=None, out=None, keepdims=False):
    # np.sum without its Python wrapper: what reverse sweeps call on small arrays
    with adjoint:
        d[x] += unreduce(d[y], x, axis, keepdims)
    with tangent:
        d[y] = np.add.reduce(d[x], axis=axis, keepdims=keepdims)


@rule(np.mean, linear=(0,), output="reduce", examples=_axes((3, 4)))
def mean(y, x, axis=None, keepdims=False):
    # every input contributes 1/n, n = the number of items each output averages
    with adjoint:
        d[x] += unreduce(d[y] / reduced_count(x, axis), x, axis, keepdims)
    with tangent:
        d[y] = np.mean(d[x], axis=axis, keepdims=keepdims)


@rule(np.prod, domain="nonzero", output="reduce", examples=_axes((3, 4)))
def prod(y, x, axis=None, keepdims=False):
    # d prod / d x_i = prod / x_i (x has no zeros in the domain)
    with adjoint:
        d[x] += unreduce(d[y] * y, x, axis, keepdims) / x
    with tangent:
        d[y] = np.sum(d[x] * unreduce(y, x, axis, keepdims) / x, axis=axis,
                      keepdims=keepdims)


@rule(np.max, output="reduce", examples=_axes((3, 4)))
@rule(np.amax, output="reduce", examples=_axes((3, 4)))
@rule(np.min, output="reduce", examples=_axes((3, 4)))
@rule(np.amin, output="reduce", examples=_axes((3, 4)))
def extremum(y, x, axis=None, keepdims=False):
    # the adjoint goes to the arg-extremum; ties share it evenly
    with adjoint:
        d[x] += unreduce(d[y], x, axis, keepdims) * extremum_mask(x, y, axis, keepdims)
    with tangent:
        d[y] = np.sum(d[x] * extremum_mask(x, y, axis, keepdims), axis=axis,
                      keepdims=keepdims)


@rule(np.var, output="reduce", examples=_axes((3, 4)))
def var(y, x, axis=None, keepdims=False, ddof=0):
    # d var = 2 (x - mean) / (n - ddof)
    with adjoint:
        c = x - np.mean(x, axis=axis, keepdims=True)
        d[x] += unreduce(d[y], x, axis, keepdims) * c * (
            2.0 / (np.size(x) / np.size(y) - ddof))
    with tangent:
        c = x - np.mean(x, axis=axis, keepdims=True)
        d[y] = np.sum(d[x] * c, axis=axis, keepdims=keepdims) * (
            2.0 / (np.size(x) / np.size(y) - ddof))


@rule(np.std, output="reduce", examples=_axes((3, 4)))
def std(y, x, axis=None, keepdims=False, ddof=0):
    # std = sqrt(var): d std = (x - mean) / ((n - ddof) std)
    with adjoint:
        c = x - np.mean(x, axis=axis, keepdims=True)
        d[x] += unreduce(d[y] / y, x, axis, keepdims) * c / (
            np.size(x) / np.size(y) - ddof)
    with tangent:
        c = x - np.mean(x, axis=axis, keepdims=True)
        d[y] = np.sum(d[x] * c, axis=axis, keepdims=keepdims) / (
            (np.size(x) / np.size(y) - ddof) * y)


@rule(np.linalg.norm, domain="nonzero", output="reduce",
      examples=lambda rng: [((rng.normal(size=5),), {}), ((rng.normal(size=(3, 4)),), {}),
                            ((rng.normal(size=(3, 4)),), {"axis": 1})])
def norm(y, x, ord=None, axis=None, keepdims=False):
    # the 2-norm (Frobenius for matrices): d |x| = x / |x|
    with adjoint:
        d[x] += unreduce(d[y] / y, x, axis, keepdims) * x
    with tangent:
        d[y] = np.sum(d[x] * x, axis=axis, keepdims=keepdims) / y


@rule(np.cumsum, linear=(0,),
      examples=lambda rng: [((rng.normal(size=5),), {"axis": 0}),
                            ((rng.normal(size=(3, 4)),), {"axis": 1})])
def cumsum(y, x, axis):
    # the adjoint of a running sum is a running sum from the end
    with adjoint:
        d[x] += np.flip(np.cumsum(np.flip(d[y], axis), axis=axis), axis)
    with tangent:
        d[y] = np.cumsum(d[x], axis=axis)


# --- products -------------------------------------------------------------------------
@rule(np.dot, linear=(0, 1),
      examples=lambda rng: [((rng.normal(size=(3, 4)), rng.normal(size=(4, 2))), {}),
                            ((rng.normal(size=4), rng.normal(size=4)), {}),
                            ((rng.normal(size=(3, 4)), rng.normal(size=4)), {})])
def dot(y, a, b):
    # for arrays of rank 1 and 2, dot is matmul
    with adjoint:
        d[a] += matmul_adjoint_a(d[y], a, b)
        d[b] += matmul_adjoint_b(d[y], a, b)
    with tangent:
        d[y] = np.dot(d[a], b) + np.dot(a, d[b])


@rule(np.outer, linear=(0, 1),
      examples=lambda rng: [((rng.normal(size=3), rng.normal(size=4)), {})])
def outer(y, a, b):
    with adjoint:
        d[a] += np.dot(d[y], np.ravel(b))
        d[b] += np.dot(np.ravel(a), d[y])
    with tangent:
        d[y] = np.outer(d[a], b) + np.outer(a, d[b])


@rule(np.inner, linear=(0, 1),
      examples=lambda rng: [((rng.normal(size=4), rng.normal(size=4)), {})])
def inner(y, a, b):
    # vectors only: inner(a, b) = sum(a * b)
    with adjoint:
        d[a] += d[y] * b
        d[b] += d[y] * a
    with tangent:
        d[y] = np.inner(d[a], b) + np.inner(a, d[b])


# --- shapes ---------------------------------------------------------------------------
@rule(np.transpose, linear=(0,),
      examples=lambda rng: [((rng.normal(size=(3, 4)),), {}),
                            ((rng.normal(size=(2, 3, 4)), (1, 2, 0)), {})])
def transpose(y, x, axes=None):
    with adjoint:
        d[x] += np.transpose(d[y], inverse_permutation(axes))
    with tangent:
        d[y] = np.transpose(d[x], axes)


@rule(np.swapaxes, linear=(0,),
      examples=lambda rng: [((rng.normal(size=(2, 3, 4)), 0, 2), {})])
def swapaxes(y, x, axis1, axis2):
    with adjoint:
        d[x] += np.swapaxes(d[y], axis1, axis2)
    with tangent:
        d[y] = np.swapaxes(d[x], axis1, axis2)


@rule(np.reshape, linear=(0,),
      examples=lambda rng: [((rng.normal(size=(3, 4)), (2, 6)), {}),
                            ((rng.normal(size=(3, 4)), -1), {})])
def reshape(y, x, shape):
    with adjoint:
        d[x] += np.reshape(d[y], np.shape(x))
    with tangent:
        d[y] = np.reshape(d[x], shape)


@rule(np.ravel, linear=(0,), examples=lambda rng: [((rng.normal(size=(3, 4)),), {})])
def ravel(y, x):
    with adjoint:
        d[x] += np.reshape(d[y], np.shape(x))
    with tangent:
        d[y] = np.ravel(d[x])


@rule(np.squeeze, linear=(0,),
      examples=lambda rng: [((rng.normal(size=(3, 1, 4)),), {}),
                            ((rng.normal(size=(1, 4)),), {"axis": 0})])
def squeeze(y, x, axis=None):
    with adjoint:
        d[x] += np.reshape(d[y], np.shape(x))
    with tangent:
        d[y] = np.squeeze(d[x], axis)


@rule(np.expand_dims, linear=(0,),
      examples=lambda rng: [((rng.normal(size=(3, 4)), 1), {})])
def expand_dims(y, x, axis):
    with adjoint:
        d[x] += np.reshape(d[y], np.shape(x))
    with tangent:
        d[y] = np.expand_dims(d[x], axis)


@rule(np.broadcast_to, linear=(0,),
      examples=lambda rng: [((rng.normal(size=(1, 4)), (3, 4)), {})])
def broadcast_to(y, x, shape):
    with adjoint:
        d[x] += unbroadcast(d[y], x)
    with tangent:
        d[y] = np.broadcast_to(d[x], shape)


@rule(np.flip, linear=(0,),
      examples=lambda rng: [((rng.normal(size=(3, 4)), 1), {})])
def flip(y, x, axis=None):
    with adjoint:
        d[x] += np.flip(d[y], axis)
    with tangent:
        d[y] = np.flip(d[x], axis)


@rule(np.concatenate, domain="any",
      examples=lambda rng: [(([rng.normal(size=(2, 3)), rng.normal(size=(1, 3))],), {}),
                            (([rng.normal(size=(2, 3)), rng.normal(size=(2, 2))],),
                             {"axis": 1})])
def concatenate(y, xs, axis=0):
    with adjoint:
        d[xs] += split_like(d[y], xs, axis)
    with tangent:
        d[y] = np.concatenate(d[xs], axis=axis)


@rule(np.stack, domain="any",
      examples=lambda rng: [(([rng.normal(size=3), rng.normal(size=3)],), {}),
                            (([rng.normal(size=(2, 3)), rng.normal(size=(2, 3))],),
                             {"axis": 1})])
def stack(y, xs, axis=0):
    with adjoint:
        d[xs] += unstack(d[y], axis)
    with tangent:
        d[y] = np.stack(d[xs], axis=axis)


@rule(np.asarray, linear=(0,), examples=lambda rng: [((rng.normal(size=3),), {})])
def asarray(y, x):
    with adjoint:
        d[x] += restructure(d[y], x)
    with tangent:
        d[y] = np.asarray(d[x])


@rule(np.copy, linear=(0,), examples=lambda rng: [((rng.normal(size=3),), {})])
@rule(np.array, linear=(0,), examples=lambda rng: [((rng.normal(size=3),), {})])
def array(y, x):
    with adjoint:
        d[x] += restructure(d[y], x)
    with tangent:
        d[y] = np.array(d[x])  # a copy, as y is: a write into y_dot must not reach x_dot


@rule(astype, linear=(0,),
      examples=lambda rng: [((rng.normal(size=3), float), {})])
def astype_(y, x, dtype):
    with adjoint:
        d[x] += d[y]
    with tangent:
        d[y] = astype(d[x], dtype)


# --- indexing ---------------------------------------------------------------------------
@rule(operator.getitem, linear=(0,), domain="any",
      examples=lambda rng: [((rng.normal(size=5), 2), {}),
                            ((rng.normal(size=(3, 4)), (slice(0, 2), 1)), {}),
                            ((rng.normal(size=5), np.array([0, 2, 2])), {})])
def getitem(y, x, index):
    with adjoint:
        d[x] += getitem_adjoint(d[y], x, index)
    with tangent:
        d[y] = d[x][index]



@rule(builtins.sum, linear=(0,), domain="any",
      examples=lambda rng: [(([rng.normal(size=3), rng.normal(size=3)],), {}),
                            (([1.5, 2.5, -0.5],), {})])
def builtin_sum(y, xs):
    with adjoint:
        d[xs] += replicate(d[y], xs)
    with tangent:
        d[y] = sum(d[xs])


# --- constructors whose values come from an argument --------------------------------
@rule(np.full, linear=(1,), domain="any",
      examples=lambda rng: [(((3, 4), float(rng.normal())), {}),
                            (((2, 3), rng.normal(size=3)), {})])
def full(y, shape, fill_value, dtype=None, order="C"):
    with adjoint:
        d[fill_value] += unbroadcast(d[y], fill_value)
    with tangent:
        d[y] = np.full(shape, d[fill_value])


@rule(np.full_like, linear=(1,), domain="any",
      examples=lambda rng: [((rng.normal(size=(3, 4)), float(rng.normal())), {}),
                            ((rng.normal(size=(2, 3)), rng.normal(size=3)), {})])
def full_like(y, a, fill_value, dtype=None, order="K", subok=True, shape=None):
    # a gives the shape only
    with adjoint:
        d[fill_value] += unbroadcast(d[y], fill_value)
    with tangent:
        d[y] = np.full(np.shape(y), d[fill_value])


def _linspace_check(constants):
    if constants.get("axis", 0) != 0 or constants.get("retstep", False) is not False:
        raise ValueError("np.linspace is differentiated along axis 0, without retstep")


@rule(np.linspace, domain="any", check=_linspace_check,
      examples=lambda rng: [((float(rng.normal()), float(rng.normal()), 5), {}),
                            ((rng.normal(size=2), float(rng.normal()), 4),
                             {"endpoint": False})])
def linspace(y, start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0):
    # y = start + (stop - start) w, w from 0 to 1 along axis 0
    with adjoint:
        w = linspace_weights(y, endpoint)
        d[start] += unbroadcast(np.sum(d[y] * (1.0 - w), axis=0), start)
        d[stop] += unbroadcast(np.sum(d[y] * w, axis=0), stop)
    with tangent:
        w = linspace_weights(y, endpoint)
        d[y] = d[start] * (1.0 - w) + d[stop] * w


@rule(np.logspace, domain="any", check=_linspace_check,
      examples=lambda rng: [((float(rng.normal()), float(rng.normal()), 4), {}),
                            ((rng.normal(size=2), 0.5, 3, False, 2.5), {})])
def logspace(y, start, stop, num=50, endpoint=True, base=10.0, dtype=None, axis=0):
    # y = base ** t, t = start + (stop - start) w
    with adjoint:
        w = linspace_weights(y, endpoint)
        g = d[y] * y * np.log(base)
        d[start] += unbroadcast(np.sum(g * (1.0 - w), axis=0), start)
        d[stop] += unbroadcast(np.sum(g * w, axis=0), stop)
        d[base] += unbroadcast(d[y] * y * (start + (stop - start) * w) / base, base)
    with tangent:
        w = linspace_weights(y, endpoint)
        t = start + (stop - start) * w
        d[y] = y * (np.log(base) * (d[start] * (1.0 - w) + d[stop] * w) + d[base] * t / base)


@rule(np.arange, domain="any",
      examples=lambda rng: [((4.5,), {}), ((0.25, 3.0), {}), ((0.25, 2.0, 0.5), {})])
def arange(y, start, stop=None, step=None):
    # y[i] = start + i * step (np.arange(stop) alone: 0, 1, 2, ...); the length
    # changes only in jumps
    with adjoint:
        d[start] += np.sum(d[y]) * arange_start_weight(stop)
        d[step] += np.sum(d[y] * np.arange(np.size(y)))
    with tangent:
        d[y] = np.full(np.shape(y), d[start] * arange_start_weight(stop)) + \
            d[step] * np.arange(np.size(y))
