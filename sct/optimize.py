"""Dead code elimination, constant folding and copy propagation, to a fixed point.

Runs on the statement lists of a generated function. Copies (``a = b``) and constants
are forwarded within straight-line code; operations on two constants are computed,
multiplications and divisions by one (and by minus one, to a negation) fold away where
the other operand is known to be a float, and an added negation becomes a
subtraction; statements whose results are never read are removed, except calls that
may have effects (pushes, pops, unknown functions).

Each round runs the passes over the whole body again, until one changes nothing (or,
in a body without if or loop, until nothing a round did can give the next one work:
the next would change nothing, and is not run); what keeps the repeats cheap lives
beside this module: facts.py's table (what a statement
reads and writes, whether folding it again would change it) outlives the rounds,
copies.py holds the copies known at a point, arith.py folds.

>>> import gast
>>> body = gast.parse("a = 1.0\\nb = a * x\\nc = b\\nd = c + y\\nunused = x * x\\n"
...                   "return d").body
>>> print(show(run(body, floats={"x", "y", "b", "c", "d"})))
d = x + y
return d
"""

from __future__ import annotations

import gast

from . import walk
from .arith import Folder
from .copies import Env, chained, substitute
from .facts import Facts, item_bases, reads_name, sums as find_sums
from .mutation import new_object, written_in_place

COMMENT = "__sct_comment__:"


_reads = walk.reads
_Assign, _Name, _Constant = gast.Assign, gast.Name, gast.Constant


def _is_comment(s) -> bool:
    return isinstance(s, gast.Expr) and isinstance(s.value, gast.Constant) \
        and isinstance(s.value.value, str) and s.value.value.startswith(COMMENT)


class _Opt(Folder):
    def __init__(self, floats, pure_call, written=frozenset()):
        super().__init__(floats)
        self.pure_call = pure_call  # call node -> True when it has no effects
        self.written = written  # names that may hold an object written in place
        self.changed = False
        self.no_sums = False  # known: the body holds no a = a + e2 (nothing to fuse)
        # whether the next round may change something (when not, run stops): set by
        # what a round does that may give the next one work; ``copied``: the names
        # copies copy this round (a write of one, removed, lets a copy live longer)
        self.unsure = False
        self.copied: set = set()
        self.facts = Facts(self.pure)  # (forget a statement when rewriting it)

    # -- copy and constant propagation -----------------------------------------------
    def propagate(self, stmts, env=None):
        env = Env() if env is None else env
        facts = self.facts
        known = facts.known
        copied = self.copied
        out = []
        for s in stmts:
            if type(s) is _Assign:
                target = s.targets[0]
                entry = known(id(s))
                if entry is None or entry.stmt is not s:
                    entry = facts.entry(s)
                reads_env = env and not env.keys().isdisjoint(entry.reads)
                if entry.settled and not reads_env:
                    # nothing to substitute, and folding again would change nothing
                    folded = s.value
                    if type(target) is _Name:  # (the commonest statement, in short)
                        env.kill(target.id)
                        if type(folded) is _Name:
                            if folded.id == target.id:
                                self.changed = True
                                continue
                            env.add(target.id, folded)
                            copied.add(folded.id)
                        elif type(folded) is _Constant:
                            env.add(target.id, folded)
                        out.append(s)
                        continue
                else:
                    edits = self.edits
                    if reads_env:
                        if not self.unsure:
                            self.unsure = chained(entry.reads, env)
                        self.substitute(s.value, env)
                        if isinstance(target, gast.Subscript):
                            self.substitute(target.slice, env)
                    before = self.edits
                    folded = self.fold(s.value)
                    fixed = folded is s.value and self.edits == before
                    if isinstance(target, gast.Name) and new_object(s.value) and \
                            not new_object(folded) and (target.id in self.written or
                                                        _reads(folded) & self.written):
                        # a = x * 1.0; a[0] = v must not become a = x; x[0] = v, nor
                        # g = a * 1.0; a[0] = v become g = a (g would see the write)
                        folded = s.value
                    if self.edits != edits or folded is not s.value:
                        if not fixed or type(target) is not _Name:
                            self.unsure = True  # (folded, or copies came in elsewhere)
                        facts.forget(s)
                        if fixed:  # only copies came in: the next round's fold finds
                            # nothing (its entry, made now)
                            entry = facts.substituted(s, entry, env) or facts.entry(s)
                            entry.settled = entry.fixed = True
                    else:
                        entry.settled = True
                        entry.fixed = fixed
                if type(target) is gast.Name:  # (a value writes no name)
                    env.kill(target.id)
                else:
                    for t in facts.writes(s) | item_bases(s):
                        env.kill(t)
                if isinstance(target, gast.Name) and isinstance(
                        s.value, (gast.Name, gast.Constant)) and not (
                        isinstance(s.value, gast.Name) and s.value.id == target.id):
                    env.add(target.id, s.value)
                    if isinstance(s.value, gast.Name):
                        copied.add(s.value.id)
                if folded is not s.value:
                    s.value = folded
                    self.changed = True
                if isinstance(s.value, gast.Name) and isinstance(target, gast.Name) \
                        and s.value.id == target.id:
                    self.changed = True
                    continue
                if self.no_sums and find_sums((s,)) is not None:
                    self.no_sums = False  # (a copy came in as the left of a sum)
                out.append(s)
            elif type(s) is gast.Expr and type(s.value) is _Constant:
                out.append(s)  # (a label: it reads and writes nothing)
            elif isinstance(s, (gast.If, gast.For, gast.While)):
                head = s.test if not isinstance(s, gast.For) else s.iter
                if not isinstance(s, gast.While):
                    self.substitute(head, env)
                for t in facts.writes(s):
                    env.kill(t)
                self.unsure = True  # (what run asks of a body without if or loop)
                inner = env.copy() if isinstance(s, gast.If) else Env()
                s.body = self.propagate(s.body, inner.copy())
                s.orelse = self.propagate(s.orelse, inner.copy())
                out.append(s)
            else:  # a simple statement, or a compound one of another kind
                simple = facts.entry(s) is not None
                if not simple or (env and not env.keys().isdisjoint(facts.reads(s))):
                    edits = self.edits
                    self.substitute(s, env)
                    if self.edits != edits:
                        self.unsure = True
                        for inner in (s,) if simple else walk.nodes(s):
                            facts.forget(inner)
                for t in facts.writes(s):
                    env.kill(t)
                out.append(s)
        return out

    def substitute(self, node, env):
        if env:
            n = substitute(node, env)
            if n:
                self.changed = True
                self.edits += n

    # -- fusing accumulations --------------------------------------------------------------
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
        for j, t in enumerate(out):
            if type(t) is not _Assign:
                if isinstance(t, (gast.If, gast.For, gast.While)):
                    t.body = self.fuse(t.body)
                    t.orelse = self.fuse(t.orelse)
                elif _is_comment(t):
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
                        self.changed = self.unsure = True
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

    # -- dead code ------------------------------------------------------------------------
    def pure(self, value) -> bool:
        for n in walk.nodes(value):
            if isinstance(n, gast.Call) and not self.pure_call(n):
                return False
        return True

    def dce(self, stmts, live):
        """``(stmts, live before)`` with dead assignments removed."""
        facts = self.facts
        out = []
        live = set(live)  # (updated in place from here on)
        known = facts.known
        for s in reversed(stmts):
            if type(s) is _Assign and type(s.targets[0]) is _Name:
                entry = known(id(s))
                if entry is None or entry.stmt is not s:
                    entry = facts.entry(s)
                if live.isdisjoint(entry.writes) and facts.pure_value(s):
                    self.changed = True
                    if not self.copied.isdisjoint(entry.writes):
                        self.unsure = True  # (a copy of what it wrote lives on)
                    continue
                live -= entry.writes
                live |= entry.value_reads
                out.append(s)
            elif isinstance(s, gast.Assign) and not isinstance(s.targets[0], gast.Name) \
                    and not isinstance(s.targets[0], gast.Tuple):
                live |= facts.reads(s)  # x[i] = v writes into x: an effect
                out.append(s)
            elif isinstance(s, gast.Assign):
                entry = facts.entry(s)
                if live.isdisjoint(entry.writes) and facts.pure_value(s):
                    self.changed = self.unsure = True
                    continue
                live -= entry.writes
                live |= entry.value_reads
                out.append(s)
            elif isinstance(s, gast.If):
                s.body, lb = self.dce(s.body, set(live))
                s.orelse, le = self.dce(s.orelse, set(live))
                if not s.body and not s.orelse and self.pure(s.test):
                    self.changed = True
                    continue
                if not s.body:
                    s.body = [gast.Pass()]
                live = lb | le | _reads(s.test)
                out.append(s)
            elif isinstance(s, (gast.For, gast.While)):
                head = _reads(s.iter) if isinstance(s, gast.For) else _reads(s.test)
                inner = set(live) | head
                while True:
                    body = walk.clone(s.body)
                    saved = self.changed
                    _, lb = self.dce(body, set(inner))
                    self.changed = saved
                    new = inner | lb
                    if new == inner:
                        break
                    inner = new
                s.body, lb = self.dce(s.body, set(inner))
                if not s.body:
                    s.body = [gast.Pass()]
                live |= lb | head
                out.append(s)
            elif isinstance(s, gast.Pass):
                continue
            elif _is_comment(s):
                out.append(s)
            else:
                live |= facts.reads(s)
                out.append(s)
        out.reverse()
        return _prune_comments(out), live


def _prune_comments(stmts):
    """Drop labels with nothing under them."""
    out = []
    for i, s in enumerate(stmts):
        if type(s) is gast.Expr and _is_comment(s) and \
                not s.value.value[len(COMMENT):].startswith("="):
            nxt = stmts[i + 1] if i + 1 < len(stmts) else None
            if nxt is None or _is_comment(nxt) or isinstance(nxt, gast.Return):
                continue
        out.append(s)
    return out


def run(stmts, floats=(), pure_call=lambda call: False, live_out=None, max_rounds=10):
    """Optimize a function body to a fixed point.

    Args:
        stmts: the body; the values a ``return`` reads are live at the end.
        floats: names known to hold floats (lets ``1.0 * x`` fold to ``x``).
        pure_call: ``call node -> bool``, true for calls without effects.
        live_out: names live at the end when the body has no ``return``.
    """
    opt = _Opt(set(floats), pure_call)
    if not opt.facts.scan(stmts):  # (the entries the first round needs, made at once)
        opt.written = written_in_place(stmts)
    # dce's output, given to dce again, comes out as it went in where no if or loop
    # is (dce puts a new pass into an emptied body): a round in which propagate and
    # fuse changed nothing ends there
    flat = not opt.facts.compound  # (scan met no if or loop)
    for round_ in range(max_rounds):
        opt.changed = opt.unsure = False
        opt.copied.clear()
        edits = opt.edits
        stmts = opt.propagate(stmts)
        if not (flat and opt.no_sums):  # (else no statement became a sum since)
            stmts = opt.fuse(stmts)
        if round_ and flat and not opt.changed and opt.edits == edits:
            break
        stmts, _ = opt.dce(stmts, set(live_out or ()))
        if not opt.changed or flat and opt.no_sums and not opt.unsure:
            break  # (the next round would change nothing)
    opt.facts = None  # (the table refers back to opt: freed now, not by a collection)
    return stmts


def show(stmts) -> str:
    """The source of a statement list (for doctests and debugging)."""
    import ast
    mod = gast.gast_to_ast(gast.Module(body=stmts, type_ignores=[]))
    return ast.unparse(ast.fix_missing_locations(mod))
