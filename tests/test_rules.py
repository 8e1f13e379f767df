"""Every registered derivative rule against central differences, by shape family.

The cases come from the registry (``sct.rules.all_rules()``): adding a rule adds its
tests. For each rule, the samples are the rule's own ``examples`` or, failing those,
floats drawn from its ``domain`` in the shape families scalar, vector, matrix and,
for elementwise rules of several arguments, broadcast pairs. For each sample:

* the tangent template (``jvp_callable``) matches central differences along a
  random direction;
* the adjoint template (``vjp_callable``) passes the dot-product test
  ``<w, J v> == <J^T w, v>``, and each adjoint has the shape of its argument;
* the compiler inlines the rule into a one-line user function that calls the
  primitive as a user would write it (``np.log(a0)``, ``a0 @ a1``, ``a0[2]``), and
  ``sct.vjp`` (and ``sct.grad`` for scalar outputs) passes the same test.

Per-rule adjustments (a shifted domain, a looser tolerance) are in the tables
below, each with the reason.
"""

from __future__ import annotations

import builtins
import importlib.util
import itertools
import math
import operator
import re
import sys
from dataclasses import dataclass, field

import numpy as np
import pytest

import sct
from sct import runtime
from sct.rules import all_rules
from sct.rules.compiled import jvp_callable, vjp_callable
from sct.rules.core import DOMAINS

H = 1e-6
RTOL, ATOL = 1e-5, 1e-7

# Per-rule shifts of the sampled domain.
SHIFT = {
    # arccosh is defined for x > 1: "positive" samples in (0.5, 2) move to (1.7, 3.2).
    np.arccosh: 1.2,
    math.acosh: 1.2,
}

# Per-rule tolerances (rtol, atol) where the defaults are too tight; none needed yet.
TOLERANCE: dict = {}

# Cases that fail because of a bug outside this file: {(test, case id): reason}.
# Each entry is listed, with a reproduction, in the report that added it.
KNOWN_BUGS: dict = {}  # (test, case id) -> reason; strict xfails for open bugs


# --- how a user spells the primitive ------------------------------------------------
_OPERATORS = {
    operator.add: "{0} + {1}", operator.sub: "{0} - {1}", operator.mul: "{0} * {1}",
    operator.truediv: "{0} / {1}", operator.pow: "{0} ** {1}",
    operator.mod: "{0} % {1}", operator.matmul: "{0} @ {1}",
    operator.neg: "-{0}", operator.pos: "+{0}", operator.getitem: "{0}[{1}]",
}
_MODULES = (("np", np), ("np.linalg", np.linalg), ("math", math))


def qualified_name(fn) -> str:
    """``np.log``, ``math.log``, ``operator.mul``, ``abs``, ``sct.runtime.unstack``."""
    name = getattr(fn, "__name__", repr(fn))
    for prefix, module in _MODULES + (("operator", operator),):
        if getattr(module, name, None) is fn:
            return f"{prefix}.{name}"
    if getattr(builtins, name, None) is fn:
        return name
    return f"{getattr(fn, '__module__', '?')}.{name}"


def user_spelling(fn):
    """A format string calling ``fn`` as user code writes it; ``None`` for helpers."""
    if fn in _OPERATORS:
        return _OPERATORS[fn]
    if getattr(fn, "__module__", None) == runtime.__name__:
        return None  # helpers of generated code: no user writes them
    name = getattr(fn, "__name__", None)
    for prefix, module in _MODULES:
        if getattr(module, name, None) is fn:
            return f"{prefix}.{name}({{}})"
    if getattr(builtins, name, None) is fn:
        return f"{name}({{}})"
    return None


# --- values: floats, float arrays and lists of them -----------------------------------
def is_float(v) -> bool:
    if isinstance(v, np.ndarray):
        return v.dtype.kind == "f"
    return isinstance(v, (float, np.floating))


def is_differentiable(v) -> bool:
    """A float, a float array, or a list of them (``np.concatenate([a, b])``)."""
    if isinstance(v, list):
        return bool(v) and all(is_float(x) for x in v)
    return is_float(v)


def random_like(x, rng):
    if isinstance(x, (list, tuple)):
        return [random_like(v, rng) for v in x]
    if isinstance(x, np.ndarray):
        return rng.normal(size=x.shape)
    return float(rng.normal())


def step(x, h, v):
    """``x + h v`` over nested lists."""
    if isinstance(x, list):
        return [step(a, h, b) for a, b in zip(x, v)]
    return x + h * v


def difference(plus, minus, h):
    if isinstance(plus, (tuple, list)):
        return [difference(p, m, h) for p, m in zip(plus, minus)]
    return (np.asarray(plus, dtype=float) - np.asarray(minus, dtype=float)) / (2 * h)


def central_difference(f, args, diff, directions, h=H):
    """``(f(x + h v) - f(x - h v)) / 2h`` moving the positional arguments ``diff``."""
    plus, minus = list(args), list(args)
    for i, v in zip(diff, directions):
        plus[i] = step(args[i], h, v)
        minus[i] = step(args[i], -h, v)
    return difference(f(*plus), f(*minus), h)


def inner(a, b) -> float:
    """``<a, b>`` over nested tuples and lists; ``None`` is zero."""
    if a is None or b is None:
        return 0.0
    if isinstance(a, (tuple, list)) or isinstance(b, (tuple, list)):
        assert len(a) == len(b), f"structures differ: {len(a)} vs {len(b)} items"
        return sum(inner(x, y) for x, y in zip(a, b))
    return float(np.sum(np.asarray(a, dtype=float) * np.asarray(b, dtype=float)))


def assert_shape_like(value, like, what):
    """``value`` (an adjoint or tangent) has the structure and shapes of ``like``."""
    if value is None:
        return
    if isinstance(like, (tuple, list)):
        assert isinstance(value, (tuple, list)) and len(value) == len(like), (
            f"{what}: expected {len(like)} parts, got {value!r}")
        for k, (v, x) in enumerate(zip(value, like)):
            assert_shape_like(v, x, f"{what}[{k}]")
        return
    assert np.shape(value) == np.shape(like), (
        f"{what}: shape {np.shape(value)}, expected {np.shape(like)}")


def assert_close(actual, expected, rtol, atol, what):
    if isinstance(expected, (tuple, list)):
        assert isinstance(actual, (tuple, list)) and len(actual) == len(expected), what
        for k, (a, e) in enumerate(zip(actual, expected)):
            assert_close(a, e, rtol, atol, f"{what}[{k}]")
        return
    np.testing.assert_allclose(np.asarray(actual, dtype=float), expected, rtol=rtol,
                               atol=atol, err_msg=what)


def snapshot(x):
    if isinstance(x, (tuple, list)):
        return [snapshot(v) for v in x]
    return np.array(x, copy=True) if isinstance(x, np.ndarray) else x


def assert_unchanged(before, after, what):
    if isinstance(before, list):
        for k, (b, a) in enumerate(zip(before, after)):
            assert_unchanged(b, a, f"{what}[{k}]")
    elif isinstance(before, np.ndarray):
        assert np.array_equal(before, after), f"{what} was modified in place"


# --- samples --------------------------------------------------------------------------
def draw(rng, domain, shape):
    """Floats where a primitive with ``domain`` is smooth; ``shape=None`` is a float."""
    size = () if shape is None else shape
    if domain == "real":
        x = rng.normal(0.0, 1.0, size)
    elif domain == "positive":
        x = rng.uniform(0.5, 2.0, size)
    elif domain == "unit":
        x = rng.uniform(-0.8, 0.8, size)
    elif domain == "nonzero":
        sign = np.where(rng.uniform(size=size) < 0.5, -1.0, 1.0)
        x = sign * rng.uniform(0.5, 2.0, size)
    else:
        raise ValueError(f"cannot sample domain {domain!r}: the rule needs examples")
    return float(x) if shape is None else x


def shape_families(rule, n):
    """``(label, shapes)`` with one shape (``None`` for a float) per argument."""
    families = [("scalar", [None] * n)]
    if not rule.arrays:
        return families
    families += [("vector", [(4,)] * n), ("matrix", [(3, 2)] * n)]
    if rule.elementwise and n >= 2:
        families += [("bcast_col_row", [(3, 1)] + [(1, 4)] * (n - 1)),
                     ("bcast_scalar", [(3, 4)] + [None] * (n - 1)),
                     ("bcast_scalar_first", [None] + [(3, 4)] * (n - 1))]
    return families


@dataclass
class Sample:
    rule: object
    label: str
    args: tuple
    kwargs: dict = field(default_factory=dict)

    @property
    def id(self) -> str:
        return f"{rule_id(self.rule)}-{self.label}"

    @property
    def diff(self) -> list:
        """Positions of the differentiable positional arguments."""
        return [i for i, a in enumerate(self.args) if is_differentiable(a)]

    def call(self, *args):
        return self.rule.fn(*args, **self.kwargs)


def rule_id(rule) -> str:
    return f"{rule.name}:{qualified_name(rule.fn)}"


def samples(rule) -> list:
    rng = np.random.default_rng(0)
    if rule.examples is not None:
        return [Sample(rule, f"ex{k}", tuple(args), dict(kwargs))
                for k, (args, kwargs) in enumerate(rule.examples(rng))]
    required = [p for p in list(rule.signature.parameters.values())[1:]
                if p.default is p.empty]
    shift = SHIFT.get(rule.fn, 0.0)
    out = []
    for label, shapes in shape_families(rule, len(required)):
        args = tuple(draw(rng, rule.domain, s) + shift for s in shapes)
        out.append(Sample(rule, label, args))
    return out


def _collect():
    rules, cases, problems = [], [], {}
    for r in all_rules():
        rules.append(r)
        try:
            found = samples(r)
        except Exception as e:  # reported by test_rule_has_domain_and_samples
            problems[rule_id(r)] = f"{type(e).__name__}: {e}"
            continue
        cases.extend(found)
    return rules, cases, problems


RULES, SAMPLES, SAMPLE_PROBLEMS = _collect()


def params(test, items):
    out = []
    for s in items:
        marks = ()
        if (test, s.id) in KNOWN_BUGS:
            marks = pytest.mark.xfail(strict=True, reason=KNOWN_BUGS[(test, s.id)])
        out.append(pytest.param(s, id=s.id, marks=marks))
    return out


def tolerance(rule):
    return TOLERANCE.get(rule.fn, (RTOL, ATOL))


# --- the registry ---------------------------------------------------------------------
@pytest.mark.parametrize("rule", RULES, ids=rule_id)
def test_rule_has_domain_and_samples(rule):
    assert rule.domain in DOMAINS, f"{rule_id(rule)}: domain {rule.domain!r}"
    if rule.domain == "any":
        assert rule.examples is not None, (
            f"{rule_id(rule)}: domain 'any' needs examples")
    assert rule_id(rule) not in SAMPLE_PROBLEMS, SAMPLE_PROBLEMS.get(rule_id(rule))
    mine = [s for s in SAMPLES if s.rule is rule]
    assert mine, f"{rule_id(rule)}: no samples"
    for s in mine:
        assert s.diff, f"{s.id}: no differentiable argument in {s.args!r}"
        s.call(*s.args)  # the sample is a valid call


def test_registry_is_covered():
    ids = [rule_id(r) for r in RULES]
    assert len(set(ids)) == len(ids), "two rules share a test id"
    assert {s.rule for s in SAMPLES} >= {r for r in RULES if rule_id(r) not in
                                         SAMPLE_PROBLEMS}


def test_math_rules_take_floats_only():
    # arrays=False marks the rules whose primitive refuses arrays (math.sin)
    for r in RULES:
        if getattr(r.fn, "__module__", None) == "math":
            assert not r.arrays, rule_id(r)


# --- the templates, run directly ------------------------------------------------------
@pytest.mark.parametrize("sample", params("tangent", SAMPLES))
def test_tangent_matches_central_differences(sample):
    rule, args, diff = sample.rule, sample.args, sample.diff
    rng = np.random.default_rng(1)
    y = sample.call(*args)
    vs = [random_like(args[i], rng) for i in diff]
    tangents = [None] * len(args)
    for i, v in zip(diff, vs):
        tangents[i] = v
    before = snapshot(args)
    y_dot = jvp_callable(rule)(y, args, tangents, **sample.kwargs)
    assert_unchanged(before, list(args), "an argument")
    assert_shape_like(y_dot, y, "tangent")
    fd = central_difference(sample.call, args, diff, vs)
    rtol, atol = tolerance(rule)
    assert_close(y_dot, fd, rtol, atol, f"{sample.id}: tangent vs central differences")


@pytest.mark.parametrize("sample", params("adjoint", SAMPLES))
def test_adjoint_passes_dot_product_test(sample):
    rule, args, diff = sample.rule, sample.args, sample.diff
    rng = np.random.default_rng(2)
    y = sample.call(*args)
    w = random_like(y, rng)
    if isinstance(y, tuple):
        w = tuple(w)
    before = snapshot([w, *args])
    adjoints = vjp_callable(rule)(y, w, *args, **sample.kwargs)
    assert_unchanged(before, [w, *args], "the cotangent or an argument")
    assert isinstance(adjoints, tuple) and len(adjoints) == len(rule.params)
    for i in diff:
        assert_shape_like(adjoints[i], args[i], f"adjoint of {rule.params[i]}")
    for _ in range(2):
        vs = [random_like(args[i], rng) for i in diff]
        jv = central_difference(sample.call, args, diff, vs)
        lhs = inner(w, jv)
        rhs = sum(inner(adjoints[i], v) for i, v in zip(diff, vs))
        rtol, atol = tolerance(rule)
        assert rhs == pytest.approx(lhs, rel=rtol, abs=atol), (
            f"{sample.id}: <w, J v> = {lhs} but <J^T w, v> = {rhs}")


# --- the rules inlined by the compiler ------------------------------------------------
def literal(v):
    """Source for a constant argument (an axis, a shape, an index), or ``None``."""
    if v is None or isinstance(v, (bool, int)):
        return repr(v)
    if v is float:
        return "float"
    if isinstance(v, slice):
        return f"slice({v.start!r}, {v.stop!r}, {v.step!r})"
    if isinstance(v, tuple):
        parts = [literal(x) for x in v]
        if None in parts:
            return None
        return f"({', '.join(parts)}{',' if len(parts) == 1 else ''})"
    return None


def index_literal(v):
    """An index as a user writes it inside brackets: ``0:2, 1``."""
    def one(x):
        if isinstance(x, slice):
            text = ":".join("" if b is None else repr(b) for b in (x.start, x.stop))
            return text + (f":{x.step!r}" if x.step is not None else "")
        return literal(x)
    parts = [one(x) for x in (v if isinstance(v, tuple) else (v,))]
    if None in parts:
        return None
    return ", ".join(parts) + ("," if isinstance(v, tuple) and len(v) == 1 else "")


def user_function(sample):
    """``(source, primals)`` of a one-line function that calls the primitive."""
    spelling = user_spelling(sample.rule.fn)
    names, primals, exprs = [], [], []
    for i, a in enumerate(sample.args):
        if isinstance(a, list) and is_differentiable(a):
            parts = [f"a{i}_{k}" for k in range(len(a))]
            names += parts
            primals += a
            exprs.append(f"[{', '.join(parts)}]")
            continue
        text = None
        if not is_float(a) and not isinstance(a, np.ndarray):
            if sample.rule.fn is operator.getitem and i == 1:
                text = index_literal(a)
            else:
                text = literal(a)
        if text is None:
            names.append(f"a{i}")
            primals.append(a)
            text = f"a{i}"
        exprs.append(text)
    kws = [f"{k}={literal(v)}" for k, v in sample.kwargs.items()]
    assert all(literal(v) is not None for v in sample.kwargs.values()), sample.kwargs
    if "{}" in spelling:
        call = spelling.format(", ".join(exprs + kws))
    else:
        assert not kws
        call = spelling.format(*exprs)
    src = ("import math\n\nimport numpy as np\n\n\n"
           f"def f({', '.join(names)}):\n    return {call}\n")
    return src, primals


_modules = itertools.count()


def load_function(tmp_path, monkeypatch, src, name):
    name = f"sct_rule_case_{next(_modules)}_{re.sub(r'[^0-9a-zA-Z]', '_', name)}"
    path = tmp_path / f"{name}.py"
    path.write_text(src)
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, name, module)
    spec.loader.exec_module(module)
    return module.f


COMPILED = [s for s in SAMPLES if user_spelling(s.rule.fn) is not None]


@pytest.mark.parametrize("sample", params("compiler", COMPILED))
def test_compiled_vjp_passes_dot_product_test(sample, tmp_path, monkeypatch):
    src, primals = user_function(sample)
    f = load_function(tmp_path, monkeypatch, src, sample.id)
    rng = np.random.default_rng(3)
    diff = [i for i, p in enumerate(primals) if is_float(p)]
    y = f(*primals)
    before = snapshot(primals)
    out, back = sct.vjp(f, *primals)
    assert_close(out, y, 1e-12, 0.0, f"{sample.id}: value of\n{src}")
    w = random_like(y, rng)
    w_before = snapshot(w)
    cotangents = back(w)
    assert_unchanged(before, primals, "a primal")
    assert_unchanged(w_before, w, "the cotangent")
    assert len(cotangents) == len(primals)
    for i, p in enumerate(primals):
        if i in diff:
            assert cotangents[i] is not None, f"no cotangent for a{i}"
            assert_shape_like(cotangents[i], p, f"cotangent of primal {i}")
        else:
            assert cotangents[i] is None, f"cotangent for non-float primal {i}"
    rtol, atol = tolerance(sample.rule)
    vs = [random_like(primals[i], rng) for i in diff]
    jv = central_difference(f, primals, diff, vs)
    lhs = inner(w, jv)
    rhs = sum(inner(cotangents[i], v) for i, v in zip(diff, vs))
    assert rhs == pytest.approx(lhs, rel=rtol, abs=atol), (
        f"{sample.id}: <w, J v> = {lhs} but <J^T w, v> = {rhs} for\n{src}")
    if np.ndim(y) == 0 and is_float(y):
        grads = sct.grad(f, argnums=tuple(diff))(*primals)
        assert isinstance(grads, tuple) and len(grads) == len(diff)
        ones = back(1.0)
        for i, g in zip(diff, grads):
            assert np.shape(g) == np.shape(primals[i])
            assert_close(g, ones[i], 1e-12, 1e-15, f"{sample.id}: grad vs vjp, a{i}")
