"""Per-pass outer products summed as one product after the loop (sct/batch.py)."""

import re

import numpy as np
import pytest

import sct
from fd import directional

rng = np.random.default_rng(7)
W = rng.normal(size=(4, 4)) * 0.5
U = rng.normal(size=(4, 3))
B = rng.normal(size=4) * 0.1
XS = rng.normal(size=(5, 3))


def rnn_loss(W, U, b, xs):
    h = np.zeros(W.shape[0])
    for t in range(xs.shape[0]):
        h = np.tanh(W @ h + U @ xs[t] + b)
    return np.sum(h ** 2)


def rnn_written_in_place(W, U, b, xs):
    hs = np.zeros((xs.shape[0] + 1, W.shape[0]))
    for t in range(xs.shape[0]):
        hs[t + 1] = np.tanh(W @ hs[t] + U @ xs[t] + b)
    return np.sum(hs[-1] ** 2)


def rnn_row_vectors(W, U, b, xs):
    h = np.zeros(W.shape[0])
    for t in range(xs.shape[0]):
        h = np.tanh(h @ W + xs[t] @ U.T + b)
    return np.sum(h ** 2)


def _check_grad(f, args, argnums):
    g = sct.grad(f, argnums=argnums)(*args)
    dirs = [rng.normal(size=np.shape(args[i])) for i in argnums]
    fd = directional(f, args, argnums, dirs)
    got = sum(np.vdot(gi, v) for gi, v in zip(g, dirs))
    assert got == pytest.approx(float(fd), rel=1e-6, abs=1e-9)
    return g


def test_the_reverse_loop_sums_outer_products_after_it():
    g = _check_grad(rnn_loss, (W, U, B, XS), (0, 1, 2))
    src = sct.source(sct.grad(rnn_loss, argnums=(0, 1, 2)))
    assert re.search(r"W_bar = matmul_adjoint_a_sum\(\w+, W, hs\)", src)
    assert "matmul_adjoint_a(" not in src
    assert [x.shape for x in g] == [W.shape, U.shape, B.shape]


def test_in_place_writes_keep_the_per_pass_sums():
    _check_grad(rnn_written_in_place, (W, U, B, XS), (0, 1, 2))
    src = sct.source(sct.grad(rnn_written_in_place, argnums=(0, 1, 2)))
    assert "matmul_adjoint_a_sum" not in src


def test_row_vector_convention():
    a = _check_grad(rnn_loss, (W, U, B, XS), (0, 1, 2))
    b = _check_grad(rnn_row_vectors, (W.T.copy(), U, B, XS), (0, 1, 2))
    np.testing.assert_allclose(b[0], a[0].T, rtol=1e-12, atol=1e-14)


def test_no_pass_gives_zero_gradients_of_the_right_shape():
    g = sct.grad(rnn_loss, argnums=(0, 1))(W, U, B, XS[:0])
    assert g[0].shape == W.shape and not g[0].any()
    assert g[1].shape == U.shape and not g[1].any()


def test_hvp_goes_through_the_summed_product():
    v = rng.normal(size=W.shape)
    hv = sct.hvp(lambda W: rnn_loss(W, U, B, XS), (W,), (v,))
    grad = sct.grad(rnn_loss)
    eps = 1e-5
    fd = (grad(W + eps * v, U, B, XS) - grad(W - eps * v, U, B, XS)) / (2 * eps)
    np.testing.assert_allclose(hv, fd, rtol=1e-5, atol=1e-8)


def test_hessian_of_a_scalar_rnn_parameter():
    def loss(s, xs):
        return rnn_loss(W * s, U, B, xs)
    h = sct.hessian(loss)(0.7, XS)
    grad = sct.grad(loss)
    eps = 1e-5
    fd = (grad(0.7 + eps, XS) - grad(0.7 - eps, XS)) / (2 * eps)
    assert float(h) == pytest.approx(float(fd), rel=1e-5)


def test_jacobian_of_the_gradient_is_forward_over_reverse():
    def loss(b):
        return rnn_loss(W, U, b, XS[:3])
    jf = sct.jacfwd(sct.grad(loss))(B)
    np.testing.assert_allclose(jf, sct.hessian(loss)(B), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(jf, jf.T, rtol=1e-8, atol=1e-12)
    with pytest.raises(sct.NotDifferentiable, match="forward mode instead"):
        sct.jacrev(sct.grad(loss))(B)


def test_writes_in_place_are_found_as_a_walk_of_every_node_finds_them():
    import gast
    from sct import batch, walk
    from test_survey import _bodies
    kinds = set()
    for body in _bodies():
        whole = walk.nodes(gast.Module(body=body, type_ignores=[]))
        expected = any(isinstance(n, gast.AugAssign) or (isinstance(
            n, gast.Subscript) and isinstance(n.ctx, gast.Store)) for n in whole)
        assert batch._in_place(body) == expected
        kinds.add(expected)
    assert kinds == {True, False}
    comprehension = gast.parse("y = [0 for x[0] in z]").body
    assert batch._in_place(comprehension)
