"""Activity analysis: names that depend on the chosen inputs and reach the output.

Only active names get adjoints or tangents. A name is *varied* when it is computed
from a varied name through a differentiable operation (comparisons, ``len``,
``np.floor`` and other non-differentiable calls stop the dependence), and *useful*
when the returned value is computed from it. Active = varied and useful.

The analysis is flow-insensitive (each name is one set member, whatever the
statement), which is exact for the versioned top-level names and safe elsewhere.

>>> import sct.pipeline as p
>>> def f(x, y):
...     n = len(y)
...     z = x * n
...     w = y * 2.0
...     return z
>>> sorted(p.stage_data(f, "activity", argnums=(0, 1)))
['x', 'z']
"""

from __future__ import annotations

import gast

from . import walk

from .rules import lookup


_reads = walk.reads


def diff_reads(value, resolved) -> set:
    """Names whose derivative can flow into ``value``."""
    t = type(value)
    if t is gast.Compare or t is gast.BoolOp:
        return set()
    if t is gast.UnaryOp and isinstance(value.op, (gast.Not, gast.Invert)):
        return set()
    obj = resolved.get(value)
    r = lookup(obj) if obj is not None else None
    if r is not None and r.nondiff:
        return set()
    if t is gast.Subscript:
        return _reads(value.value)  # indices carry no derivative
    if t is gast.Call:
        out = set()
        if isinstance(value.func, gast.Attribute) and isinstance(value.func.value, gast.Name):
            out.add(value.func.value.id)  # lst.pop(): the value comes from lst
        flows = params = None
        if r is not None and r.template is not None:
            flows, params = r.flow_params, r.params
        for i, a in enumerate(value.args):
            if flows is None or i >= len(params) or params[i] in flows:
                out |= _reads(a)
        for k in value.keywords:
            if flows is None or k.arg not in params or k.arg in flows:
                out |= _reads(k.value)
        return out
    return _reads(value)


def _edges(tree, resolved, stopped=frozenset()):
    """``(target, sources)`` for every assignment, loop target included; names in
    ``stopped`` take no derivative from their sources."""
    edges = []
    for node in walk.statements(tree):
        if isinstance(node, gast.Assign):
            srcs = diff_reads(node.value, resolved)
            for t in node.targets:
                if isinstance(t, gast.Subscript):  # x[i] = v: x depends on v and on x
                    edges.append((t.value.id, srcs | {t.value.id}))
                    continue
                for n in walk.name_nodes(t):
                    edges.append((n.id, set() if n.id in stopped else srcs))
        elif isinstance(node, gast.For):
            edges.append((node.target.id, _reads(node.iter)))
        elif isinstance(node, gast.Expr) and _is_append(node.value):
            edges.append((node.value.func.value.id, _reads(node.value.args[0])))
    return edges


def _is_append(call):
    return isinstance(call, gast.Call) and isinstance(call.func, gast.Attribute) \
        and call.func.attr == "append" and isinstance(call.func.value, gast.Name) \
        and len(call.args) == 1


def _closure(start, edges, forward):
    """The names reached from ``start`` along the edges (from a source to its target
    when ``forward``, else back), each edge followed once."""
    step: dict = {}  # name -> the names one edge away
    for target, srcs in edges:
        if forward:
            for src in srcs:
                step.setdefault(src, []).append(target)
        else:
            step.setdefault(target, []).extend(srcs)
    found = set(start)
    todo = list(found)
    for name in todo:  # (a list iterator sees what is appended meanwhile)
        for nxt in step.get(name, ()):
            if nxt not in found:
                found.add(nxt)
                todo.append(nxt)
    return found


def returned(tree) -> set:
    return {n.id for s in walk.statements(tree) if isinstance(s, gast.Return)
            for n in walk.name_nodes(s)}


def run(tree, ctx, active_args, resolved, stopped=frozenset()) -> set:
    """The set of active names, given the names of the active arguments.

    ``stopped``: names treated as constants, whatever they are computed from (values
    whose adjoint is known to be zero, see invariance.py).
    """
    edges = _edges(tree, resolved, stopped)
    varied = _closure(active_args, edges, forward=True)
    useful = _closure(returned(tree), edges, forward=False)
    return varied & useful


def varied(tree, active_args, resolved) -> set:
    """Names that depend on the active arguments (what forward mode needs)."""
    return _closure(active_args, _edges(tree, resolved), forward=True)
