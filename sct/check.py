"""Unsupported syntax -> :class:`~sct.errors.UnsupportedSyntax` at the user's file:line.

Walks the whole function once and reports every problem together, so a user fixes
them in one round::

    model.py:17: 'yield' is not supported (in function 'loss')
"""

from __future__ import annotations

import gast

from . import walk

from .errors import UnsupportedSyntax

_STMT_NAMES = {
    gast.AsyncFunctionDef: "'async def'", gast.ClassDef: "a class definition",
    gast.Delete: "'del'", gast.AsyncFor: "'async for'", gast.With: "'with'",
    gast.AsyncWith: "'async with'", gast.Raise: "'raise'", gast.Try: "'try'",
    gast.Global: "'global'", gast.Nonlocal: "'nonlocal'", gast.Import: "'import'",
    gast.ImportFrom: "'import'", gast.Match: "'match'",
}
_EXPR_NAMES = {
    gast.Yield: "'yield'", gast.YieldFrom: "'yield from'", gast.Await: "'await'",
    gast.GeneratorExp: "a generator expression", gast.SetComp: "a set comprehension",
    gast.DictComp: "a dict comprehension", gast.NamedExpr: "':=' (assignment expression)",
    gast.Set: "a set literal", gast.Starred: "'*' unpacking",
}
if hasattr(gast, "TryStar"):
    _STMT_NAMES[gast.TryStar] = "'try'"
# the node classes a check below is about: the others (names, operations, constants:
# most of a function) are passed over at one set lookup each
_ASKED = set(_STMT_NAMES) | set(_EXPR_NAMES) | {
    gast.For, gast.While, gast.Call, gast.Dict, gast.ListComp, gast.Attribute,
    gast.Subscript, gast.Return}
_SCT_BUILTIN_CALLS = {"exec": "'exec'", "eval": "'eval'", "globals": "'globals()'",
                      "locals": "'locals()'", "vars": "'vars()'"}


def problems(quoted, tree=None) -> list:
    """Every ``(file, line, message)`` about unsupported syntax in the function."""
    tree = tree if tree is not None else quoted.tree
    found = []
    fname = quoted.name

    def report(node, what, hint=""):
        found.append((quoted.filename, quoted.line(node),
                      f"{what} is not supported (in function '{fname}'){hint}"))

    a = tree.args
    if a.vararg is not None:
        report(tree, f"'*{a.vararg.id}' (a variable number of arguments)")
    if a.kwarg is not None:
        report(tree, f"'**{a.kwarg.id}' (arbitrary keyword arguments)")
    returns = False
    asked = _ASKED
    # (each statement's nodes, breadth first: problems are reported in that order)
    for node in [n for stmt in tree.body for n in walk.nodes(stmt) if type(n) in asked]:
        t = type(node)
        returns = returns or t is gast.Return
        if t in _STMT_NAMES:
            report(node, _STMT_NAMES[t])
        elif t in _EXPR_NAMES:
            report(node, _EXPR_NAMES[t])
        elif isinstance(node, (gast.For, gast.While)) and node.orelse:
            kw = "for" if isinstance(node, gast.For) else "while"
            report(node, f"'{kw} ... else'")
        elif isinstance(node, gast.Call):
            if isinstance(node.func, gast.Name) and node.func.id in _SCT_BUILTIN_CALLS:
                report(node, _SCT_BUILTIN_CALLS[node.func.id])
            for k in node.keywords:
                if k.arg is None:
                    report(node, "'**' unpacking in a call")
        elif isinstance(node, gast.Dict) and not all(
                isinstance(k, gast.Constant) for k in node.keys):
            report(node, "a dict literal whose keys are not constants")
        elif isinstance(node, gast.ListComp) and any(g.is_async for g in node.generators):
            report(node, "an async comprehension")
        elif isinstance(node, gast.Attribute) and isinstance(node.ctx, gast.Store):
            report(node, "assignment to an attribute")
        elif isinstance(node, gast.Subscript) and isinstance(node.ctx, gast.Store) \
                and not isinstance(node.value, gast.Name):
            report(node, "assignment into a nested item (x[i][j] = ...)",
                   "; write x[i, j] = ...")
        elif isinstance(node, gast.Return) and node.value is None:
            report(node, "a bare 'return' (the function must return a value)")
    if not returns:  # (a return is a statement: only the body can hold one)
        report(tree.body[-1] if tree.body else tree,
               "a function that never returns a value")
    return found


def check(quoted, tree=None) -> None:
    """Raise :class:`UnsupportedSyntax` listing every problem, if there are any."""
    found = problems(quoted, tree)
    if found:
        raise UnsupportedSyntax(found)
