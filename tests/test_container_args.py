"""Gradients with respect to lists and tuples of floats and float arrays."""

import numpy as np
import pytest

import sct

rng = np.random.default_rng(3)


def layer_loss(params, x):
    W, b = params
    h = np.tanh(x @ W + b)
    return np.sum(h ** 2)


def mlp_loss(layers, x, y):
    h = x
    for W, b in layers:
        h = np.tanh(h @ W + b)
    return np.mean((h - y) ** 2)


def scaled(ws, s):
    return s * (ws[0] * ws[1] + np.sin(ws[2]))


def _leaves(t):
    if isinstance(t, (list, tuple)):
        return [x for item in t for x in _leaves(item)]
    return [t]


def _like(t, values):
    it = iter(values)

    def build(u):
        if isinstance(u, (list, tuple)):
            return type(u)(build(x) for x in u)
        return next(it)
    return build(t)


def _fd_check(f, args, i):
    """<grad, v> against central differences along a random direction v."""
    g = sct.grad(f, argnums=i)(*args)
    leaves = _leaves(args[i])
    vs = [rng.normal(size=np.shape(x)) if np.ndim(x) else float(rng.normal())
          for x in leaves]
    eps = 1e-6

    def at(sign):
        a = list(args)
        a[i] = _like(args[i], [x + sign * eps * v for x, v in zip(leaves, vs)])
        return f(*a)
    fd = (at(1) - at(-1)) / (2 * eps)
    got = sum(float(np.vdot(gl, v)) for gl, v in zip(_leaves(g), vs))
    assert got == pytest.approx(float(fd), rel=1e-6, abs=1e-10)
    return g


def test_list_of_arrays():
    params = [rng.normal(size=(3, 2)), rng.normal(size=2)]
    g = _fd_check(layer_loss, (params, rng.normal(size=(4, 3))), 0)
    assert isinstance(g, list) and [x.shape for x in g] == [(3, 2), (2,)]


def test_list_of_pairs_in_a_loop():
    layers = [(rng.normal(size=(3, 4)), rng.normal(size=4)),
              (rng.normal(size=(4, 2)), rng.normal(size=2))]
    g = _fd_check(mlp_loss, (layers, rng.normal(size=(5, 3)), rng.normal(size=(5, 2))), 0)
    assert isinstance(g, list) and all(isinstance(p, tuple) for p in g)
    assert [[x.shape for x in p] for p in g] == [[(3, 4), (4,)], [(4, 2), (2,)]]


def test_tuple_of_floats_and_a_float_together():
    ws = (0.3, 1.2, -0.7)
    g = sct.grad(scaled, argnums=(0, 1))(ws, 2.0)
    assert isinstance(g[0], tuple)
    np.testing.assert_allclose(g[0], (2.0 * 1.2, 2.0 * 0.3, 2.0 * np.cos(-0.7)))
    assert float(g[1]) == pytest.approx(0.3 * 1.2 + np.sin(-0.7))
    _fd_check(scaled, (ws, 2.0), 0)


def test_value_and_grad_with_a_list():
    params = [rng.normal(size=(3, 2)), rng.normal(size=2)]
    x = rng.normal(size=(4, 3))
    value, g = sct.value_and_grad(layer_loss)(params, x)
    assert value == pytest.approx(layer_loss(params, x))
    np.testing.assert_allclose(g[1], sct.grad(layer_loss)(params, x)[1])


def test_the_callers_list_is_not_changed():
    params = [rng.normal(size=(3, 2)), rng.normal(size=2)]
    before = [p.copy() for p in params]
    sct.grad(layer_loss)(params, rng.normal(size=(4, 3)))
    assert len(params) == 2 and all(np.array_equal(a, b) for a, b in zip(params, before))


def test_a_list_of_integers_is_refused_on_every_call():
    g = sct.grad(scaled)
    g([0.5, 1.0, 2.0], 1.0)
    with pytest.raises(sct.NotDifferentiable, match="lists or tuples"):
        g([1, 2, 3], 1.0)
    with pytest.raises(sct.NotDifferentiable):
        g([], 1.0)
