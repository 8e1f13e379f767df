"""quote.parse builds the tree gast.parse builds, faster."""

from pathlib import Path

import sys

import gast
import pytest

from sct import quote

SOURCES = sorted((Path(quote.__file__).parent).glob("*.py"))


@pytest.mark.parametrize("path", SOURCES[::3], ids=lambda p: p.name)
def test_parse_gives_gast_parse_tree_with_positions(path):
    src = path.read_text()
    mine = quote.parse(src)
    assert gast.dump(mine, include_attributes=True) == gast.dump(
        gast.parse(src), include_attributes=True)


# syntax of every kind, for the nodes the converter has rules of its own for
SYNTAX = ["""
async def g(a, /, b=1, *c, d: int, e=2, **f) -> None:
    async with x as y:
        await z
    async for i in j:
        yield i
    lambda q, *r: q
    [u for u in v if u async for w in u]
    del a[1:2:3], b.c
    global G
    from . import m as n
    import o.p as q
    assert x, y
    raise A from B
    x: int = 3
    x += 1
    print(*a, **k)
    {1, 2}; {1: 2}; (a if b else c); not a; -a; ~a; a < b <= c; a and b or c; (x := 5)
    try:
        pass
    except E as e:
        pass
    except:
        pass
    class C(B, metaclass=M):
        pass
    match x:
        case [1, *r] | {"k": v, **kw}:
            pass
        case P(a, b=c) as z:
            pass
    return f"{x!r:>{w}}"
"""]
if sys.version_info >= (3, 12):
    SYNTAX.append("def f[T: int, *Ts, **P](x: T) -> T:\n"
                  "    class C[U]: pass\n"
                  "    type A[V] = list[V]\n")


def _same(a, b):
    """The same tree, with the same attributes in the same order."""
    if isinstance(a, list):
        return type(b) is list and len(a) == len(b) and all(map(_same, a, b))
    if isinstance(a, gast.AST):
        return type(a) is type(b) and list(vars(a)) == list(vars(b)) and all(
            _same(vars(a)[k], vars(b)[k]) for k in vars(a))
    return a == b


@pytest.mark.parametrize("src", SYNTAX)
def test_parse_converts_every_kind_of_node_as_gast_does(src):
    assert _same(quote.parse(src), gast.parse(src))


def test_source_lines_of_every_rule_template_parse_as_inspect_reads_them():
    # templates are decorated (@rule(...)): the lines run from the decorator, and the
    # tree is the one inspect.getsourcelines gives
    import inspect
    import textwrap

    from sct.rules import all_rules
    for template in {r.template for r in all_rules()}:
        lines, first = quote.source_lines(template)
        ref, ref_first = inspect.getsourcelines(template)
        assert first == ref_first, template
        assert gast.dump(quote.parse(textwrap.dedent("".join(lines)))) == gast.dump(
            gast.parse(textwrap.dedent("".join(ref)))), template


BLOCKS = '''
import functools


def plain(x):
    y = x * 2.0
    return y  # the end
    # a comment after the last statement


@functools.lru_cache(
    maxsize=None)
def decorated(x):
    return x


def signature(
    x,
    y=1.0,
) -> float:
    return (x
            + y
)


def continued(x):
    s = """
not indented"""
    return x


class C:
    def method(self, x):
        return x

    def other(self):
        pass
'''


def test_block_reads_the_lines_source_lines_reads(tmp_path, monkeypatch):
    # the lines a def takes, read from their indentation (and, where a continuation
    # line is not indented, what does not parse: then quote reads them the slow way)
    import importlib
    import inspect
    import textwrap

    (tmp_path / "sct_blocks.py").write_text(BLOCKS)
    monkeypatch.syspath_prepend(str(tmp_path))
    m = importlib.import_module("sct_blocks")
    for fn in (m.plain, m.decorated.__wrapped__, m.signature, m.C.method, m.C.other):
        lines, lnum = inspect.findsource(fn)
        want, first = quote.source_lines(fn)
        while not want[-1].strip() or want[-1].lstrip().startswith("#"):
            want = want[:-1]  # (before Python 3.11, inspect's: with trailing comments)
        assert (quote._block(fn, lines, lnum), lnum + 1) == (want, first)
    lines, lnum = inspect.findsource(m.continued)
    with pytest.raises(SyntaxError):
        quote.parse(textwrap.dedent("".join(quote._block(m.continued, lines, lnum))))
    assert gast.dump(quote.quote(m.continued).tree) == gast.dump(gast.parse(
        textwrap.dedent(inspect.getsource(m.continued))).body[0])
