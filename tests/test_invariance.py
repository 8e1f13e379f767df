"""The max subtracted for a stable softmax gets no adjoint (sct/invariance.py).

The table in cases.py checks these functions' derivatives against central
differences with every engine; here: that the analysis drops exactly the adjoints it
can prove zero, and keeps the others.
"""

import numpy as np
import pytest

import sct

import cases

POSITIVE = [cases.log_softmax_ties, cases.softmax_weights, cases.logsumexp,
            cases.mlp_loss]


def _args(fn):
    return next(c.args for c in cases.CASES if c.fn is fn)


@pytest.mark.parametrize("fn", POSITIVE, ids=lambda f: f.__name__)
def test_no_tie_mask_where_the_result_is_shift_invariant(fn):
    g = sct.grad(fn)
    g(*_args(fn))
    src = sct.source(g)
    assert "extremum_mask" not in src
    # the reverse sweep says why, under the line of the max
    assert "# (the max gets no adjoint: the result does not change when it shifts)" in src


def test_forward_mode_with_a_scalar_max():
    # forward mode is built for every shape: a scalar max is still followed
    x = _args(cases.logsumexp)[0]
    g = sct.jvp(cases.logsumexp)
    _, dot = g((x,), (np.ones_like(x),))
    assert "extremum_mask" not in sct.source(g)
    assert dot == pytest.approx(1.0, rel=1e-13)  # logsumexp(x + t) = logsumexp(x) + t


def test_kept_where_the_result_changes_with_the_max():
    z = _args(cases.shifted_not_invariant)[0]
    g = sct.grad(cases.shifted_not_invariant)
    g(z)
    # both the max over axis 0 (reduced along axis 1 later) and the min (squared)
    assert sct.source(g).count("extremum_mask") == 2


def test_log_softmax_gradient_at_ties_is_the_closed_form():
    z, w = _args(cases.log_softmax_ties)
    gz = sct.grad(cases.log_softmax_ties)(z, w)
    e = np.exp(z - z.max(axis=1, keepdims=True))
    p = e / e.sum(axis=1, keepdims=True)
    # d/dz sum(w * log_softmax(z)) = w - softmax(z) * sum(w, axis=1)
    np.testing.assert_allclose(gz, w - p * w.sum(axis=1, keepdims=True),
                               rtol=1e-13, atol=1e-14)


def test_hessian_of_logsumexp_with_a_tied_maximum():
    x = np.array([0.5, 2.0, 2.0, -1.0])
    h = sct.hessian(cases.logsumexp)(x)
    p = np.exp(x - x.max())
    p /= p.sum()
    # the Hessian of logsumexp is diag(p) - p p^T
    np.testing.assert_allclose(h, np.diag(p) - np.outer(p, p), rtol=1e-12, atol=1e-14)


def test_the_output_itself_depends_on_the_max():
    # m + logsumexp(x) changes with m: the max keeps its adjoint
    def lse_plus_max(x):
        m = np.max(x)
        return m + np.log(np.sum(np.exp(x - m))) + m

    x = np.array([0.5, 2.0, 1.0])
    g = sct.grad(lse_plus_max)
    p = np.exp(x - x.max())
    p /= p.sum()
    np.testing.assert_allclose(g(x), p + np.array([0.0, 1.0, 0.0]), rtol=1e-12)
    assert "extremum_mask" in sct.source(g)


def test_a_softmax_built_for_every_shape_with_a_negative_axis():
    # a helper called from a gradient is built without shapes: the max over axis -1,
    # kept, is followed from the right
    q, k, v = _args(cases.attention)
    g = sct.grad(cases.attention, argnums=(0, 1, 2))
    g(q, k, v)
    helper = [b for key, b in sct.cache._cache[cases.softmax].items() if key[0] == "split"]
    assert helper and all("extremum_mask" not in "".join(b.sources) for b in helper)
    # and sct.vjp of it, built for the primals' shapes, agrees with the closed form
    z = q @ k.T
    p, back = sct.vjp(cases.softmax, z)
    assert "extremum_mask" not in sct.source(back)
    u = np.random.default_rng(3).normal(size=p.shape)
    (got,) = back(u)
    # the softmax's vector-Jacobian product: p * (u - sum(u * p, axis=-1))
    np.testing.assert_allclose(got, p * (u - np.sum(u * p, axis=-1, keepdims=True)),
                               rtol=1e-12, atol=1e-15)


def positive_axis_softmax(z):
    e = np.exp(z - np.max(z, axis=1, keepdims=True))
    return e / np.sum(e, axis=1, keepdims=True)


def weighted_positive_axis_softmax(z, w):
    return np.sum(positive_axis_softmax(z) * w)  # the helper is built for every shape


def test_without_shapes_a_positive_axis_is_not_followed():
    # which axis 1 is depends on the rank, unknown in a helper built for every shape;
    # with the primals' shapes (sct.vjp, sct.jvp, sct.grad) it is followed
    rng = np.random.default_rng(4)
    z, w = rng.normal(size=(2, 3)), rng.normal(size=(2, 3))
    g = sct.grad(weighted_positive_axis_softmax)(z, w)
    helper = [b for key, b in sct.cache._cache[positive_axis_softmax].items()
              if key[0] == "split"]
    assert helper and all("extremum_mask" in "".join(b.sources) for b in helper)
    p = positive_axis_softmax(z)
    np.testing.assert_allclose(g, p * (w - np.sum(w * p, axis=1, keepdims=True)),
                               rtol=1e-12, atol=1e-15)
    f_jvp = sct.jvp(positive_axis_softmax)
    _, dot = f_jvp((z,), (np.ones_like(z),))
    assert "extremum_mask" not in sct.source(f_jvp)
    np.testing.assert_allclose(dot, np.zeros_like(z), atol=1e-15)  # a shift: no change
    _, back = sct.vjp(positive_axis_softmax, z)
    assert "extremum_mask" not in sct.source(back)
    np.testing.assert_allclose(back(np.ones_like(z))[0], np.zeros_like(z), atol=1e-15)
