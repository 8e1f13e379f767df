"""The optimizer's passes on small bodies: what each rewrites, and what it must leave.

The optimizer keeps facts between its rounds (facts.py: entries, settled marks;
fuse's latest reads and writes); these cases pin the results those shortcuts
must not change.
"""

import gast
import pytest

from sct import facts, mutation, optimize


def _run(src, floats):
    body = gast.parse(src).body
    return optimize.show(optimize.run(body, floats=floats, pure_call=lambda c: True))


@pytest.mark.parametrize("src, floats, want", [
    # fused: nothing between reads a or writes what e1 reads
    ("a = f(x)\nb = g(y)\na = a + b * 2.0\nreturn a", {"a", "b", "x", "y"},
     "b = g(y)\na = f(x) + b * 2.0\nreturn a"),
    # not fused: a is read between, or what e1 reads is written, or a write into
    # an object comes between
    ("a = f(x)\nc = a * 2.0\na = a + g(y)\nreturn a, c", {"a", "x", "y", "c"},
     "a = f(x)\nc = a * 2.0\na = a + g(y)\nreturn (a, c)"),
    ("a = f(x)\nx = g(y)\na = a + x\nreturn a", {"a", "x", "y"},
     "a = f(x)\nx = g(y)\na = a + x\nreturn a"),
    ("a = f(x)\nb[0] = y\na = a + g(y)\nreturn a, b", {"a", "x", "y"},
     "a = f(x)\nb[0] = y\na = a + g(y)\nreturn (a, b)"),
    # a label is no barrier; a chain fuses into one sum; the sum is folded
    ("a = f(x)\n'__sct_comment__:line'\na = a + g(y)\nreturn a", {"a", "x", "y"},
     '"""__sct_comment__:line"""\na = f(x) + g(y)\nreturn a'),
    ("a = f(x)\na = a + g(y)\na = a + h(z)\nreturn a", {"a", "x", "y", "z"},
     "a = f(x) + g(y) + h(z)\nreturn a"),
    ("a = -f(x)\na = a + g(y)\nreturn a", {"a", "x", "y"}, "a = g(y) - f(x)\nreturn a"),
    # a write to b forgets that a copies b
    ("a = b\nb = f(x)\nc = a * 1.0\nreturn c", {"a", "b", "c", "x"}, "return b"),
    # a = d = v writes d too: d no longer holds a copy of e
    ("d = e\na = d = f(x)\ny = d * 2.0\nreturn y, a", {"d", "e", "y"},
     "a = d = f(x)\ny = d * 2.0\nreturn (y, a)"),
    # a = x * 1.0 stays a new object: a is written into
    ("a = x * 1.0\na[0] = v\nreturn a", {"a", "x", "v"}, "a = x * 1.0\na[0] = v\nreturn a"),
    ("k = 2.0\nm = k * y\nif c:\n    m = m + k\nreturn m", {"m", "y"},
     "m = 2.0 * y\nif c:\n    m = m + 2.0\nreturn m"),
    ("s = 0.0\nfor i in r:\n    t = s\n    s = t + f(i)\nreturn s", {"s", "t"},
     "s = 0.0\nfor i in r:\n    s = s + f(i)\nreturn s"),
])
def test_passes(src, floats, want):
    assert _run(src, floats) == want


@pytest.mark.parametrize("src", [
    "a = x * 2.0\nb = a[1:]\nb[0] = y", "hs = [x]\nhs.append(y)", "y = xs.pop()",
    "if c:\n    for i in r:\n        t[i] = v", "while q.pop():\n    pass",
    "a = x + y\nb = f(a)\nreturn b", "a, b = t\nc += a",
])
def test_scan_agrees_with_written_bases(src):
    """Facts.scan spares optimize.run a walk of the whole body: it must say
    "nothing is written in place" exactly when mutation.written_bases finds nothing."""
    body = gast.parse(src).body
    bases = mutation.written_bases(gast.Module(body=body, type_ignores=[]))
    table = facts.Facts()
    assert table.scan(body) == (not bases)
    # (and run's question whether the body has an if or a loop)
    assert table.compound == any(isinstance(s, (gast.If, gast.For, gast.While))
                                 for s in body)


def test_fused_entry_is_the_entry_of_the_sum():
    """The entry fuse makes from its parts answers as one made from the sum."""
    one, two = gast.parse("a = f(x) * a0\na = a + g(y, a1)").body
    table = facts.Facts()
    first, last = table.entry(one), table.entry(two)
    two.value.left = one.value
    made = table.fused(two, first, last, "a")
    fresh = facts.Facts().entry(two)
    assert (made.reads, made.writes, made.value_reads, made.in_place) == (
        fresh.reads, fresh.writes, fresh.value_reads, fresh.in_place)


def test_written_bases_of_normalized_code_read_from_its_statements():
    # normalize's output keeps its calls as the values of statements: the statement
    # scan finds what the walk of every node finds, lambdas and loops included
    import numpy as np

    from sct import mutation, pipeline

    def f(x, k):
        y = x * 2.0
        x[0] = y[1]
        acc = []
        for i in range(3):
            acc.append(y[i] * k)
        last = acc.pop()
        stack = [1.0, 2.0]
        g = (lambda t: stack.pop())  # noqa: E731 (a call inside a lambda is walked)
        return np.sum(y) + last + g(0)

    _, tree, _ = pipeline.front(f)
    assert mutation.written_bases_flat(tree) == mutation.written_bases(tree) == {
        "x", "acc", "stack"}


_BODIES = [
    "z = x\nx = a * b\ny = z * 2.0\nreturn y",  # a dead write let a copy live on
    "a = b\nc = a\nd = c\ne = d * 2.0\nreturn e",  # a chain of copies
    "a = b\nb = c * 2.0\nd = a + b\nreturn d",
    "s = 1.0\nt = s\nu = t * x\nv = u\nreturn v * y",
    "a = x * 1.0\nb = a\nc = b + -y\nd = c\nd = d + a\nreturn d",
    "a = f(x)\nb = a\na = a + g(b)\nc = a\nc = c + h(y)\nreturn c",
    "a = b\nr = [a]\nr.append(y)\nc = a * 1.0\nreturn c, r",
    "a = 1.0\nb = -a\nc = b * x\nd = c * -1.0\ne = d\nreturn e + 0.5 * y",
    "a = f(x)\nt = a * 2.0\na = a + g(y)\nreturn a",  # fused once t is gone
    "a = f(x)\na = a + r.pop()\nb = a\nreturn b",
    "s = 1.0\nt = s\nu = t\nb = -u\nb = b + t * y\nreturn b",  # a chain to a constant
    "a = b\nc = a\nd = c\ne = d * 2.0 + -d\ne = e + c\nreturn e",
    "w = x\nk = w\nr = 1.0 * k\nr = r + k\nreturn r",  # w, k: not known as floats
    "k = 2.0\nm = k\ny = m * x\nk += 0.5\nreturn y, k",  # k += 0.5 reads k
]


def _rounds(body, floats):
    """run's loop without its shortcuts: rounds until one changes nothing."""
    opt = optimize._Opt(set(floats), lambda c: True,
                        mutation.written_in_place(body))
    for _ in range(10):
        opt.changed = False
        body = opt.fuse(opt.propagate(body))
        body, _ = opt.dce(body, set())
        if not opt.changed:
            break
    return optimize.show(body)


@pytest.mark.parametrize("src", _BODIES)
def test_run_stops_where_rounds_would_change_nothing(src):
    """run stops a round early when nothing it did can give the next one work
    (no chain of copies, no fold, no fusion, no write of a copied name removed):
    its result is that of the rounds run to the end."""
    floats = {"a", "b", "c", "d", "e", "x", "y", "z", "s", "t", "u", "v"}
    assert _run(src, floats) == _rounds(gast.parse(src).body, floats)


@pytest.mark.parametrize("src", _BODIES)
def test_substituted_entry_is_a_fresh_entry(src):
    """The entry made from the one before a substitution answers as a fresh one."""
    from sct.copies import Env, substitute
    body = gast.parse(src).body
    env = Env()
    table = facts.Facts()
    for s in body:
        if isinstance(s, gast.Assign) and isinstance(s.targets[0], gast.Name):
            old = table.entry(s)
            if substitute(s.value, env):  # (as propagate: a name alone stays)
                table.forget(s)
                made = table.substituted(s, old, env)
                fresh = facts.Facts().entry(s)
                assert made is not None
                assert (made.reads, made.writes, made.value_reads) == (
                    fresh.reads, fresh.writes, fresh.value_reads)
            env.kill(s.targets[0].id)
            if isinstance(s.value, (gast.Name, gast.Constant)):
                env.add(s.targets[0].id, s.value)


@pytest.mark.parametrize("src", [
    "0.5 * x", "x * 1.0", "1 * x", "-1.0 * x", "x / 1.0", "x ** 1", "2.0 * 3.0",
    "-(-x)", "-x", "-(2.0)", "x + -y", "x - -y", "-x + y", "x * -y", "not x", "~x",
    "x + 1.0", "f(x * 1.0) + 0.5", "x * True", "x * 1j", "(x + 0.0) * 2.0",
])
def test_may_fold_is_false_only_where_folding_changes_nothing(src):
    """An entry whose operations no rule can rewrite is settled without a fold."""
    from sct.arith import Folder, may_fold
    e = gast.parse(src).body[0].value
    if not any(may_fold(n) for n in gast.walk(e) if isinstance(n, (gast.BinOp,
                                                                   gast.UnaryOp))):
        before = optimize.show([gast.Expr(value=e)])
        folder = Folder({"x", "y"})
        assert folder.fold(e) is e and folder.edits == 0
        assert optimize.show([gast.Expr(value=e)]) == before


@pytest.mark.parametrize("src", ["a * f(b, k=-c)", "a", "1.0", "x.y[a] + (b, [c])",
                                 "-(a * 2.0) - g(h(b))"])
def test_reads_name_agrees_with_walk_reads(src):
    from sct import walk
    e = gast.parse(src).body[0].value
    for name in "abcfghkxy":
        assert facts.reads_name(e, name) == (name in walk.reads(e))


def _random_body(rng, names, depth=0):
    """Lines of a random body: copies, constants, sums, negations, calls of ``p``
    (pure), tuple and double targets, ``+=``, and (``depth`` 0) ifs and loops."""
    def atom():
        k = rng.random()
        return rng.choice(names) if k < 0.7 else rng.choice(
            ["1.0", "2.0", "-1.0", "0.5", "1"]) if k < 0.85 else "-" + rng.choice(names)
    lines = []
    for _ in range(rng.randint(2, 14)):
        t, k = rng.choice(names), rng.random()
        if k < 0.25:
            lines.append(f"{t} = {rng.choice(names)}")
        elif k < 0.32:
            lines.append(f"{t} = {rng.choice(['1.0', '-1.0', '0.5'])}")
        elif k < 0.55:
            lines.append(f"{t} = {t} + {atom()} * {atom()}")
        elif k < 0.6:
            lines.append(f"{t}, {rng.choice(names)} = p({atom()}), {atom()}")
        elif k < 0.65:
            lines.append(f"{t} = {rng.choice(names)} = p({atom()})")
        elif k < 0.7:
            lines.append(f"{t} += {atom()}")
        elif k < 0.75 and depth == 0:
            head = f"if {rng.choice(names)} > 0.3:" if k < 0.73 else "for i in range(2):"
            lines += [head] + ["    " + x for x in _random_body(rng, names, 1)]
        else:
            lines.append(f"{t} = {atom()} {rng.choice('+-*')} {atom()}")
    return lines


@pytest.mark.parametrize("seed", range(0, 400, 4))
def test_optimized_bodies_compute_the_same(seed):
    """Random bodies compute what they computed before optimizing (floats or not)."""
    import random
    rng = random.Random(seed)
    names = list("abcdef")[:rng.randint(3, 6)]
    src = "\n".join(_random_body(rng, names) + [f"return {', '.join(names)}"])
    floats = set(rng.sample(names, rng.randint(0, len(names))))
    body = optimize.run(gast.parse(src).body, floats=floats,
                        pure_call=lambda c: getattr(c.func, "id", None) == "p")
    results = []
    for text in (src, optimize.show(body)):
        scope = {"p": lambda v: v * 0.5 + 0.25}
        exec("def f(" + ", ".join(names) + "):\n" + "\n".join(
            "    " + line for line in text.splitlines()), scope)
        results.append(scope["f"](*[0.3 + 0.7 * i for i in range(len(names))]))
    assert results[0] == pytest.approx(results[1]), (src, optimize.show(body))
