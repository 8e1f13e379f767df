"""Accumulations fused for the optimizer: ``a = e1; ...; a = a + e2`` -> ``a = e1 + e2``.

The reverse sweep adds each use's share into an adjoint (``x_bar = x_bar + ...``);
where nothing between the first value and a later addition reads ``a`` or writes
what ``e1`` reads, the two statements become one and ``e1`` is never stored alone.
:class:`Fuser` is the pass, a part of optimize.py's optimizer (it asks that class's
table of statement facts, its folds and its flags).

>>> import gast
>>> from sct.optimize import run, show
>>> body = gast.parse("a = f(x)\\nb = g(y)\\na = a + h(y)\\nreturn a, b").body
>>> print(show(run(body)))
b = g(y)
a = f(x) + h(y)
return (a, b)
"""

from __future__ import annotations

from itertools import islice

import gast

from .facts import is_comment, reads_name, sums as find_sums

_Assign, _Name = gast.Assign, gast.Name
_LOOPS_IFS = (gast.If, gast.For, gast.While)


class Fuser:
    """The fuse pass, a part of ``optimize._Opt``."""

    def fuse(self, stmts):
        """``a = e1; ...; a = a + e2`` -> ``a = e1 + e2`` when nothing between reads ``a``
        or writes what ``e1`` reads.

        One pass: ``last`` holds the latest assignment to each name since the last
        statement that may write into an object; ``read`` and ``written`` the
        latest statement that reads, writes each name. ``a = a + e2`` absorbs ``a = e1``
        when none of these came after it.
        """
        out = list(stmts)
        sums = find_sums(out)  # (names ``a`` of the ``a = a + e2`` here: whose reads count)
        self.no_sums = sums is None  # (what run asks of a body without if or loop)
        if sums is None:
            return out  # (nothing to fuse: the pass would change nothing)
        dropped = set()
        last: dict = {}  # a -> index of the latest ``a = ...``, no barrier since
        read: dict = {}  # name -> index of the latest statement reading it
        written: dict = {}  # name -> index of the latest statement writing it
        values: dict = {}  # index of ``a = e1`` -> its entry
        left = False  # whether a sum that fuse could take stays
        facts = self.facts
        known = facts.known
        fromkeys = dict.fromkeys
        start = 0  # (what comes before the first a = e1 bears on no fusion)
        for t in out:
            if type(t) is _Assign:
                target = t.targets[0]
                if type(target) is _Name and target.id in sums and len(t.targets) == 1:
                    break
            elif isinstance(t, _LOOPS_IFS):
                break
            start += 1
        for j, t in enumerate(islice(out, start, None), start):
            if type(t) is not _Assign:
                if isinstance(t, _LOOPS_IFS):
                    t.body = self.fuse(t.body)
                    t.orelse = self.fuse(t.orelse)
                elif is_comment(t):
                    continue
                last.clear()  # (what is not an assignment may write into an object)
                continue
            entry = known(id(t))
            if entry is None or entry.stmt is not t:
                entry = facts.entry(t)
            if entry.in_place:
                # a write into an object (x[i] = v, a restore, y = lst.pop()) may
                # change what a pending e1 reads under another name: a view, an alias
                last.clear()
                continue
            target = t.targets[0]
            a = target.id if len(t.targets) == 1 and type(target) is _Name else None
            if a is not None and a in sums:  # (else no ``a = a + e2`` follows)
                i = last.get(a)
                v = t.value
                if i is not None and isinstance(v, gast.BinOp) and isinstance(
                        v.op, gast.Add) and isinstance(v.left, gast.Name) \
                        and v.left.id == a and read.get(a, -1) <= i:
                    first = values[i]
                    if all(written.get(n, -1) <= i for n in first.value_reads) and \
                            written.get(a, -1) <= i and not reads_name(v.right, a):
                        v.left = out[i].value
                        if first.fixed and entry.fixed:  # (e1 and e2 fold to themselves)
                            new = self._binop(v)
                            fixed = new is v
                        else:
                            edits = self.edits
                            new = self.fold(v)
                            fixed = new is v and self.edits == edits
                        t.value = new
                        entry = facts.fused(t, first, entry, a)
                        entry.settled = entry.fixed = fixed
                        dropped.add(i)
                        self.absorbed[id(out[i])] = t
                        self.changed = True
                        if not fixed or id(out[i]) in self.ends:
                            self.unsure = True
                if not left:  # (a sum that stays may fuse in the next round)
                    left = find_sums((t,)) is not None
                last[a] = j
                values[j] = entry
            if a is not None and len(entry.writes) == 1:  # (the name alone: commonest)
                written[a] = j
            else:
                written.update(fromkeys(entry.writes, j))
            if not sums.isdisjoint(entry.reads):
                read.update(fromkeys(sums.intersection(entry.reads), j))
        self.no_sums = not left  # (a sum written into an object is never taken)
        return [t for k, t in enumerate(out) if k not in dropped] if dropped else out

