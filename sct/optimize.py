"""Dead code elimination, constant folding and copy propagation, to a fixed point.

Runs on the statement lists of a generated function. Copies (``a = b``) and constants
are forwarded within straight-line code; operations on two constants are computed,
multiplications and divisions by one (and by minus one, to a negation) fold away where
the other operand is known to be a float, and an added negation becomes a
subtraction; statements whose results are never read are removed, except calls that
may have effects (pushes, pops, unknown functions).

Each round runs the passes over the whole body again, until one changes nothing (or,
in a body without if or loop, until nothing a round did can give the next one work:
the next would change nothing, and is not run). A read takes one copy a round (``a``
of ``a = b; b = c`` reads ``b``, then ``c``); the next rounds' copies of names are
taken at once, folded after each as those rounds would, and the constants the next
round would take are taken after this round's dce where nothing else is left for
that round (``_Opt.resume``). What keeps the repeats cheap
lives beside this module: facts.py's table (what a statement reads and writes,
whether folding it again would change it) outlives the rounds, copies.py holds the
copies known at a point, arith.py folds.

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
from .facts import COMMENT, Facts, item_bases, sums as find_sums
from .facts import is_comment as _is_comment
from .fuse import Fuser
from .mutation import new_object, written_in_place

_reads = walk.reads
_Assign, _Name, _Constant = gast.Assign, gast.Name, gast.Constant


class _Opt(Fuser, Folder):
    def __init__(self, floats, pure_call, written=frozenset()):
        super().__init__(floats)
        self.pure_call = pure_call  # call node -> True when it has no effects
        self.written = written  # names that may hold an object written in place
        self.changed = False
        self.no_sums = False  # known: the body holds no a = a + e2 (nothing to fuse)
        # whether the next round may change something (when not, run stops): set by
        # what a round does that may give the next one work; ``ends``: the ids of the
        # statements whose write ended a copy this round (one removed, or moved later
        # by fuse, lets the copy live longer)
        self.unsure = False
        self.ends: set = set()
        self.steps = 1  # (the rounds left: how many copies of a chain to take)
        # in a body without if or loop, (statement, {name: constant}): the constants
        # a statement takes in the next round, taken after fuse (see resume)
        self.pending: list | None = None
        self.absorbed: dict = {}  # id(a = e1) -> the a = e1 + e2 fuse made of it
        self.facts = Facts(self.pure)  # (forget a statement when rewriting it)

    # -- copy and constant propagation -----------------------------------------------
    def propagate(self, stmts, env=None):
        env = Env() if env is None else env
        facts = self.facts
        known = facts.known
        ends = self.ends
        out = []
        for s in stmts:
            if type(s) is _Assign:
                target = s.targets[0]
                entry = known(id(s))
                if entry is None or entry.stmt is not s:
                    entry = facts.entry(s)
                reads_env = env and not env.keys().isdisjoint(entry.reads)
                value = s.value
                if entry.settled and (not reads_env or type(value) is _Name and
                                      type(target) is _Name):
                    # nothing to substitute (a copy's name is not replaced: it is
                    # what the copy is), and folding again would change nothing
                    if type(target) is _Name and len(s.targets) == 1:  # (the
                        # commonest statement, in short)
                        if type(value) is _Name and value.id == target.id:
                            self.drop(target.id, env)
                            continue
                        if env.kill(target.id):
                            ends.add(id(s))
                        if type(value) is _Name:
                            env.add(target.id, value)
                        elif type(value) is _Constant:
                            env.add(target.id, value)
                        out.append(s)
                        continue
                else:
                    self.rewrite(s, target, entry, env, reads_env)
                if type(target) is _Name and len(s.targets) == 1:
                    if type(s.value) is _Name and s.value.id == target.id:
                        self.drop(target.id, env)
                        continue
                    if env.kill(target.id):
                        ends.add(id(s))
                    if type(value) is _Name or type(value) is _Constant:
                        env.add(target.id, value)  # (a value folded to one: from
                        # the next round)
                else:  # (a value, or a = b = v, writes these)
                    for t in facts.writes(s) | item_bases(s):
                        env.kill(t)
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

    def drop(self, name, env):
        """``name = name`` goes: what it ended in ``env`` lives on in the next round."""
        if name in env or env.kill(name):
            env.kill(name)
            self.unsure = True
        self.changed = True

    def rewrite(self, s, target, entry, env, reads_env):
        """The assignment ``s`` with its reads in ``env`` taking the copies ``env``
        holds, folded (``s.value`` is changed in place or replaced); its table entry
        updated.

        A read of a copy of a copy (``a = b``, ``b = c``, then ``f(a)``) takes the
        next copy in the next round (``f(b)``, then ``f(c)``), folded each time: what
        those rounds would do to ``s`` is done here, one copy after another."""
        facts = self.facts
        steps = self.steps
        while True:
            steps -= 1
            edits = self.edits
            more = False  # (whether a copy taken holds a copy the next round takes)
            if reads_env:
                more = chained(entry.reads, env, self.floats)
                self.substitute(s.value, env)
                if isinstance(target, gast.Subscript):
                    self.substitute(target.slice, env)
            taken = self.edits != edits
            before = self.edits
            folded = self.fold(s.value)
            fixed = folded is s.value and self.edits == before
            if isinstance(target, gast.Name) and new_object(s.value) and \
                    not new_object(folded) and (target.id in self.written or
                                                _reads(folded) & self.written):
                # a = x * 1.0; a[0] = v must not become a = x; x[0] = v, nor
                # g = a * 1.0; a[0] = v become g = a (g would see the write)
                folded = s.value
            if self.edits == edits and folded is s.value:
                entry.settled = True  # (nothing changed)
                entry.fixed = fixed
                return
            facts.forget(s)
            if fixed:  # only copies came in: the next round's fold finds nothing
                entry = facts.substituted(s, entry, env) or facts.entry(s)
                entry.settled = entry.fixed = True
            else:
                if folded is not s.value:
                    s.value = folded
                    self.changed = True
                entry = facts.entry(s)
            if more and taken:
                if more == 1 and steps and type(target) is _Name and type(
                        folded) not in (_Name, _Constant):
                    reads_env = True  # (the next round's start)
                    continue
                if not self.wait(s, target, entry, env, steps):
                    self.unsure = True  # (the next round takes the next copies)
            if type(target) is not _Name or not fixed and (
                    type(folded) in (_Name, _Constant) or not entry.settled):
                # copies came in elsewhere, a new copy, what folding may change again
                self.unsure = True
            return

    def wait(self, s, target, entry, env, steps) -> bool:
        """Whether what ``s`` takes in the next round waits in ``pending``: constants
        only (what a name holds still holds where fuse moves ``s``)."""
        if self.pending is None or not steps or type(target) is not _Name:
            return False
        taken = {n: env[n] for n in entry.reads if n in env}
        if not all(type(v) is _Constant for v in taken.values()):
            return False
        self.pending.append((s, taken))
        return True

    def resume(self, stmts, live, last):
        """``stmts`` (after this round's dce, in a body without if or loop) when the
        next round would only take the constants ``pending`` holds: taken now, in
        what fuse made of each statement; where no sum is left (``last``: no later
        round fuses first), the constants' assignments nothing reads now removed
        too, as that round's dce would (``live``: names live at the end)."""
        held: dict = {}  # id(statement) -> (statement, the constants it takes)
        for s, taken in self.pending:
            while id(s) in self.absorbed:
                s = self.absorbed[id(s)]
            held.setdefault(id(s), (s, {}))[1].update(taken)
        self.pending, steps, self.steps = None, self.steps, 1
        here = {id(s) for s in stmts}
        names = set()
        for i, (s, taken) in held.items():
            if i in here:  # (not removed by dce)
                self.rewrite(s, s.targets[0], self.facts.entry(s), Env(taken), True)
                names.update(taken)
        self.steps = steps
        if not last:
            return stmts
        facts = self.facts
        start: dict = {}  # name -> index of its constant assignment, unread since
        dead = set()
        for i, s in enumerate(stmts):
            if type(s) is gast.Expr and type(s.value) is _Constant:
                continue  # (a label)
            entry = facts.entry(s)  # (a simple statement: the body has no if or loop)
            for n in names.intersection(entry.reads):
                start.pop(n, None)
            if type(s) is _Assign and isinstance(s.targets[0], (_Name, gast.Tuple)):
                for n in names.intersection(entry.writes):  # (what dce counts as
                    if n in start:  # a write that ends a value: x += 1 does not)
                        dead.add(start.pop(n))
            if type(s) is _Assign and len(s.targets) == 1 and type(
                    s.targets[0]) is _Name and type(s.value) is _Constant and \
                    s.targets[0].id in names:
                start[s.targets[0].id] = i
        dead.update(i for n, i in start.items() if n not in live)
        if not dead:
            return stmts
        self.changed = True
        if any(id(stmts[i]) in self.ends for i in dead):
            self.unsure = True  # (a copy of what it wrote lives on)
        return _prune_comments([s for i, s in enumerate(stmts) if i not in dead])

    def substitute(self, node, env):
        if env:
            n = substitute(node, env)
            if n:
                self.changed = True
                self.edits += n

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
                    if id(s) in self.ends:
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
    resumed = False
    for round_ in range(max_rounds):
        opt.changed = opt.unsure = False
        opt.ends.clear()
        opt.absorbed.clear()
        opt.steps = max_rounds - round_
        opt.pending = [] if flat else None
        edits = opt.edits
        stmts = opt.propagate(stmts)
        if not (flat and opt.no_sums):  # (else no statement became a sum since)
            stmts = opt.fuse(stmts)
        if round_ and flat and not opt.changed and opt.edits == edits and not resumed:
            break
        stmts, _ = opt.dce(stmts, set(live_out or ()))
        resumed = opt.pending and not opt.unsure  # (else the next round takes them)
        if resumed:  # (then the next round's changes came in now: its dce runs)
            stmts = opt.resume(stmts, set(live_out or ()), opt.no_sums)
        if not opt.changed or flat and opt.no_sums and not opt.unsure:
            break  # (the next round would change nothing)
    opt.facts = None  # (the table refers back to opt: freed now, not by a collection)
    return stmts


def show(stmts) -> str:
    """The source of a statement list (for doctests and debugging)."""
    import ast
    mod = gast.gast_to_ast(gast.Module(body=stmts, type_ignores=[]))
    return ast.unparse(ast.fix_missing_locations(mod))
