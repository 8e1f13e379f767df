"""Which names live within one block, and what a loop's reverse may touch.

A name is *local* to a block (a statement list) when it is assigned exactly once, by a
statement of that block, and read only later in the same block. Temporaries made by
``normalize`` are local. In the reverse sweep a local name's adjoint starts at zero
each time its block is reversed, so it needs no initialization or reset, even in a
loop.

>>> import gast
>>> tree = gast.parse('''
... def f(x, n):
...     y = 0.0
...     for i in range(n):
...         t = x * i
...         y = y + t
...     return y
... ''').body[0]
>>> sorted(local_names(tree))
['t']
"""

from __future__ import annotations

import gast

from . import walk

_BLOCK_FIELDS = ("body", "orelse")


def _blocks(node):
    for f in _BLOCK_FIELDS:
        b = getattr(node, f, None)
        if isinstance(b, list) and b and isinstance(b[0], gast.stmt):
            yield b


_loads = walk.loads


def local_names(tree) -> dict:
    """``{name: defining statement}`` for every block-local name."""
    counts, total_reads = {}, {}  # per name: assignments, reads
    for n in walk.name_nodes(tree):
        if type(n.ctx) is gast.Store:
            counts[n.id] = counts.get(n.id, 0) + 1
        elif type(n.ctx) is gast.Load:
            total_reads[n.id] = total_reads.get(n.id, 0) + 1
    args = {a.id for a in tree.args.args + tree.args.posonlyargs + tree.args.kwonlyargs}
    found = {}

    def visit(block):
        # per name: how often this block reads it, and the first statement that does
        in_block, first = {}, {}
        for j, st in enumerate(block):
            for name in _loads(st):
                in_block[name] = in_block.get(name, 0) + 1
                first.setdefault(name, j)
        for i, st in enumerate(block):
            if isinstance(st, gast.Assign) and len(st.targets) == 1 and isinstance(
                    st.targets[0], gast.Name):
                name = st.targets[0].id
                if counts.get(name) == 1 and name not in args:
                    # local: every read of the name is in this block, after st
                    if in_block.get(name, 0) == total_reads.get(name, 0) and \
                            first.get(name, i + 1) > i:
                        found[name] = st
            for inner in _blocks(st):
                visit(inner)

    visit(tree.body)
    return found


def loop_facts(tree, diff_reads):
    """Per loop: names local to its body, and names whose adjoints its reverse touches.

    Args:
        diff_reads: ``value -> names`` a derivative can flow from (see activity.py).
    """
    loops = [n for n in walk.nodes(tree) if isinstance(n, (gast.For, gast.While))]
    local = local_names(tree) if loops else {}  # (only loops ask)
    locals_, touched = {}, {}
    for loop in loops:
        body_ids = {id(s) for s in loop.body}
        inside = {id(n) for n in walk.nodes(loop)}
        locals_[loop] = {n for n, st in local.items() if id(st) in body_ids}
        nested_local = {n for n, st in local.items() if id(st) in inside}
        t = set()
        for n in walk.nodes(loop):
            if isinstance(n, gast.Assign):
                t |= diff_reads(n.value)
                t |= {x.id for x in n.targets if isinstance(x, gast.Name)}
        touched[loop] = t - nested_local
    return locals_, touched
