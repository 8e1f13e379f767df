"""sct forward mode and the derived transforms, against finite differences and reverse mode."""

import os

import numpy as np
import pytest

import bad_functions as bad
import sct
from cases import CASES, demo, scalar_loop
from fd import directional, line_of, random_like, value

RTOL, ATOL = 1e-5, 1e-7


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_jvp_matches_finite_differences(case):
    rng = np.random.default_rng(3)
    vs = [random_like(case.args[i], rng) for i in case.argnums]
    tangents = [None] * len(case.args)
    for i, v in zip(case.argnums, vs):
        tangents[i] = v
    out, tout = sct.jvp(case.fn, case.args, tangents)
    np.testing.assert_allclose(out, value(case.fn, case.args), rtol=1e-12)
    fd = directional(case.fn, case.args, case.argnums, vs)
    np.testing.assert_allclose(tout, fd, rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_dot_product_forward_against_reverse(case):
    """<J v, w> == <v, J^T w> between sct.jvp and sct.vjp."""
    rng = np.random.default_rng(4)
    vs = [random_like(case.args[i], rng) for i in case.argnums]
    tangents = [None] * len(case.args)
    for i, v in zip(case.argnums, vs):
        tangents[i] = v
    out, jv = sct.jvp(case.fn, case.args, tangents)
    w = random_like(np.asarray(out) if np.ndim(out) else float(out), rng)
    _, back = sct.vjp(case.fn, *case.args)
    jtw = back(w)
    lhs = float(np.sum(np.asarray(jv) * w))
    rhs = sum(float(np.sum(jtw[i] * v)) for i, v in zip(case.argnums, vs))
    assert lhs == pytest.approx(rhs, rel=1e-9, abs=1e-12)


def test_jacobian_of_the_issue_example():
    def f(u, v):
        y0 = u[0] ** 2 + u[1] * v[0]
        y1 = u[1] * v[1] + v[0] * v[1] ** 2
        return np.stack([y0, y1])
    u, v = np.array([1.0, 2.0]), np.array([3.0, 4.0])
    expected = np.array([[2.0, 3.0, 2.0, 0.0], [0.0, 4.0, 16.0, 26.0]])
    for jac in (sct.jacfwd, sct.jacrev):
        ju, jv = jac(f, argnums=(0, 1))(u, v)
        np.testing.assert_allclose(np.concatenate([ju, jv], axis=1), expected, rtol=1e-14)


@pytest.mark.parametrize("case", [c for c in CASES if c.id in (
    "mlp_loss", "elementwise", "shapes", "reductions", "vector_out", "rnn")],
    ids=lambda c: c.id)
def test_jacfwd_equals_jacrev(case):
    i = case.argnums[0]
    a = sct.jacfwd(case.fn, argnums=i)(*case.args)
    b = sct.jacrev(case.fn, argnums=i)(*case.args)
    assert a.shape == b.shape == np.shape(value(case.fn, case.args)) + np.shape(case.args[i])
    np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("case", [c for c in CASES if c.scalar_output and c.id in (
    "demo", "mlp_loss", "elementwise", "reductions", "arith", "math_module", "branch",
    "scalar_loop", "loop_branch", "nested_loops", "rnn", "calls_helper", "fill_array",
    "update_argument", "matrix_updates", "comprehension")],
    ids=lambda c: c.id)
def test_hessian_against_finite_differences_of_the_gradient(case):
    i = case.argnums[0]
    H = sct.hessian(case.fn, argnums=i)(*case.args)
    x = case.args[i]
    g = sct.grad(case.fn, argnums=i)
    rng = np.random.default_rng(5)
    v = random_like(x, rng)
    fd = directional(g, case.args, (i,), [v], eps=1e-5)
    hv = np.tensordot(H, v, axes=np.ndim(x)) if np.ndim(x) else H * v
    np.testing.assert_allclose(hv, fd, rtol=1e-4, atol=1e-6)
    # and the Hessian-vector product, without forming H
    tangents = [None] * len(case.args)
    tangents[i] = v
    np.testing.assert_allclose(sct.hvp(case.fn, case.args, tangents) if len(
        [a for a in case.args if isinstance(a, (float, np.ndarray))]) == 1 else hv, hv,
        rtol=1e-9, atol=1e-12)


def test_grad_of_grad_on_a_scalar_loop():
    def d2(x):
        return sct.grad(sct.grad(scalar_loop))(x, 0.3, 20)
    g = sct.grad(scalar_loop)
    x = 0.7
    fd = (g(x + 1e-5, 0.3, 20) - g(x - 1e-5, 0.3, 20)) / 2e-5
    assert d2(x) == pytest.approx(fd, rel=1e-6)


def test_demo_second_derivatives():
    h = sct.hessian(demo, argnums=(0, 1))(2.0, 5.0)
    # d2/dx1^2 = -1/x1^2, d2/dx1dx2 = 1, d2/dx2^2 = sin(x2)
    np.testing.assert_allclose(np.array(h, dtype=float).reshape(2, 2),
                               [[-0.25, 1.0], [1.0, np.sin(5.0)]], rtol=1e-14)


def test_a_tangent_from_some_operands_covers_the_whole_result():
    # only c varies in x - c: its tangent must still have x's shape before the sum
    def f(x, c):
        return np.sum(x - c) + np.sum(np.maximum(x, c))
    x = np.array([1.0, 2.0, 3.0])
    _, t = sct.jvp(f, (x, 0.5), (None, 1.0))
    assert t == pytest.approx(-3.0 + 0.0)
    _, t2 = sct.jvp(f, (x, 2.5), (None, 1.0))
    assert t2 == pytest.approx(-3.0 + 2.0)


def test_jvp_of_f_alone_is_a_function_whose_source_sct_shows():
    f_jvp = sct.jvp(scalar_loop)
    with pytest.raises(sct.SCTError, match="has not been called yet"):
        sct.source(f_jvp)
    args = (0.3, 1.7, 5)
    out, dot = f_jvp(args, (1.0, 0.0, None))
    assert (out, dot) == sct.jvp(scalar_loop, args, (1.0, 0.0, None))
    assert dot == pytest.approx(float(directional(scalar_loop, args, (0,), (1.0,))), rel=1e-6)
    src = sct.source(f_jvp)
    assert src.startswith("def scalar_loop_jvp(")
    assert "tape" not in src  # forward mode keeps no tape: tangents sit next to values
    assert "_dot" in src
    with pytest.raises(sct.SCTError, match="cannot be differentiated again; for second"):
        sct.grad(f_jvp)(args, (1.0, 0.0, None))


# --- forward over reverse through in-place writes -------------------------------------
def overwritten_then_read(x):
    a = x * 2.0
    b = np.sum(a * a)  # its adjoint reads a as it was before the write below
    a[0] = 3.0 * x[1]
    return b + np.sum(a * a)


def test_hessian_restores_the_tangent_of_an_overwritten_item():
    # The gradient writes the saved a[0] back before reading a; the tangent of that
    # saved item was taken as zero, and the Hessian was off by up to 8.
    x = np.array([0.3, -0.7, 1.1])
    report = sct.check_grads(overwritten_then_read, (x,), order=2)
    assert report.passed


def test_sharing_in_the_users_code_is_still_refused_in_forward_mode():
    # Forward mode skips the alias check only for code sct generated itself.
    line = line_of(bad.writes_into_shared_array, "alias")
    where = f"{os.path.basename(bad.__file__)}:{line}:"
    for run in (lambda: sct.jvp(bad.writes_into_shared_array, (1.0,), (1.0,)),
                lambda: sct.hessian(bad.writes_into_shared_array)(1.0)):
        with pytest.raises(sct.UnsupportedSyntax) as info:
            run()
        assert where in str(info.value)


def scaled_into_argument(m, s):
    m[0] = m[1] * s
    return np.sum(np.sin(m)) * s


def test_grad_of_grad_through_an_argument_written_in_place_but_not_differentiated():
    # Only s has a tangent; m is written with values that depend on s, so m is active
    # by name: its tangent starts at zero instead of being read before it is set.
    m = np.array([0.3, 0.5, 0.7])
    g = sct.grad(scaled_into_argument, argnums=1)
    d2 = sct.grad(g, argnums=1)(m, 1.3)
    fd = (g(m, 1.3 + 1e-5) - g(m, 1.3 - 1e-5)) / 2e-5
    assert d2 == pytest.approx(fd, rel=1e-7)
    np.testing.assert_array_equal(m, [0.3, 0.5, 0.7])


def popped_and_discarded(x):
    hs = [x, x * 2.0, x * 3.0]
    hs.pop()
    return sum(hs) * x


def popped_into_a_constant_decision(x):
    hs = [x * 1.5, x * 2.0]
    for i in range(2):
        h = hs.pop()
        h[0] = h[1] * h[0]
        if False:
            hs.append(h)
    return np.sum(h * h)


def test_a_pop_pops_the_tangent_list_too():
    # hs.pop() as a statement left x * 3.0's tangent on hs_dot: jvp gave 13.5, not 9
    _, t = sct.jvp(popped_and_discarded, (1.5,), (1.0,))
    assert t == pytest.approx(2 * 3.0 * 1.5)
    # the gradient saves the constant branch decision False and pops it into an
    # inactive name: forward over it left a zero tangent behind on tape_dot, and the
    # tangents popped after it were the wrong ones (a TypeError here)
    x = np.array([0.3, -0.2, 0.5])
    assert sct.check_grads(popped_into_a_constant_decision, (x,), order=2).passed


def shifted_then_written(x):
    a = x + 1.0  # the tangent of a is the tangent of x, unless it is copied
    a[0] = x[1] * x[2]
    return np.sum(a * x * x)


def copied_then_written(x):
    a = np.array(x)
    a[0] = x[1] * x[2]
    return np.sum(a * x)


@pytest.mark.parametrize("fn", [shifted_then_written, copied_then_written])
def test_the_tangent_of_a_new_array_written_into_is_its_own(fn):
    # a_dot was x_dot itself (x + 1.0) or np.asarray(x_dot) (np.array(x)), so
    # a_dot[0] = ... wrote into x_dot: sct.jvp was off by 11 and changed the
    # caller's tangent, and so were the Hessians built on it (off by 5 and 1.2).
    x, t = np.array([0.5, 2.0, 3.0]), np.array([1.0, -1.0, 0.5])
    _, jv = sct.jvp(fn, (x,), (t,))
    np.testing.assert_array_equal(t, [1.0, -1.0, 0.5])
    assert jv == pytest.approx(directional(fn, (x,), (0,), [t]), rel=1e-6)
    assert sct.check_grads(fn, (x,), order=2).passed


def test_hvp_over_some_arguments_equals_those_blocks_of_the_full_one():
    rng = np.random.default_rng(3)
    W, x = rng.normal(size=(3, 4)), rng.normal(size=4)

    def loss(W, x):
        return np.sum(np.tanh(W @ x) ** 2)

    v = rng.normal(size=W.shape)
    full = sct.hvp(loss, (W, x), (v, None))
    part = sct.hvp(loss, (W, x), (v, None), argnums=0)
    np.testing.assert_allclose(part, full[0], rtol=1e-12, atol=1e-14)
    grad = sct.grad(loss)
    eps = 1e-6
    fd = (grad(W + eps * v, x) - grad(W - eps * v, x)) / (2 * eps)
    np.testing.assert_allclose(part, fd, rtol=1e-6, atol=1e-9)
    with pytest.raises(sct.NotDifferentiable, match="outside argnums"):
        sct.hvp(loss, (W, x), (v, x), argnums=0)


def test_the_tangent_flavor_returns_only_the_tangent_and_drops_value_only_work():
    from sct import cache, kinds
    W, x = np.eye(3) * 0.5, np.arange(3.0)

    def loss(W, x):
        return np.sum(np.tanh(W @ x) ** 2)

    g = sct.grad(loss)
    ks = tuple(map(kinds.of_value, (W, x)))
    inner = cache.concrete(g, ks, (W, x))
    both = cache.derived(inner, "jvp", (0,), ks)
    only = cache.derived(inner, "tangent", (0,), ks)
    v = np.ones((3, 3))
    value, tangent = both.functions[0](W, x, v)
    np.testing.assert_array_equal(only.functions[0](W, x, v), tangent)
    assert "return out, out_dot" in both.sources[0]
    assert "return out_dot" in only.sources[0] and "out =" not in only.sources[0]


def test_a_repeated_jvp_reuses_its_build_and_still_checks_what_it_must(monkeypatch):
    import api_module as m

    x = np.array([0.3, -0.8, 1.1])
    t = np.array([1.0, 0.5, -2.0])
    first = sct.jvp(m.uses_act, (x,), (t,))[1]
    again = sct.jvp(m.uses_act, (x,), (t,))[1]
    # d/dx sum(tanh(x) x) . t = sum(((1 - tanh^2) x + tanh) t)
    want = np.sum(((1.0 - np.tanh(x) ** 2) * x + np.tanh(x)) * t)
    assert first == again == pytest.approx(want, rel=1e-13)
    # a helper rebound after the build: the derivative follows, as grad's does
    monkeypatch.setattr(m, "act", np.sin)
    assert sct.jvp(m.uses_act, (x,), (t,))[1] == pytest.approx(
        np.sum((np.cos(x) * x + np.sin(x)) * t), rel=1e-13)
    # a tangent for an integer argument is refused on every call, not just the first
    f = scalar_loop
    assert sct.jvp(f, (0.7, 0.3, 4), (1.0, 0.0, 0.0))[1] == pytest.approx(
        sct.grad(f)(0.7, 0.3, 4), rel=1e-12)
    with pytest.raises(sct.NotDifferentiable):
        sct.jvp(f, (0.7, 0.3, 4), (1.0, 0.0, 1.0))


def tangent_shared_then_written(x):
    a = x * 2.0
    g = a + 1.5  # a new array whose tangent is a_dot itself
    h = np.positive(a)
    a[0] = 1.0  # writes into a_dot too: g_dot and h_dot must not see it
    return np.sum(g * a) + np.sum(h * h)


def test_a_tangent_handed_on_is_copied_before_its_source_is_written():
    x = np.array([0.5, -1.0, 2.0, 1.5])
    t = np.array([1.0, 0.0, 0.0, 0.0])
    _, dot = sct.jvp(tangent_shared_then_written, (x,), (t,))
    # f = sum((2x + 1.5) a) + sum(4 x^2) with a = 2x except a[0] = 1: df/dx0 = 2 + 8 x0
    assert dot == pytest.approx(2.0 + 8.0 * 0.5, rel=1e-13)
    assert dot == pytest.approx(sct.grad(tangent_shared_then_written)(x)[0], rel=1e-13)
