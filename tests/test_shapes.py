"""Derivatives specialized for the pattern of their arguments' shapes (sct/shapes.py)."""

import gast
import numpy as np
import pytest

import sct
from sct import api, cache, pipeline, shapes
from fd import directional

rng = np.random.default_rng(11)


def _check(f, args, argnums):
    g = sct.grad(f, argnums=argnums)(*args)
    g = g if isinstance(argnums, tuple) else (g,)
    nums = argnums if isinstance(argnums, tuple) else (argnums,)
    dirs = [rng.normal(size=np.shape(args[i])) for i in nums]
    fd = directional(f, args, nums, dirs)
    got = sum(np.vdot(gi, v) for gi, v in zip(g, dirs))
    assert got == pytest.approx(float(fd), rel=1e-6, abs=1e-9)
    for gi, i in zip(g, nums):
        assert np.shape(gi) == np.shape(args[i])
    return g


def biased(x, b):
    return np.sum(np.tanh(x + b) ** 2)


def rnn(W, U, b, xs, h0):
    h = h0
    for t in range(xs.shape[0]):
        h = np.tanh(W @ h + U @ xs[t] + b)
    return np.sum(h ** 2)


def analysed(f, *args):
    ctx, tree, resolved = pipeline.front(f)
    names = pipeline.arg_names(tree)
    pat = shapes.pattern([np.shape(a) for a in args])
    return shapes.run(tree, dict(zip(names, pat)), resolved)


# -- the analysis ---------------------------------------------------------------------
def test_pattern_names_sizes_and_keeps_zero_and_one():
    assert shapes.pattern([(5, 5), (5,), (1, 7), (0, 7)]) == (
        ("d0", "d0"), ("d0",), (1, "d1"), (0, "d1"))


@pytest.mark.parametrize("shapes_, expected", [
    ([("a", "b"), ("b",)], ("a", "b")),
    ([("a", 1), (1, "b")], ("a", "b")),
    ([(), ("a",)], ("a",)),
    ([("a",), ("b",)], None),  # two different sizes never broadcast
    ([("a",), None], None),
])
def test_broadcast_of_symbolic_shapes(shapes_, expected):
    assert shapes.broadcast(shapes_) == expected


def test_broadcast_asked_again_answers_as_it_did_the_first_time():
    # broadcasts are remembered: the second answer comes from the table
    pool = [None, (), ("a",), ("b",), (1,), (0,), ("a", "b"), ("b", "a"), (1, "b"),
            ("a", 1), (1, 1)]
    combos = [[p, q] for p in pool for q in pool] + [[p, q, r] for p in pool[2:5]
                                                     for q in pool for r in pool[5:]]
    first = [shapes.broadcast(c) for c in combos]
    assert [shapes.broadcast(list(c)) for c in combos] == first
    assert shapes.broadcast([("a", 1), (1, "b"), ("b",)]) == ("a", "b")
    assert shapes.broadcast([(0,), ("a",)]) is None and shapes.broadcast([(0,), (1,)]) == (0,)


def test_the_rnn_loop_has_every_shape_decided():
    W, U, b, xs, h0 = np.ones((4, 4)), np.ones((4, 3)), np.ones(4), np.ones((6, 3)), \
        np.zeros(4)
    s = analysed(rnn, W, U, b, xs, h0)
    assert s["h"] == s["b"] == ("d0",)
    assert s["xs_t"] == ("d1",)  # a row of xs, indexed by the loop counter
    assert s["out"] == ()


def test_what_the_analysis_cannot_follow_stays_unknown():
    def f(x, k):
        y = x[1:]            # a slice with bounds: a size of its own
        z = np.reshape(x, (2, -1))
        if k > 1:
            w = x
        else:
            w = x[0]         # two shapes for one name
        return np.sum(y) + np.sum(z) + w

    s = analysed(f, np.ones(6), 2)
    assert "y" not in s and "z" not in s and "w" not in s
    assert s["x"] == ("d0",)


def test_a_loop_carried_name_with_changing_shape_is_unknown():
    def f(x, n):
        y = x
        for i in range(n):
            y = np.outer(y, x)
        return np.sum(y)

    assert "y" not in analysed(f, np.ones(3), 2)


def test_sizes_read_from_shapes_make_arrays():
    def f(W):
        h = np.zeros(W.shape[0])
        g = np.ones((W.shape[1], 1))
        return np.sum(W @ g) + np.sum(h)

    s = analysed(f, np.ones((3, 4)))
    assert s["h"] == ("d0",) and s["g"] == ("d1", 1)


# -- the derivatives ------------------------------------------------------------------
def test_known_shapes_drop_unbroadcast_and_the_tape_keeps_only_what_is_read():
    args = (rng.normal(size=(4, 4)) * 0.5, rng.normal(size=(4, 3)), rng.normal(size=4),
            rng.normal(size=(5, 3)), np.zeros(4))
    _check(rnn, args, (0, 1, 2))
    df = sct.grad(rnn, argnums=(0, 1, 2))
    df(*args)
    src = sct.source(df)
    assert "unbroadcast" not in src
    assert sct.records(df)["values"] == ["h", "xs_t"]  # not W @ h, U @ x: shapes only


def test_a_sum_over_broadcast_axes_is_written_out():
    df = sct.grad(biased, argnums=(0, 1))
    df(np.ones((3, 4)), np.ones(4))
    src = sct.source(df)
    assert "np.add.reduce(x_plus_b_bar, axis=0)" in src and "unbroadcast" not in src


@pytest.mark.parametrize("b_shape", [(4,), (1, 4), (3, 1), (1,), (), (3, 4)])
def test_one_dispatcher_serves_every_broadcast(b_shape):
    df = sct.grad(biased, argnums=(0, 1))
    x = rng.normal(size=(3, 4))
    b = rng.normal(size=b_shape) if b_shape else 0.3
    _check(biased, (x, b), (0, 1))
    gx, gb = df(x, b)
    assert np.shape(gb) == np.shape(b)
    # the same dispatcher, now called with another shape, then this one again
    df(rng.normal(size=(2, 5)), rng.normal(size=5))
    again = df(x, b)
    np.testing.assert_allclose(again[1], gb, rtol=1e-12, atol=0)


def test_sizes_that_keep_the_pattern_share_one_build():
    df = sct.grad(rnn, argnums=(0, 1, 2))
    for hidden in (5, 7, 9):
        args = (np.eye(hidden) * 0.5, np.ones((hidden, 3)), np.ones(hidden),
                np.ones((4, 3)), np.zeros(hidden))
        df(*args)
    per_fn = cache._cache[rnn]
    assert len([k for k in per_fn if k[0] == "grad"]) == 1


def test_after_too_many_patterns_one_derivative_serves_every_shape(monkeypatch):
    monkeypatch.setattr(cache, "MAX_PATTERNS", 2)

    def f(x, y):
        return np.sum(x * y)

    df = sct.grad(f, argnums=(0, 1))
    for shape_x, shape_y in [((3,), (3,)), ((3,), (1,)), ((2, 3), (3,)), ((3, 1), (3,))]:
        x, y = rng.normal(size=shape_x), rng.normal(size=shape_y)
        expected = _check(f, (x, y), (0, 1))
        for got, want in zip(df(x, y), expected):
            np.testing.assert_allclose(got, want, rtol=1e-12, atol=0)
    keys = [k for k in cache._cache[f] if k[0] == "grad"]
    assert sorted(len(k) for k in keys) == [5, 6, 6]  # two patterns, then the general one
    assert "unbroadcast" in sct.source(df)


def test_hessian_and_vjp_still_serve_every_shape():
    x = rng.normal(size=(3, 4))
    b = rng.normal(size=4)
    h = sct.hessian(biased, argnums=1)(x, b)
    grad_b = sct.grad(biased, argnums=1)
    eps = 1e-6
    fd = np.stack([(grad_b(x, b + eps * e) - grad_b(x, b - eps * e)) / (2 * eps)
                   for e in np.eye(4)], axis=-1)
    np.testing.assert_allclose(h, fd, rtol=1e-5, atol=1e-7)


def test_a_gast_constant_axis_prints():
    call = gast.Call(func=gast.Name(id="s", ctx=gast.Load(), annotation=None,
                                    type_comment=None), args=[],
                     keywords=[gast.keyword(arg="axis", value=gast.Constant(
                         value=(0, 1), kind=None))])
    from sct import emit
    assert "axis=(0, 1)" in emit.to_source(gast.Module(body=[gast.Expr(value=call)],
                                                       type_ignores=[]))


# -- helper calls written as NumPy (sct/specialize.py) ---------------------------------
def products(A, v, u):
    w = A @ v          # matrix @ vector
    r = u @ A          # vector @ matrix
    s = u @ w          # vector @ vector
    return np.sum(np.tanh(w) * 2.0) + np.sum(r * r) + s * s + np.sum((A @ A.T) ** 2)


def reductions(x, y):
    m = np.mean(x, axis=0)
    s = np.sum(x * y, axis=1)
    k = np.max(x, axis=1, keepdims=True)
    t = np.sum(np.exp(x - k), axis=(0, 1), keepdims=True)
    return np.sum((x - m) ** 2) + np.sum(s * np.sum(y, axis=1)) + np.sum(np.log(t) * y)


def row_sums(x, y):
    s = np.sum(x * y, axis=1)
    return np.sum(s * s)


@pytest.mark.parametrize("n, m", [(3, 4), (1, 4), (3, 1), (4, 4)])
def test_matmul_adjoints_of_every_rank(n, m):
    args = (rng.normal(size=(n, m)), rng.normal(size=m), rng.normal(size=n))
    _check(products, args, (0, 1, 2))
    df = sct.grad(products, argnums=(0, 1, 2))
    df(*args)
    assert "matmul_adjoint" not in sct.source(df)


@pytest.mark.parametrize("shape", [(3, 4), (1, 4), (3, 1), (5, 5)])
def test_reduction_adjoints_spread_by_broadcasting(shape):
    args = (rng.normal(size=shape), rng.normal(size=shape))
    _check(reductions, args, (0, 1))
    _check(row_sums, args, 0)
    df = sct.grad(row_sums)
    df(*args)
    if shape == (3, 4):
        assert "x_times_y_bar = s_bar[:, None]" in sct.source(df)


# -- random broadcasts: every shape pattern must give the gradient of its shapes -----
def bcast_a(a, b, c):
    return np.sum(np.tanh(a * b + c) * a)


def bcast_b(a, b, c):
    m = np.max(a + b, axis=-1, keepdims=True)
    return np.sum(np.exp(a + b - m) * c) + np.sum(np.mean(a * c, axis=0))


def bcast_c(a, b, c):
    s = np.sum(a * b, axis=0)
    d = a - c
    return np.sum(s * s) + np.mean(d * d / (1.0 + b * b)) + np.sum(np.maximum(a, c))


def _broadcast_cases(seed=2, count=16):
    r = np.random.default_rng(seed)
    out = []
    for k in range(count):
        full = [(2, 3), (4, 2, 3)][k % 2]
        shapes = []
        for i in range(3):
            if i == k % 3:
                shapes.append(full)
                continue
            keep = int(r.integers(0, len(full) + 1))
            tail = full[len(full) - keep:] if keep else ()
            shapes.append(tuple(1 if r.random() < 0.3 else n for n in tail))
        out.append(tuple(shapes))
    return out


@pytest.mark.parametrize("fn", [bcast_a, bcast_b, bcast_c], ids=lambda f: f.__name__)
def test_random_broadcast_patterns_against_finite_differences(fn):
    df = sct.grad(fn, argnums=(0, 1, 2))  # one dispatcher for every pattern below
    for shapes in _broadcast_cases():
        args = tuple(rng.normal(size=s) if s else float(rng.normal()) for s in shapes)
        expected = _check(fn, args, (0, 1, 2))
        for got, want in zip(df(*args), expected):
            np.testing.assert_allclose(got, want, rtol=1e-12, atol=0)


def zero_d_axis(x, y):
    s = x * y  # two floats: a 0-d value that NumPy still reduces over axis 0
    return np.sum(s, axis=0) + np.sum(s * s, axis=0) + np.max(s, axis=0)


def test_a_reduction_over_axis_zero_of_a_scalar():
    _check(zero_d_axis, (0.7, -1.3), (0, 1))
    _check(zero_d_axis, (np.array(0.7), np.array(-1.3)), (0, 1))


# -- a mean's adjoint is uniform: a scalar, with its count read from the arguments ---
def mean_of_rows(x, y):
    s = np.sum(np.log(1.0 + x * x) * y, axis=1)
    return np.mean(s) + np.mean(x * y, axis=(0, 1))


def carried_mean(x, n):
    for i in range(n):
        x = np.tanh(x)  # x is rebound: its size is read from the value, as before
    return np.mean(x)


def _checked_code(f, args, argnums):
    """The code (comments left out) of the gradient of ``f``, checked at ``args``."""
    _check(f, args, argnums)
    df = sct.grad(f, argnums=argnums)
    df(*args)
    return "\n".join(line for line in sct.source(df).splitlines()
                     if not line.strip().startswith("#"))


@pytest.mark.parametrize("shape", [(3, 4), (1, 4), (3, 1), (1, 1)])
def test_a_mean_adjoint_needs_neither_the_loss_nor_an_array(shape):
    code = _checked_code(mean_of_rows, (rng.normal(size=shape), rng.normal(size=shape)),
                         (0, 1))
    # the loss value is never computed (no mean, no sum), no helper spreads the seed
    assert "np.mean" not in code and "np.sum" not in code and "/ 1\n" not in code
    assert "unreduce" not in code and "reduced_count" not in code
    if shape == (3, 4):
        assert "= 1.0 / x.shape[0]\n" in code and "1.0 / (x.shape[0] * x.shape[1])" in code


def test_a_size_only_a_rebound_argument_carries_is_counted_at_run_time():
    x = rng.normal(size=5)
    _check(carried_mean, (x, 3), 0)
    df = sct.grad(carried_mean)
    df(x, 3)
    assert "reduced_count(" in sct.source(df)


def squares(x, y):
    return np.sum(np.tanh(x) ** 2 + np.sin(y) * y)


@pytest.mark.parametrize("shape", [(5,), (3, 4), (1, 4), (3, 1)])
def test_a_uniform_seed_times_a_scalar_still_spreads(shape):
    # the seed's reads: seed * 2 * tanh_x (a scalar joins first), seed * y, sin_y * seed
    code = _checked_code(squares, (rng.normal(size=shape), rng.normal(size=shape)), (0, 1))
    assert "unreduce" not in code and "2.0 * tanh_x" in code


def kept_by_an_int(x, c):
    s = np.sum(x * x, axis=1, keepdims=1)  # a truthy int keeps the axis too
    h = (x + c) * x
    return np.sum(np.sin(s)) + np.sum(np.sum(h, axis=1, keepdims=1))


def test_keepdims_given_as_an_int():
    # the adjoint was spread with an extra axis: (3, 3, 4), then a crash
    _check(kept_by_an_int, (rng.normal(size=(3, 4)), rng.normal(size=4)), (0, 1))


def row_times_column(X):
    x = X[1:]  # a slice: its shape is not decided
    r = np.sum(x, axis=1, keepdims=True)
    c = np.sum(x, axis=0, keepdims=True)
    return np.sum(r * c) + np.sum(np.mean(x, axis=(0, 1), keepdims=True) * x)


def test_keepdims_reductions_along_different_axes_broadcast_against_each_other():
    # r (n, 1) times c (1, k) was taken for one shape: no unbroadcast, 11 instead of 42
    X = np.array([[0.0, 0.0, 0.0], [1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    g = sct.grad(row_times_column)(X)
    # f = S^2 + S^2 / 6 with S the sum of x: each entry of x gets 2 S + 2 S / 6 = 49
    np.testing.assert_allclose(g, [[0.0, 0.0, 0.0], [49.0] * 3, [49.0] * 3])
    _check(row_times_column, (rng.normal(size=(4, 3)),), 0)
    (got,) = sct.vjp(row_times_column, X)[1](1.0)  # built for every shape
    np.testing.assert_allclose(got, g, rtol=1e-13)
