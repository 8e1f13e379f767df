"""sct reverse mode (grad, value_and_grad, vjp) on the case table, against finite differences."""

import numpy as np
import pytest

import sct
from cases import CASES
from fd import directional, random_like, value

RTOL, ATOL = 1e-5, 1e-7


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_vjp_matches_finite_differences(case):
    rng = np.random.default_rng(1)
    out, back = sct.vjp(case.fn, *case.args)
    np.testing.assert_allclose(out, value(case.fn, case.args), rtol=1e-12)
    w = random_like(np.asarray(out) if np.ndim(out) else float(out), rng)
    grads = back(w)
    assert len(grads) == len(case.args)
    for _ in range(2):
        vs = [random_like(case.args[i], rng) for i in case.argnums]
        jv = directional(case.fn, case.args, case.argnums, vs)
        lhs = float(np.sum(w * jv))
        rhs = sum(float(np.sum(grads[i] * v)) for i, v in zip(case.argnums, vs))
        assert lhs == pytest.approx(rhs, rel=RTOL, abs=ATOL)


@pytest.mark.parametrize("case", [c for c in CASES if c.scalar_output], ids=lambda c: c.id)
def test_grad_matches_finite_differences(case):
    rng = np.random.default_rng(2)
    g = sct.grad(case.fn, argnums=case.argnums)(*case.args)
    assert isinstance(g, tuple) and len(g) == len(case.argnums)
    for i, gi in zip(case.argnums, g):
        x = case.args[i]
        assert np.shape(gi) == np.shape(x)
        if isinstance(x, np.ndarray):
            assert gi.dtype == x.dtype
        v = random_like(x, rng)
        dirs = [v if j == i else 0.0 * random_like(case.args[j], rng) for j in case.argnums]
        fd = float(directional(case.fn, case.args, case.argnums, dirs))
        assert float(np.sum(gi * v)) == pytest.approx(fd, rel=RTOL, abs=ATOL)


@pytest.mark.parametrize("case", [c for c in CASES if c.scalar_output], ids=lambda c: c.id)
def test_value_and_grad_agrees_with_grad(case):
    val, g = sct.value_and_grad(case.fn, argnums=case.argnums)(*case.args)
    np.testing.assert_allclose(val, value(case.fn, case.args), rtol=1e-12)
    g2 = sct.grad(case.fn, argnums=case.argnums)(*case.args)
    for a, b in zip(g, g2):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15)


def test_demo_gradient_values():
    from cases import demo
    g1, g2 = sct.grad(demo, argnums=(0, 1))(2.0, 5.0)
    assert g1 == pytest.approx(5.5, rel=1e-15)
    assert g2 == pytest.approx(1.7163378145367738, rel=1e-15)


def test_integer_array_operand_is_unbroadcast():
    # an integer array broadcasts like a float one: the scalar's gradient sums over it
    def h(x, m):
        return np.sum(x * m)
    assert sct.grad(h)(1.5, np.ones((2, 3), dtype=int)) == 6.0

    def w(c, a, b):
        return np.where(c, a, b)
    _, back = sct.vjp(w, np.array([[True, False, True], [False, True, True]]),
                      np.ones(3), 1.5)
    _, ga, gb = back(np.ones((2, 3)))
    np.testing.assert_array_equal(ga, [1.0, 1.0, 2.0])
    assert gb == 2.0


# --- reads moved across writes in place -----------------------------------------------
def overwritten_after_use(x):
    a = x + 1.0
    a[0] = x[1] * x[2]
    return np.sum(a * x * x)  # the adjoint of a * x reads a after the write


def row_view_overwritten(m, x):
    m[0, :] = m[0, :] * x
    row = m[0, :]  # a view: the restore of the first write changes it
    m[0, :] = row * x
    return np.sum(m * m)


@pytest.mark.parametrize("fn, args", [
    (overwritten_after_use, (np.array([0.5, 2.0, 3.0]),)),
    (row_view_overwritten, (np.arange(6.0).reshape(2, 3) / 7 + 0.1, 1.3)),
], ids=["name", "view"])
def test_accumulation_is_not_moved_past_a_restore(fn, args):
    # The optimizer fused x_bar = e1; ...; x_bar = x_bar + e2 into one sum after
    # the write that restores a (or m, under the view row), so e1 read the restored
    # value: gradients off by 0.44 and 0.22.
    report = sct.check_grads(fn, args, modes=("rev",))
    assert report.passed


def scaled_by_one_then_written(x):
    a = x * 1.0  # a new array, even though the factor is one
    a[0] = 5.0
    return np.sum(a * x)


def test_a_product_by_one_written_into_stays_a_copy():
    # Folding a = x * 1.0 to a = x made a[0] = 5.0 write into the caller's x: the
    # value came out as 38.0 instead of 15.5 (and sct.jvp changed x and its tangent).
    x = np.array([0.5, 2.0, 3.0])
    out, g = sct.value_and_grad(scaled_by_one_then_written)(x)
    assert out == pytest.approx(15.5)
    np.testing.assert_allclose(g, [5.0, 4.0, 6.0])
    t = np.ones(3)
    out, tangent = sct.jvp(scaled_by_one_then_written, (x,), (t,))
    assert (out, tangent) == (pytest.approx(15.5), pytest.approx(15.0))
    np.testing.assert_array_equal(x, [0.5, 2.0, 3.0])
    np.testing.assert_array_equal(t, [1.0, 1.0, 1.0])


@pytest.mark.parametrize("src", [
    "def f(x):\n    y = x * 2.0\n    return y",
    "def f(x):\n    y = 0.0\n    for i in r:\n        if c:\n            y = y + x\n    return y",
    "def f(x):\n    def g(t):\n        return t\n    return g(x)",
])
def test_statements_of_a_flat_body_are_its_body(src):
    # walk.statements looks into no field of a statement that holds none; it must
    # find what a walk of every node finds, in the same order, either way
    import gast
    from sct import walk
    tree = gast.parse(src).body[0]
    assert walk.statements(tree) == [n for n in walk.nodes(tree)[1:]
                                     if isinstance(n, gast.stmt)]


def test_a_parameters_copy_is_what_clone_makes():
    # template.param_value copies a name or a constant without the generic walk
    import gast
    from sct import template, walk
    for atom in (gast.parse("f(a)").body[0].value.args[0],
                 gast.parse("f(2.0)").body[0].value.args[0]):
        copy = template.param_value(atom, None)
        assert copy is not atom and gast.dump(copy) == gast.dump(walk.clone(atom))
        assert copy.__dict__.keys() == atom.__dict__.keys()


def chained_sums(x, y):
    a = x + y
    b = a + 1.0
    c = b - x
    d = c + a
    return np.sum(d * d) + np.sum(y)


def test_straight_line_reverse_writes_no_copy_of_an_adjoint(monkeypatch):
    # y = a + b gives a_bar = y_bar; in straight-line code the transform lets a's
    # adjoint read y_bar instead (the copy the optimizer would forward and remove),
    # and writes the sums the optimizer would fuse whole
    import gast
    from sct import assemble, optimize
    seen, original = [], optimize.run

    def run(stmts, **kw):
        if not seen:
            seen.append(list(stmts))
        return original(stmts, **kw)

    monkeypatch.setattr(assemble.optimize, "run", run)
    x, y = np.array([0.5, -1.0, 2.0]), np.array([1.5, 0.25, -0.5])
    gx, gy = sct.grad(chained_sums, argnums=(0, 1))(x, y)
    d = x + 2.0 * y + 1.0
    np.testing.assert_allclose(gx, 2.0 * d)
    np.testing.assert_allclose(gy, 4.0 * d + 1.0)
    copies = [s for s in seen[0] if isinstance(s, gast.Assign)
              and isinstance(s.value, gast.Name) and s.value.id.endswith("_bar")]
    # (only copies of the seed, a constant here, are written: see accumulation.py)
    assert {s.value.id for s in copies} == {"out_bar"}
    sums = [s for s in seen[0] if isinstance(s, gast.Assign) and isinstance(
        s.value, gast.BinOp) and getattr(s.value.left, "id", None) == s.targets[0].id]
    assert sums == []  # a_bar = a_bar + e: written whole, a_bar = e1 + e2


def negated_seed_copies(x, y):
    v0 = x * x + y - y
    v1 = np.maximum(y, x)
    v2 = v1 * y + x - x
    v3 = np.maximum(y, v0)
    v4 = np.exp(0.0)
    v5 = v4 * x + v2 - y
    return y * v3 + v5 - y


@pytest.mark.parametrize("fn", [chained_sums, negated_seed_copies])
@pytest.mark.parametrize("flavor", ["grad", "value_and_grad"])
def test_straight_line_shortcuts_leave_the_derivative_as_it_was(fn, flavor, monkeypatch):
    # the copies and sums the transform writes itself in straight-line code are
    # what the optimizer would make of them: the derivative's source is the same
    # as without them (the second function once came out otherwise: a constant
    # seed forwarded a round early folded y_bar + -1.0 before it was fused)
    from benchmarks.engines import fresh
    from sct.accumulation import AccumulationReverse
    args = (0.5, -1.5)

    def source():
        g = getattr(sct, flavor)(fresh(fn), argnums=(0, 1))
        g(*args)
        return sct.source(g)

    shortcuts = source()
    init = AccumulationReverse.init_accumulation
    monkeypatch.setattr(AccumulationReverse, "init_accumulation",
                        lambda self, straight: init(self, None))
    assert source() == shortcuts
