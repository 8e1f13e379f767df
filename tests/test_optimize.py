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
    assert facts.Facts().scan(body) == (not bases)


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
