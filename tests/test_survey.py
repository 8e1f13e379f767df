"""survey.py lists what walk.nodes lists, in the same order, with each node's parent."""

import os

import gast
import sct
from sct import walk
from sct.survey import survey

_SOURCES = sorted(os.path.join(os.path.dirname(sct.__file__), f)
                  for f in os.listdir(os.path.dirname(sct.__file__)) if f.endswith(".py"))
_TYPES = [gast.Call, gast.BinOp, gast.Assign, gast.Attribute, gast.Subscript, gast.For,
          gast.keyword, gast.arguments, gast.comprehension]


_BODIES = []


def _bodies():
    """Every function body in sct's own modules: every kind of node, annotations too."""
    if not _BODIES:
        for path in _SOURCES:
            with open(path) as f:
                tree = gast.parse(f.read())
            _BODIES.extend(n.body for n in walk.nodes(tree) if isinstance(n, gast.FunctionDef))
    return _BODIES


def _child_of(x, node):
    for field in node._fields:
        v = getattr(node, field, None)
        if v is x or (type(v) is list and any(y is x for y in v)):
            return True
    return False


def test_the_walk_order_and_the_parents():
    kinds = set(_TYPES)
    checked = 0
    for body in _bodies():
        module = gast.Module(body=body, type_ignores=[])
        everything = walk.nodes(module)[1:]
        start = len(body) // 2
        s = survey(body, kinds, start)
        assert s.names == [n for n in everything if type(n) is gast.Name]
        assert s.nodes == [n for n in everything if type(n) in kinds]
        assert s.annotated == any(getattr(n, "annotation", None) is not None
                                  for n in s.names)
        tail = walk.nodes(gast.Module(body=body[start:], type_ignores=[]))
        assert s.late == [n for n in tail if type(n) in kinds]
        for n, parent in zip(s.nodes, s.parents):
            if parent is None:
                assert any(n is b for b in body)
            else:
                assert _child_of(n, parent)
        checked += len(s.nodes)
    assert checked


def test_annotated_names_are_told():
    body = gast.parse("def g(a: int):\n    return a\nb = g(1)").body
    assert survey(body, set()).annotated
    assert not survey(gast.parse("b = g(1)").body, set()).annotated


def test_the_statements_in_walk_order():
    # walk.statements of a body (a list) or of a tree: what walk.nodes lists of them
    for body in _bodies():
        module = gast.Module(body=body, type_ignores=[])
        everything = walk.nodes(module)[1:]
        expected = [n for n in everything if isinstance(n, gast.stmt)]
        assert walk.statements(body) == expected == walk.statements(module)


def test_the_names_are_those_walk_name_nodes_finds():
    from sct.survey import names
    for body in _bodies():
        expected = walk.name_nodes(gast.Module(body=body, type_ignores=[]))
        assert sorted(map(id, names(body))) == sorted(map(id, expected))
