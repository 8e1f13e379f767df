"""Rules for linear algebra: inverses, solves, determinants, Cholesky, triangles,
diagonals, two-operand ``np.einsum``.

Matrices may come in stacks (``(..., n, n)``); ``np.swapaxes(a, -1, -2)`` is the
transpose of every matrix in a stack.
"""

import numpy as np

from ..errors import NotDifferentiable
from ..runtime import diag_adjoint, einsum_transpose, matmul_adjoint_a
from .core import adjoint, d, rule, tangent


def _matrices(rng, n=3, stack=()):
    """Well-conditioned matrices: a random one plus ``n`` times the identity."""
    return rng.normal(size=stack + (n, n)) + n * np.eye(n)


# --- inverses and solves ------------------------------------------------------------
@rule(np.linalg.inv,
      examples=lambda rng: [((_matrices(rng),), {}), ((_matrices(rng, 2, (4,)),), {})])
def inv(y, a):
    # d(A^-1) = -A^-1 dA A^-1
    with adjoint:
        yt = np.swapaxes(y, -1, -2)
        d[a] += -(yt @ d[y] @ yt)
    with tangent:
        d[y] = -(y @ d[a] @ y)


@rule(np.linalg.solve,
      examples=lambda rng: [((_matrices(rng), rng.normal(size=3)), {}),
                            ((_matrices(rng), rng.normal(size=(3, 2))), {}),
                            ((_matrices(rng, 2, (4,)), rng.normal(size=(4, 2, 3))), {})])
def solve(x, a, b):
    # x = A^-1 b: b_bar = A^-T x_bar, A_bar = -b_bar x^T; dx = A^-1 (db - dA x)
    with adjoint:
        g = np.linalg.solve(np.swapaxes(a, -1, -2), d[x])
        d[b] += g
        d[a] += matmul_adjoint_a(-g, a, x)
    with tangent:
        d[x] = np.linalg.solve(a, d[b] - d[a] @ x)


# --- determinants and traces --------------------------------------------------------
@rule(np.linalg.det,
      examples=lambda rng: [((_matrices(rng),), {}), ((_matrices(rng, 2, (4,)),), {})])
def det(y, a):
    # d det(A) = det(A) tr(A^-1 dA) (Jacobi's formula)
    with adjoint:
        d[a] += np.expand_dims(d[y] * y, (-2, -1)) * np.swapaxes(np.linalg.inv(a), -1, -2)
    with tangent:
        d[y] = y * np.sum(np.swapaxes(np.linalg.inv(a), -1, -2) * d[a], axis=(-2, -1))


@rule(np.trace, linear=(0,),
      examples=lambda rng: [((rng.normal(size=(3, 3)),), {}),
                            ((rng.normal(size=(3, 4)),), {})])
def trace(y, a):
    # the trace of a matrix (its main diagonal summed)
    with adjoint:
        d[a] += d[y] * np.eye(np.shape(a)[0], np.shape(a)[1])
    with tangent:
        d[y] = np.trace(d[a])


@rule(np.diag, linear=(0,),
      examples=lambda rng: [((rng.normal(size=4),), {}), ((rng.normal(size=3), 1), {}),
                            ((rng.normal(size=(3, 4)),), {}),
                            ((rng.normal(size=(4, 3)), -1), {})])
def diag(y, v, k=0):
    # a vector onto the k-th diagonal of a matrix, or a matrix's k-th diagonal
    with adjoint:
        d[v] += diag_adjoint(d[y], v, k)
    with tangent:
        d[y] = np.diag(d[v], k)


@rule(np.tril, linear=(0,),
      examples=lambda rng: [((rng.normal(size=(3, 4)),), {}),
                            ((rng.normal(size=(2, 3, 3)),), {"k": -1})])
def tril(y, a, k=0):
    # a mask: the adjoint keeps the same triangle
    with adjoint:
        d[a] += np.tril(d[y], k)
    with tangent:
        d[y] = np.tril(d[a], k)


@rule(np.triu, linear=(0,),
      examples=lambda rng: [((rng.normal(size=(3, 4)),), {}),
                            ((rng.normal(size=(2, 3, 3)),), {"k": 1})])
def triu(y, a, k=0):
    with adjoint:
        d[a] += np.triu(d[y], k)
    with tangent:
        d[y] = np.triu(d[a], k)


def _spd(rng, n=3, stack=()):
    """Symmetric positive definite matrices."""
    m = rng.normal(size=stack + (n, n))
    return m @ np.swapaxes(m, -1, -2) + n * np.eye(n)


@rule(np.linalg.cholesky,
      examples=lambda rng: [((_spd(rng),), {}), ((_spd(rng, 2, (3,)),), {})])
def cholesky(y, a):
    # A = L L^T, read from A's lower triangle: dL = L phi(L^-1 S L^-T), S = dA's lower
    # triangle mirrored, phi = the lower triangle with the diagonal halved. phi is
    # self-adjoint, so A_bar = tril(M) + tril(M^T, -1), M = L^-T phi(L^T L_bar) L^-1.
    with adjoint:
        p = np.swapaxes(y, -1, -2) @ d[y]
        p = np.tril(p) - 0.5 * p * np.eye(np.shape(y)[-1])
        yt = np.swapaxes(y, -1, -2)
        m = np.swapaxes(np.linalg.solve(yt, np.swapaxes(np.linalg.solve(yt, p), -1, -2)),
                        -1, -2)
        d[a] += np.tril(m) + np.tril(np.swapaxes(m, -1, -2), -1)
    with tangent:
        s = np.tril(d[a]) + np.swapaxes(np.tril(d[a], -1), -1, -2)
        q = np.linalg.solve(y, np.swapaxes(np.linalg.solve(y, s), -1, -2))
        d[y] = y @ (np.tril(q) - 0.5 * q * np.eye(np.shape(y)[-1]))


def _einsum_check(constants):
    spec = constants.get("subscripts")
    if isinstance(spec, str):
        try:
            einsum_transpose(spec, 0), einsum_transpose(spec, 1)
        except NotDifferentiable as e:
            raise ValueError(str(e)) from None


@rule(np.einsum, linear=(1, 2), check=_einsum_check,
      examples=lambda rng: [(("ij,jk->ik", rng.normal(size=(2, 3)), rng.normal(size=(3, 4))),
                             {}),
                            (("bij,bj->bi", rng.normal(size=(2, 3, 4)),
                              rng.normal(size=(2, 4))), {}),
                            (("i,j", rng.normal(size=3), rng.normal(size=2)), {}),
                            (("ij,ij->", rng.normal(size=(2, 3)), rng.normal(size=(2, 3))),
                             {})])
def einsum(y, subscripts, a, b):
    # bilinear: each operand's adjoint is the contraction of d[y] with the other one
    with adjoint:
        d[a] += np.einsum(einsum_transpose(subscripts, 0), d[y], b)
        d[b] += np.einsum(einsum_transpose(subscripts, 1), a, d[y])
    with tangent:
        d[y] = np.einsum(subscripts, d[a], b) + np.einsum(subscripts, a, d[b])
