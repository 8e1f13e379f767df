"""sct.check_grads: the case table through it, and wrong rules caught in each mode.

The wrong rules are registered by a fixture, when the tests run: the rule tests
(tests/test_rules.py) walk the registry when they are collected and must not see them.
"""

import numpy as np
import pytest

import sct
from cases import CASES
from sct import d

def _copies(args):
    return [np.array(a) if isinstance(a, np.ndarray) else a for a in args]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_case_table_passes_check_grads(case):
    before = _copies(case.args)
    report = sct.check_grads(case.fn, case.args, argnums=case.argnums)
    assert report.passed
    for a, b in zip(before, case.args):  # every call went to copies
        np.testing.assert_array_equal(a, b)
    per_input = {(e.index, e.mode, e.check) for e in report.entries if e.index >= 0}
    assert per_input == {(i, m, c) for i in case.argnums for m, c in (
        ("rev", "finite differences"), ("fwd", "finite differences"),
        ("rev+fwd", "dot product"))}
    assert {(e.mode, e.check) for e in report.entries if e.index < 0} == {
        ("rev", "value"), ("fwd", "value")}
    assert len(report.entries) == 2 + 3 * len(case.argnums)
    for e in report.entries:  # well inside the tolerances, not at their edge
        assert e.abs_err <= 0.1 * e.allowed, e.describe()


@pytest.mark.parametrize("case", [c for c in CASES if c.scalar_output],
                         ids=lambda c: c.id)
def test_case_table_second_order(case):
    report = sct.check_grads(case.fn, case.args, argnums=case.argnums, order=2,
                             directions=1, modes=("rev",))
    second = {(e.index, e.check) for e in report.entries if e.mode == "fwd-over-rev"}
    assert second == {(i, c) for i in case.argnums for c in (
        "finite differences of sct.grad", "Hessian vs hvp")}
    assert all(e.abs_err <= 0.1 * e.allowed for e in report.entries)
    assert ("rev", "value") in {(e.mode, e.check) for e in report.entries}


# --- wrong rules ----------------------------------------------------------------------
def cube_wrong_adjoint(x):
    return x * x * x


def cube_wrong_tangent(x):
    return x * x * x


def cube_wrong_both(x):
    return x * x * x


def cube_slightly_wrong(x):
    return x * x * x


def cube_wrong_second(x):
    return x * x * x


def m_adjoint(x, w):
    return np.sum(cube_wrong_adjoint(x) * w)


def m_tangent(x, w):
    return np.sum(cube_wrong_tangent(x) * w)


def m_both(x, w):
    return np.sum(cube_wrong_both(x) * w)


def m_both_vector(x, w):
    return cube_wrong_both(x) * w


def m_slightly(x):
    return cube_slightly_wrong(x) + 2.0 * x


def m_second(x, w):
    return np.sum(cube_wrong_second(x) * w)


@pytest.fixture(scope="module")
def wrong_rules():
    @sct.rule(cube_wrong_adjoint, elementwise=True)
    def cube_wrong_adjoint_rule(y, x):
        with sct.adjoint:
            d[x] += d[y] * x * x  # forgets the 3 of 3 x^2
        with sct.tangent:
            d[y] = d[x] * 3.0 * x * x

    @sct.rule(cube_wrong_tangent, elementwise=True)
    def cube_wrong_tangent_rule(y, x):
        with sct.adjoint:
            d[x] += d[y] * 3.0 * x * x
        with sct.tangent:
            d[y] = d[x] * 3.0 * x  # x^1, not x^2

    @sct.rule(cube_wrong_both, elementwise=True)
    def cube_wrong_both_rule(y, x):
        # wrong the same way in both modes: J and J^T stay consistent
        with sct.adjoint:
            d[x] += d[y] * 2.0 * x * x
        with sct.tangent:
            d[y] = d[x] * 2.0 * x * x

    @sct.rule(cube_slightly_wrong, elementwise=True)
    def cube_slightly_wrong_rule(y, x):
        with sct.adjoint:
            d[x] += d[y] * 3.0003 * x * x  # off by 1e-4
        with sct.tangent:
            d[y] = d[x] * 3.0003 * x * x

    @sct.rule(cube_wrong_second, elementwise=True)
    def cube_wrong_second_rule(y, x):
        # right values, wrong derivative of the adjoint: 3 x^2 where 6 x belongs
        with sct.adjoint:
            d[x] += d[y] * 3.0 * x * sct.stop_gradient(x)
        with sct.tangent:
            d[y] = d[x] * 3.0 * x * x


X = np.array([0.7, -1.2, 1.5])
W = np.array([0.5, 2.0, -1.0])


def _failed(err):
    return {(e.index, e.mode, e.check) for e in err.value.report.failures()}


def test_a_wrong_adjoint_is_caught_in_reverse_mode(wrong_rules):
    with pytest.raises(sct.GradientCheckError) as err:
        sct.check_grads(m_adjoint, (X, W), modes=("rev",))
    msg = str(err.value)
    assert ("argument 'x' (position 0), mode rev (sct.value_and_grad, sct.vjp), check "
            "finite differences: max abs error") in msg
    assert "max rel error" in msg and "argument 'w'" not in msg
    assert _failed(err) == {(0, "rev", "finite differences")}
    bad = err.value.report.failures()[0]
    assert 0.3 < bad.rel_err < 1.0  # x^2 for 3 x^2: off by two thirds of the terms
    assert sct.check_grads(m_adjoint, (X, W), modes=("fwd",)).passed
    with pytest.raises(sct.GradientCheckError) as err:
        sct.check_grads(m_adjoint, (X, W))
    assert _failed(err) == {(0, "rev", "finite differences"),
                            (0, "rev+fwd", "dot product")}


def test_a_wrong_tangent_is_caught_in_forward_mode(wrong_rules):
    with pytest.raises(sct.GradientCheckError) as err:
        sct.check_grads(m_tangent, (X, W), modes="fwd")
    assert "argument 'x' (position 0), mode fwd (sct.jvp), check finite " \
           "differences" in str(err.value)
    assert _failed(err) == {(0, "fwd", "finite differences")}
    assert sct.check_grads(m_tangent, (X, W), modes="rev").passed
    with pytest.raises(sct.GradientCheckError) as err:
        sct.check_grads(m_tangent, (X, W))
    assert _failed(err) == {(0, "fwd", "finite differences"),
                            (0, "rev+fwd", "dot product")}


@pytest.mark.parametrize("fn, args", [(m_both, (X, W)), (m_both_vector, (X, W)),
                                      (m_both, (0.8, 1.5))],
                         ids=["sum", "vector", "float"])
def test_a_rule_wrong_in_both_modes_is_caught_in_each(wrong_rules, fn, args):
    for mode in ("rev", "fwd"):
        with pytest.raises(sct.GradientCheckError, match=f"mode {mode} ") as err:
            sct.check_grads(fn, args, modes=(mode,))
        assert _failed(err) == {(0, mode, "finite differences")}
    with pytest.raises(sct.GradientCheckError) as err:
        sct.check_grads(fn, args)
    # the dot-product test alone cannot see it: both modes agree with each other
    assert _failed(err) == {(0, "rev", "finite differences"),
                            (0, "fwd", "finite differences")}
    assert str(err.value).startswith(f"check_grads: the derivatives of '{fn.__name__}' "
                                     f"are wrong (2 of ")


def test_a_small_error_is_caught_at_the_default_tolerance(wrong_rules):
    with pytest.raises(sct.GradientCheckError) as err:
        sct.check_grads(m_slightly, (0.9,))
    assert _failed(err) == {(0, "rev", "finite differences"),
                            (0, "fwd", "finite differences")}
    for e in err.value.report.failures():
        assert e.rel_err == pytest.approx(3e-4 * 0.81 / (3.0003 * 0.81 + 2.0), rel=1e-2)
    assert sct.check_grads(m_slightly, (0.9,), rtol=1e-3).passed


def test_a_wrong_second_derivative_is_caught_at_order_2(wrong_rules):
    args = (X, W)
    assert sct.check_grads(m_second, args).passed
    with pytest.raises(sct.GradientCheckError) as err:
        sct.check_grads(m_second, args, order=2)
    assert ("argument 'x' (position 0), mode fwd-over-rev (sct.hvp, sct.hessian), "
            "check finite differences of sct.grad") in str(err.value)
    # sct.hessian and sct.hvp share the wrong rule: they agree with each other
    assert _failed(err) == {(0, "fwd-over-rev", "finite differences of sct.grad")}


# --- inputs, outputs, the report ------------------------------------------------------
def with_count(x, n, w):
    for i in range(n):
        x = np.tanh(x * w)
    return np.sum(x)


def vector(x, w):
    return np.sin(x) * w


def test_integer_arguments_are_left_alone_and_argnums_selects():
    args = (X, 3, 0.8)
    report = sct.check_grads(with_count, args)
    assert {e.index for e in report.entries} == {-1, 0, 2}
    assert {e.name for e in report.entries if e.index >= 0} == {"x", "w"}
    report = sct.check_grads(with_count, args, argnums=2)
    assert {e.index for e in report.entries} == {-1, 2}
    with pytest.raises(sct.NotDifferentiable, match=r"argument 'n' \(position 1\)"):
        sct.check_grads(with_count, args, argnums=(0, 1))
    with pytest.raises(sct.NotDifferentiable, match="no argument"):
        sct.check_grads(lambda n: n * 2.0, (3,))


def test_non_scalar_outputs_use_a_random_cotangent():
    report = sct.check_grads(vector, (X, W))
    assert report.passed and len(report.entries) == 2 + 3 * 2
    with pytest.raises(sct.NotDifferentiable, match="must return a scalar"):
        sct.check_grads(vector, (X, W), order=2)


def test_the_report_reads_as_a_table():
    report = sct.check_grads(with_count, (X, 3, 0.8), modes=("rev",), directions=3)
    lines = str(report).splitlines()
    assert lines[0] == ("check_grads(with_count), order 1, 3 direction(s) per input: "
                        "passed")
    assert lines[1].split() == ["argument", "mode", "check", "max", "abs", "err", "max",
                                "rel", "err", "allowed"]
    assert [ln.split()[:4] for ln in lines[2:]] == [
        ["(value)", "rev", "value", "0.0e+00"],
        ["x", "(#0)", "rev", "finite"], ["w", "(#2)", "rev", "finite"]]
    assert all(ln.endswith("ok") for ln in lines[2:])
    assert repr(report) == "<GradCheckReport with_count: 3 checks, passed>"
    assert report.entries[0].allowed == pytest.approx(1e-9 * abs(with_count(X, 3, 0.8)))


def test_the_same_seed_gives_the_same_measurements():
    a = sct.check_grads(vector, (X, W), seed=5)
    b = sct.check_grads(vector, (X, W), seed=5)
    c = sct.check_grads(vector, (X, W), seed=6)
    errs = [[e.abs_err for e in r.entries if e.check == "finite differences"]
            for r in (a, b, c)]
    assert errs[0] == errs[1] and errs[0] != errs[2]


def offset(x):
    return 1e8 + x * x


def test_tolerances_follow_the_rounding_of_large_values():
    # f(x +- h) carries rounding of about 1e-8 here: the allowance grows with it
    report = sct.check_grads(offset, (1.3,))
    fd = [e for e in report.entries if e.check == "finite differences"]
    assert all(1e-3 < e.allowed < 1.0 for e in fd)


def test_bad_modes_and_order_are_refused():
    with pytest.raises(ValueError, match="modes"):
        sct.check_grads(vector, (X, W), modes=("bwd",))
    with pytest.raises(ValueError, match="order"):
        sct.check_grads(vector, (X, W), order=3)


def lse_of_another_max(x, y):
    m = np.max(y, axis=1, keepdims=True)  # the result does not change with y at all
    return np.sum(np.log(np.sum(np.exp(x - m), axis=1, keepdims=True)) + m)


def test_a_derivative_zero_by_cancellation_passes_the_dot_product_test():
    # forward mode computes d/dy as rounding noise (1e-16); the test allowed 1e-25
    rng = np.random.default_rng(0)
    report = sct.check_grads(lse_of_another_max,
                             (rng.normal(size=(3, 4)), rng.normal(size=(3, 4))))
    assert report.passed
    np.testing.assert_array_equal(sct.grad(lse_of_another_max, argnums=1)(
        rng.normal(size=(3, 4)), rng.normal(size=(3, 4))), np.zeros((3, 4)))
