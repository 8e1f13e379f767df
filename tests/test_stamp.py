"""Compiled templates (stamp.py) build what copying the template builds, node for node,
calling ``deriv``, ``ref`` and ``fresh`` in the same order."""

import gast
import pytest

from sct import stamp, template
from sct.errors import NoDerivative
from sct.rules import all_rules


def _dump(node, refs):
    """Everything about a tree that a later stage could look at."""
    if isinstance(node, list):
        return [_dump(x, refs) for x in node]
    if isinstance(node, tuple):
        return tuple(_dump(x, refs) for x in node)
    if not isinstance(node, gast.AST):
        return node
    out = [type(node).__name__]
    for k, v in node.__dict__.items():
        if k == "ref_object":
            v = ("ref", refs.index(id(v)))
        elif k == "primal":
            v = ("primal", _dump(v, refs))
        out.append((k, _dump(v, refs)))
    return out


def _name(n):
    return gast.Name(id=n, ctx=gast.Load(), annotation=None, type_comment=None)


def _bindings(rule):
    params = list(rule.signature.parameters.values())[1:]
    required = [p for p in params if p.default is p.empty]
    out = []
    try:  # defaults as the compiler binds them
        b = template.bind(rule, [_name(p.name) for p in required], {}, "test")
        b[rule.result] = _name("y")
        out.append(b)
    except NoDerivative:
        pass
    b = {p.name: _name(p.name) for p in params}
    b[rule.result] = _name("y")
    out.append(b)
    if params:  # an index as an argument, a constant as another
        b = dict(b)
        b[params[0].name] = gast.Slice(lower=gast.Constant(value=1, kind=None),
                                       upper=None, step=None)
        b[params[-1].name] = gast.Constant(value=2.0, kind=None)
        out.append(b)
    return out


def _run(fn, rule, mode, binding, zero_mask):
    log, refs = [], []

    def ref(obj):
        if id(obj) not in refs:
            refs.append(id(obj))
        log.append(("ref", refs.index(id(obj))))
        node = _name(f"__sct_ref{refs.index(id(obj))}")
        node.ref_object = obj
        return node

    def fresh(base):
        log.append(("fresh", base))
        return f"{base}_{len(log)}"

    params = rule.params

    def deriv(p):
        log.append(("deriv", p))
        i = params.index(p) if p in params else len(params)
        if zero_mask[i % len(zero_mask)]:
            return template.zero(binding[p])
        return _name(f"{p}_bar")

    items = fn(rule, mode, binding, deriv, ref, fresh)
    return _dump(items, refs), log


@pytest.mark.parametrize("rule", all_rules(), ids=lambda r: r.name)
def test_compiled_template_builds_what_copying_builds(rule):
    for mode in ("adjoint", "tangent"):
        if not rule.has_mode(mode):
            continue
        assert stamp.builder(rule, mode) is not None, stamp.source(rule, mode)
        for binding in _bindings(rule):
            for mask in ((False,), (True,), (False, True), (True, False)):
                new = _run(template.instantiate, rule, mode, binding, mask)
                old = _run(template.instantiate_copying, rule, mode, binding, mask)
                assert new == old


def _odd(y, x):
    with adjoint:  # noqa: F821
        d[x] += d[y]  # noqa: F821
        x.sort()


def test_unusual_template_is_copied():
    """A template stamp.py does not compile goes the generic way, which says what is
    wrong with it."""
    from sct.rules.core import Rule
    r = Rule(abs, _odd, domain="real", elementwise=False, linear=(), nondiff=False,
             output="any", examples=None, user=True)
    assert stamp.builder(r, "adjoint") is None
    with pytest.raises(SyntaxError, match="unexpected statement"):
        template.instantiate(r, "adjoint", {"y": _name("y"), "x": _name("x")},
                             lambda p: _name(p + "_bar"), _name, lambda b: b)


def _bind_by_signature(rule, args, kws):
    """What template.bind gives, the slow way, for comparison."""
    import inspect
    params = list(rule.signature.parameters.values())[1:]
    arguments = inspect.Signature(params).bind(*args, **kws).arguments
    return {p.name: arguments[p.name] if p.name in arguments else (
        ("const", p.default) if template._is_literal(p.default) else
        ("__default__", p.default)) for p in params}


@pytest.mark.parametrize("rule", all_rules(), ids=lambda r: r.name)
def test_bind_plan_binds_as_the_signature_does(rule):
    n = len(rule.params)
    for k in range(n + 2):
        args = [_name(f"a{i}") for i in range(k)]
        try:
            want = _bind_by_signature(rule, args, {})
        except TypeError:
            with pytest.raises(NoDerivative):
                template.bind(rule, args, {}, lambda: "here")
            continue
        try:
            got = template.bind(rule, args, {}, "here")
        except NoDerivative:  # a rule's check refusing placeholder arguments
            assert rule.check is not None
            continue
        got = {p: ("const", v.value) if isinstance(v, gast.Constant) else v
               for p, v in got.items()}
        assert list(got) == list(want) and all(
            got[p] is want[p] or got[p] == want[p] for p in want)
