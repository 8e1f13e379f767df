"""The textbook engines (tape and dual numbers) against finite differences and sct."""

import math
import warnings

import numpy as np
import pytest

import sct
from cases import CASES, broadcasting, demo, mlp_loss, scalar_loop
from fd import directional, random_like
from sct.baseline import Dual, Var, dual, elementary, tape

RTOL, ATOL = 1e-5, 1e-7
SAME = dict(rtol=1e-9, atol=1e-12)  # engines that share formulas agree to rounding

# Cases the overloading engines cannot run, by design: math.* calls cannot be
# overloaded (test_math_style_demo runs the elementary twin), and writing a value
# into an array (out[i] = v, v[0] = ...) drops or refuses its derivative.
NOT_OVERLOADABLE = {"math_module", "fill_array", "update_argument", "matrix_updates",
                    "ramp"}  # (np.arange is not dispatched to overloads: a clear error)
# x ** 2 at negative x: jvp_callable(rule for operator.pow) multiplies the zero
# tangent of the constant exponent by log(x) = nan (see test_pow_negative_base_*).

ENGINE_CASES = [c for c in CASES if c.scalar_output and c.id not in NOT_OVERLOADABLE]


def _fd_gradient_check(f, args, argnums, grads, rng):
    """Each gradient against central differences along a random direction."""
    for i, g in zip(argnums, grads):
        x = args[i]
        assert np.shape(g) == np.shape(x)
        v = random_like(x, rng)
        dirs = [v if j == i else 0.0 * random_like(args[j], rng) for j in argnums]
        fd = float(directional(f, args, argnums, dirs))
        assert float(np.sum(g * v)) == pytest.approx(fd, rel=RTOL, abs=ATOL)


# --- the case table ---------------------------------------------------------------------
@pytest.mark.parametrize("case", ENGINE_CASES, ids=lambda c: c.id)
def test_tape_grad_matches_sct_and_finite_differences(case):
    g = tape.grad(case.fn, argnums=case.argnums)(*case.args)
    assert isinstance(g, tuple) and len(g) == len(case.argnums)
    ref = sct.grad(case.fn, argnums=case.argnums)(*case.args)
    for a, b in zip(g, ref):
        np.testing.assert_allclose(a, b, **SAME)
    _fd_gradient_check(case.fn, case.args, case.argnums, g, np.random.default_rng(3))


@pytest.mark.parametrize("case", ENGINE_CASES, ids=lambda c: c.id)
def test_dual_grad_matches_sct_and_finite_differences(case):
    g = dual.grad(case.fn, argnums=case.argnums)(*case.args)
    ref = sct.grad(case.fn, argnums=case.argnums)(*case.args)
    for a, b in zip(g, ref):
        np.testing.assert_allclose(a, b, **SAME)
    _fd_gradient_check(case.fn, case.args, case.argnums, g, np.random.default_rng(4))


# --- the functions named in the design -----------------------------------------------------
def test_demo_gradient_values():
    for engine in (tape, dual):
        g1, g2 = engine.grad(demo, argnums=(0, 1))(2.0, 5.0)
        assert g1 == pytest.approx(5.5, rel=1e-15)
        assert g2 == pytest.approx(1.7163378145367738, rel=1e-15)


def demo_math_style(x1, x2):
    return elementary.log(x1) + x1 * x2 - elementary.sin(x2)


def test_math_style_demo():
    # the same function written with math-style calls, through the elementary interface
    assert demo_math_style(2.0, 5.0) == demo(2.0, 5.0)
    assert type(demo_math_style(2.0, 5.0)) is float  # plain numbers stay plain
    for engine in (tape, dual):
        g1, g2 = engine.grad(demo_math_style, argnums=(0, 1))(2.0, 5.0)
        assert g1 == pytest.approx(5.5, rel=1e-15)
        assert g2 == pytest.approx(1.7163378145367738, rel=1e-15)


def _mlp_args():
    rng = np.random.default_rng(7)
    X = rng.normal(size=(6, 4))
    Y = np.eye(3)[rng.integers(0, 3, size=6)]
    return (rng.normal(size=(4, 5)) * 0.5, rng.normal(size=5) * 0.1,
            rng.normal(size=(5, 3)) * 0.5, rng.normal(size=3) * 0.1, X, Y)


def test_mlp_softmax_cross_entropy():
    args, nums = _mlp_args(), (0, 1, 2, 3)
    ref = sct.grad(mlp_loss, argnums=nums)(*args)
    for engine in (tape, dual):
        g = engine.grad(mlp_loss, argnums=nums)(*args)
        for a, b in zip(g, ref):
            assert a.shape == b.shape and a.dtype == np.float64
            np.testing.assert_allclose(a, b, **SAME)
        _fd_gradient_check(mlp_loss, args, nums, g, np.random.default_rng(8))


def bias_layer(W, b, X):
    h = np.tanh(X @ W + b)
    return np.sum(h * h)


def test_broadcasting_is_undone():
    rng = np.random.default_rng(9)
    args = (rng.normal(size=(3, 2)), rng.normal(size=2), rng.normal(size=(5, 3)))
    for f, a, nums in ((bias_layer, args, (0, 1)),
                       (broadcasting, (rng.normal(size=(3, 1)), rng.normal(size=(1, 4)),
                                       0.7), (0, 1, 2))):
        ref = sct.grad(f, argnums=nums)(*a)
        for engine in (tape, dual):
            g = engine.grad(f, argnums=nums)(*a)
            for gi, r, i in zip(g, ref, nums):
                assert np.shape(gi) == np.shape(a[i])
                np.testing.assert_allclose(gi, r, **SAME)
            _fd_gradient_check(f, a, nums, g, np.random.default_rng(10))


def scalar_loop_math(x, y0, n):
    y = y0
    for i in range(n):
        y = elementary.sin(y) * x + 0.1 * y
    return y


@pytest.mark.parametrize("f", [scalar_loop, scalar_loop_math])
def test_scalar_loop_100_steps(f):
    args, nums = (0.7, 0.3, 100), (0, 1)
    ref = sct.grad(scalar_loop, argnums=nums)(*args)
    for engine in (tape, dual):
        g = engine.grad(f, argnums=nums)(*args)
        np.testing.assert_allclose(g, ref, **SAME)
        _fd_gradient_check(f, args, nums, g, np.random.default_rng(11))


def test_tape_of_100000_steps_has_no_recursion_limit():
    x = Var(0.5)
    y = x * 0.0
    for _ in range(100_000):
        y = y + x
    y.backward()
    assert x.grad == 100_000.0
    del y  # freeing a deep chain must not overflow the C stack either


# --- tape semantics ------------------------------------------------------------------------
def test_grad_accumulates_and_zero_grad_resets():
    x = Var(1.5)
    y = x * x
    y.backward()
    assert x.grad == 3.0
    y.backward()  # the tape is kept: a second pass accumulates
    assert x.grad == 6.0
    (x * 2.0).backward()  # a new graph accumulates into the same leaf
    assert x.grad == 8.0
    x.zero_grad()
    assert x.grad is None
    y.backward()
    assert x.grad == 3.0


def test_array_grad_accumulates_into_fresh_arrays():
    x = Var(np.array([1.0, 2.0]))
    s = np.sum(x)  # its adjoint is a read-only broadcast view
    s.backward()
    first = x.grad
    assert first.flags.writeable
    s.backward()
    np.testing.assert_array_equal(x.grad, [2.0, 2.0])
    np.testing.assert_array_equal(first, [1.0, 1.0])  # not changed in place
    tape.zero_grad(x)
    assert x.grad is None


def test_detach_cuts_the_tape():
    x = Var(3.0)
    c = x.detach()
    assert c.value == 3.0 and not c.requires_grad and c.is_leaf
    y = x * c  # d/dx = c, not 2x
    y.backward()
    assert x.grad == 3.0 and c.grad is None
    k = c * c  # constants are not taped
    assert not k.requires_grad
    with pytest.raises(sct.NotDifferentiable):
        k.backward()


def test_retain_grad_keeps_an_intermediate_gradient():
    x = Var(2.0)
    h = (x * x).retain_grad()
    y = np.sin(h)
    y.backward()
    assert h.grad == pytest.approx(math.cos(4.0))
    assert x.grad == pytest.approx(math.cos(4.0) * 4.0)
    assert y.grad is None  # intermediates keep nothing unless asked


def vector_fn(x, w):
    return np.tanh(x * w) * x[::-1] + np.sum(x) * w


def test_backward_with_seed_for_vector_output():
    rng = np.random.default_rng(12)
    x0, w0, seed = rng.normal(size=4), rng.normal(size=4), rng.normal(size=4)
    x, w = Var(x0), Var(w0)
    y = vector_fn(x, w)
    with pytest.raises(sct.NotDifferentiable):
        y.backward()
    with pytest.raises(ValueError):
        y.backward(np.ones(3))
    y.backward(seed)
    _, back = sct.vjp(vector_fn, x0, w0)
    gx, gw = back(seed)
    np.testing.assert_allclose(x.grad, gx, **SAME)
    np.testing.assert_allclose(w.grad, gw, **SAME)
    out, back = tape.vjp(vector_fn, x0, w0)
    np.testing.assert_allclose(out, vector_fn(x0, w0))
    for _ in range(2):  # may be called again: no accumulation across calls
        got = back(seed)
        np.testing.assert_allclose(got[0], gx, **SAME)
        np.testing.assert_allclose(got[1], gw, **SAME)


def layer(W, b, x):
    h = np.tanh(W @ x + b)
    return np.concatenate([h * h, np.exp(-h), np.maximum(h, 0.0) + np.where(
        x[:3] > 0.0, h, -h)])


def test_dot_product_forward_vs_reverse():
    # <J v, w> == <v, J^T w>: dual numbers and the tape are transposes of each other
    rng = np.random.default_rng(13)
    primals = (rng.normal(size=(3, 4)), rng.normal(size=3), rng.normal(size=4))
    vs = tuple(rng.normal(size=p.shape) for p in primals)
    out, jv = dual.jvp(layer, primals, vs)
    w = rng.normal(size=np.shape(out))
    out2, back = tape.vjp(layer, *primals)
    np.testing.assert_allclose(out, out2, **SAME)
    jtw = back(w)
    lhs = float(np.sum(jv * w))
    rhs = sum(float(np.sum(v * g)) for v, g in zip(vs, jtw))
    assert lhs == pytest.approx(rhs, rel=1e-12)


# --- dual-number API -------------------------------------------------------------------------
def test_jvp_and_derivative():
    out, t = dual.jvp(demo, (2.0, 5.0), (1.0, 0.0))
    assert out == demo(2.0, 5.0) and t == pytest.approx(5.5)
    out, t = dual.jvp(demo, (2.0, 5.0), (None, 1.0))  # None: a constant argument
    assert t == pytest.approx(1.7163378145367738)
    (a, b), (ta, tb) = dual.jvp(lambda x: (x * x, np.sin(x)), (0.5,), (1.0,))
    assert (ta, tb) == pytest.approx((1.0, math.cos(0.5)))
    d = dual.derivative(lambda x: np.array([x, x * x, np.exp(x)]))(1.0)
    np.testing.assert_allclose(d, [1.0, 2.0, math.e])
    with pytest.raises(sct.NotDifferentiable):
        dual.grad(lambda x: x * 2.0)(np.ones(2))


def test_value_and_grad_and_conventions():
    val, g = tape.value_and_grad(demo, argnums=(0, 1))(2.0, 5.0)
    assert val == demo(2.0, 5.0) and isinstance(g, tuple)
    g0 = tape.grad(demo)(2.0, 5.0)  # int argnums: one gradient, not a tuple
    assert g0 == pytest.approx(5.5) and isinstance(g0, float)
    assert tape.grad(lambda x, y: y * 2.0)(1.0, 3.0) == 0.0  # unused input
    z = tape.grad(lambda x: 1.0)(np.ones(3))  # a constant function
    np.testing.assert_array_equal(z, np.zeros(3))
    with pytest.raises(sct.NotDifferentiable):
        tape.grad(lambda x: x * 2.0)(np.ones(2))


# --- operators and NumPy dispatch ----------------------------------------------------------
def mixed_operations(x, y):
    a = np.float64(2.0) * x - x / 3.0 + 1.5 ** y + x ** 2.0 + (-x) % 5.0 + abs(x) + (+y)
    a = a * 0.1
    b = np.arange(3.0) * a + a / np.arange(1.0, 4.0) - np.ones(3) @ np.outer(a, a)
    m = np.reshape(b, (3, 1)) @ np.reshape(a, (1, 3))
    s = np.sum(m.T, axis=0) + m.sum(axis=1, keepdims=True)[:, 0] + np.mean(m, 1)
    s = s + np.dot(a, m) + np.maximum(a, 0.5) + np.where(a > 1.0, a, 2.0 * a)
    t = np.stack([s, a], axis=1).ravel() + np.concatenate([s, a[::-1]])
    u = np.clip(t, -20.0, 2.0) + t.max() + np.min(t) + t.prod() * 1e-6
    return np.sum(u * np.exp(-0.1 * u)) + np.linalg.norm(a) + y // 1.0


def test_operators_and_numpy_functions():
    args, nums = (np.array([0.3, 1.2, 2.1]), 0.8), (0, 1)
    ref = sct.grad(mixed_operations, argnums=nums)(*args)
    for engine in (tape, dual):
        g = engine.grad(mixed_operations, argnums=nums)(*args)
        for a, b in zip(g, ref):
            np.testing.assert_allclose(a, b, **SAME)
        _fd_gradient_check(mixed_operations, args, nums, g, np.random.default_rng(14))


def clip_keywords(x, lo):
    # NumPy's keyword names (a_min, a_max) differ from the rule's (lo, hi), and a
    # differentiated argument is passed by keyword
    return np.sum(np.clip(x, a_min=lo, a_max=0.9) * x) + np.sum(x, axis=0, keepdims=True)[0]


def test_keywords_are_bound_to_rule_parameters():
    args, nums = (np.array([-0.8, 0.2, 0.5, 1.4]), 0.1), (0, 1)
    for engine in (tape, dual):
        g = engine.grad(clip_keywords, argnums=nums)(*args)
        _fd_gradient_check(clip_keywords, args, nums, g, np.random.default_rng(15))
        assert g[1] == pytest.approx(-0.8)  # only x[0] is clipped at lo


@pytest.mark.parametrize("cls", [Var, Dual])
def test_comparisons_and_shapes_are_plain(cls):
    x = cls(np.array([1.0, -2.0, 3.0]))
    assert isinstance(x > 0.0, np.ndarray) and (x > 0.0).dtype == bool
    assert isinstance(x[0] < 2.0, (bool, np.bool_)) and x[0] < 2.0
    assert np.float64(5.0) > x[2]
    assert x.shape == (3,) and x.ndim == 1 and x.size == 3 and len(x) == 3
    assert np.shape(x) == (3,)
    assert isinstance(np.floor(x), np.ndarray)  # no derivative: a plain array
    assert [type(v) for v in x] == [cls] * 3
    assert x in {x}  # hashable by identity, although == is elementwise


@pytest.mark.parametrize("cls", [Var, Dual])
def test_unsupported_uses_fail_loudly(cls):
    x = cls(0.5)
    with pytest.raises(TypeError, match="elementary"):
        math.sin(x)
    with pytest.raises(sct.NoDerivative, match="sort"):
        np.sort(cls(np.ones(3)))
    with pytest.raises(TypeError):
        cls(np.ones(3))[0] = 1.0
    other = Dual(1.0) if cls is Var else Var(1.0)
    with pytest.raises(TypeError):
        x + other
    with pytest.raises(TypeError):
        elementary.atan2(x, other)


# --- the elementary interface --------------------------------------------------------------
DOMAIN = {"asin": 0.3, "acos": 0.3, "atanh": 0.3, "acosh": 1.7}
TWO_ARGS = {"atan2": (0.7, 1.3), "hypot": (0.7, 1.3), "pow": (1.7, 1.3)}


@pytest.mark.parametrize("name", elementary.__all__)
def test_elementary_functions(name):
    f = getattr(elementary, name)
    args = TWO_ARGS.get(name, (DOMAIN.get(name, 0.7),))
    mfn = getattr(math, name)
    assert f(*args) == mfn(*args)  # numbers: the math function itself
    assert type(f(*args)) is float
    nums = tuple(range(len(args)))
    fd = [float(directional(f, args, (i,), (1.0,))) for i in nums]
    g_tape = tape.grad(f, argnums=nums)(*args)
    g_dual = dual.grad(f, argnums=nums)(*args)
    for a, b, c in zip(g_tape, g_dual, fd):
        assert a == pytest.approx(c, rel=RTOL, abs=ATOL)
        assert b == pytest.approx(a, rel=1e-12)
    if name == "erf":
        with pytest.raises(TypeError, match="only scalars"):
            f(np.ones(2))
        return
    arrays = tuple(np.array([a, a * 0.9]) for a in args)
    vals = f(*arrays)
    assert isinstance(vals, np.ndarray)
    np.testing.assert_allclose(vals, [mfn(*(a[k] for a in arrays)) for k in range(2)])
    g = tape.grad(lambda *a: np.sum(f(*a)), argnums=nums)(*arrays)
    np.testing.assert_allclose(g[0][0], g_tape[0], rtol=1e-12)


def test_elementary_log_with_base():
    assert elementary.log(8.0, 2.0) == math.log(8.0, 2.0)
    g = tape.grad(lambda x, b: elementary.log(x, b), argnums=(0, 1))(8.0, 2.0)
    np.testing.assert_allclose(g, [1.0 / (8.0 * math.log(2.0)),
                                   -math.log(8.0) / (2.0 * math.log(2.0) ** 2)])
    ga = tape.grad(lambda x: np.sum(elementary.log(x, 2.0)))(np.array([2.0, 4.0]))
    np.testing.assert_allclose(ga, 1.0 / (np.array([2.0, 4.0]) * math.log(2.0)))


# --- a constant exponent: only the base's derivative is formed --------------------------------
def test_pow_negative_base_dual():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert (Dual(-2.0, 1.0) ** 2.0).tangent == -4.0


def test_pow_negative_base_tape_is_quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert tape.grad(lambda x: x ** 2.0)(-2.0) == -4.0


def test_math_pow_negative_base_tape():
    assert tape.grad(lambda x: elementary.pow(x, 2.0))(-2.0) == -4.0
