"""User-registered rules (sct.rule) in both modes, and stop_gradient in both modes."""

import numpy as np
import pytest

import custom_rules as cr
import sct
from fd import directional


def test_custom_rule_is_used_in_reverse_and_forward_mode():
    x = np.array([1000.0, 1000.5, 999.0])  # exp would overflow without the rule
    w = 1.0
    g = sct.grad(cr.model)(x, w)
    soft = np.exp(x - cr.logsumexp(x))
    np.testing.assert_allclose(g, 2.0 * soft, rtol=1e-12)
    v = np.array([0.1, -0.2, 0.3])
    _, t = sct.jvp(cr.model, (x, w), (v, None))
    assert t == pytest.approx(2.0 * np.sum(soft * v), rel=1e-12)
    assert "logsumexp" in sct.source(sct.grad(cr.model))


def test_a_rule_wins_over_the_source():
    g = sct.grad(cr.uses_counted)
    assert g(2.0) == 4.0
    src = sct.source(g)
    assert "x + x" in src and "counted_bwd" not in src  # inlined, not derived
    _, t = sct.jvp(cr.uses_counted, (2.0,), (1.0,))
    assert t == 4.0


def test_custom_rule_matches_finite_differences_at_moderate_values():
    x = np.array([0.3, -1.2, 2.0])
    g = sct.grad(cr.model, argnums=(0, 1))(x, 0.7)
    v = np.array([0.5, 0.1, -0.4])
    fd = directional(cr.model, (x, 0.7), (0,), [v])
    assert float(np.sum(g[0] * v)) == pytest.approx(float(fd), rel=1e-6)


def test_stop_gradient_in_both_modes():
    def f(x):
        return np.sum(x * sct.stop_gradient(x))
    x = np.array([1.0, 2.0])
    np.testing.assert_allclose(sct.grad(f)(x), x)
    _, t = sct.jvp(f, (x,), (np.ones(2),))
    assert t == pytest.approx(3.0)
