"""sct.printer prints what astor prints, byte for byte, or declines (None)."""

import os
import warnings

import gast
import pytest

from sct import emit, printer

astor = pytest.importorskip("astor")

GOLDEN = os.path.join(os.path.dirname(__file__), "golden")

SNIPPETS = [
    "a = -(x + y) ** 2 - x ** -1.0 + (-1.0) ** x\n",
    "a, b = f(*t, k=(1, 2), **kw)[1:, ::2], (x,)\n",
    "(x + 1).T\ny[i:j:None] = g(x if c else y, lambda_=not a or b and c)\n",
    "a = [x, (y, z), {}, {k: v, **d}, (), ..., None, True, 1e1000, 2j, 1 - 2j, b'x']\n",
    "if a < b < c:\n    pass\nelif d is not e:\n    x += 1\nelse:\n    break\n",
    "for i, v in (a, b):\n    continue\nelse:\n    return\n",
    "while x not in y:\n    z = x @ y // 2 % 3\nelse:\n    return x, 'it' 's'\n",
    "def f(p, /, q=1, *r, s, t=2, **u):\n    def g():\n        return\n    return g\n",
    "x = '__sct_comment__:a label'\n'__sct_comment__:=reverse sweep'\n",
]


def _astor(tree):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return astor.to_source(emit._to_ast(tree), pretty_string=emit._pretty_string,
                               pretty_source="".join)


@pytest.mark.parametrize("text", SNIPPETS)
def test_snippets_print_as_astor_prints_them(text):
    tree = gast.parse(text)
    assert printer.to_source(tree, emit._plain) == _astor(tree)


@pytest.mark.parametrize("name", sorted(os.listdir(GOLDEN)))
def test_golden_sources_print_as_astor_prints_them(name):
    with open(os.path.join(GOLDEN, name)) as f:
        tree = gast.parse(f.read())
    assert printer.to_source(tree, emit._plain) == _astor(tree)


def test_a_string_that_astor_may_triple_quote_is_left_to_astor():
    tree = gast.parse("'a docstring'\n")
    assert printer.to_source(tree, emit._plain) is None
    assert emit.to_source(tree) == _astor(tree)


def test_comment_markers_print_as_the_lines_emit_made_of_them():
    text = ("def f(x):\n    '__sct_comment__:=forward sweep'\n    y = x\n"
            "    '__sct_comment__:='\n    for i in r:\n        '__sct_comment__:in a loop'\n"
            "        y = y + i\n    '__sct_comment__:'\n    return y\n    '__sct_comment__:='\n")
    tree = gast.parse(text)
    printed = printer.to_source(tree, emit._plain, emit._comment_line)
    assert "    # in a loop\n" in printed and "\n\n" in printed
    assert emit.to_source(tree) == emit._comments(_astor(tree))
