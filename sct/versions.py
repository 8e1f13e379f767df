"""Versions of reassigned names (``x``, ``x_1``, ``x_2``), the last step of normalize.

A name assigned only by top-level statements gets a new version at each assignment,
so the reverse sweep reads every value it needs without a tape. A name assigned
inside ``if``/``for``/``while`` keeps one name everywhere; there, an assignment that
reads its own target (``y = y + x``) is split through a temporary so that the
reverse sweep can tell the old value's adjoint from the new one's.

>>> import sct.pipeline as p
>>> def f(x):
...     x = x * 2.0
...     y = 0.0
...     for i in range(3):
...         y = y + x
...     return y
>>> print(p.stage_source(f, "normalize"))
def f(x):
    x_1 = x * 2.0
    y = 0.0
    range_3 = range(3)
    for i in range_3:
        y_plus_x_1 = y + x_1
        y = y_plus_x_1
    return y
"""

from __future__ import annotations

import gast

from . import walk

from .names import temp_name
from .normalize import assign, load

_COMPOUND = (gast.If, gast.For, gast.While)


def assigned_in_compound(tree) -> set:
    """Names assigned anywhere inside an ``if``, ``for`` or ``while``."""
    names = set()
    for stmt in tree.body:
        if isinstance(stmt, _COMPOUND):
            for n in walk.nodes(stmt):
                if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store):
                    names.add(n.id)
    return names


def _rename_loads(node, current, names=walk.nodes):
    for n in names(node):
        if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Load) \
                and n.id in current:
            n.id = current[n.id]


def _split_self_reads(body, fixed, namer):
    """``y = f(y)`` -> ``t = f(y); y = t`` for names that are not versioned."""
    out = []
    for s in body:
        if isinstance(s, _COMPOUND):
            s.body = _split_self_reads(s.body, fixed, namer)
            s.orelse = _split_self_reads(s.orelse, fixed, namer)
        if isinstance(s, gast.Assign) and isinstance(s.targets[0], gast.Name) \
                and s.targets[0].id in fixed:
            t = s.targets[0].id
            reads = {n.id for n in walk.name_nodes(s.value)}
            if t in reads and not isinstance(s.value, gast.Name):
                base = temp_name(s.value, t)
                tmp = namer.fresh(base) if base else namer.numbered(f"{t}_t")
                fixed.add(tmp)  # overwritten on every pass as t is: the tape may need it
                out.append(gast.copy_location(assign(tmp, s.value), s))
                out.append(gast.copy_location(assign(t, load(tmp)), s))
                continue
        out.append(s)
    return out


def run(tree, ctx):
    from .mutation import setitem_bases
    # written in place (an assignment is a statement: no need to walk expressions)
    fixed = assigned_in_compound(tree) | setitem_bases(tree, walk.statements(tree))
    args = {a.id for a in tree.args.args + tree.args.posonlyargs + tree.args.kwonlyargs}
    seen = set(args)
    current: dict = {}  # name -> its version now, for the names renamed so far
    for stmt in tree.body:
        # (until a name is renamed, no load needs renaming: the statements before
        # the first reassignment, all of them in code that assigns each name once,
        # are not walked)
        if isinstance(stmt, gast.Assign) and isinstance(stmt.targets[0], gast.Name):
            if current:
                _rename_loads(stmt.value, current, walk.name_nodes)  # (an expression)
            t = stmt.targets[0].id
            if t not in fixed:
                if t in seen:  # reassigned: a new version
                    current[t] = ctx.namer.fresh(t)
                    stmt.targets[0].id = current[t]
                seen.add(t)
        elif current:
            _rename_loads(stmt, current)
    tree.body = _split_self_reads(tree.body, fixed, ctx.namer)
    ctx.fixed_names = fixed
    return tree
