"""Reverse mode: a forward sweep that records, then the reversed accumulation of adjoints.

Input: a normalized function (three-address form, versions), its active names, the
kinds of its names and its resolved operations. Output: a :class:`Sweeps` with the two
sweeps as statement lists, which ``assemble.py`` turns into functions.

How values the reverse sweep needs survive the forward sweep:

* top-level names are versioned by ``normalize``: nothing is ever overwritten;
* a name assigned inside ``if``/``for``/``while`` that the reverse sweep reads has
  its old value pushed on the tape before each overwrite and popped back after the
  statement is reversed, so that when the reverse sweep reaches a statement every
  name holds the value it had just after that statement ran;
* branch decisions and trip counts inside loops are pushed after the branch or loop
  and popped just before its reverse.

Adjoints start as "known zero": the first accumulation into one is a plain
assignment, and a branch or loop that leaves one zero on some path writes the zero
explicitly, so every adjoint is defined wherever it is read. In straight-line code
the transform writes no copy of an adjoint and writes sums whole, as the optimizer
would (accumulation.py).

The transform is one class in parts: this module has statements and the pass;
accumulation.py adjoints and accumulation into them; operations.py an operation's
rule, placed; reverse_flow.py branches and loops; items.py writes in place.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import gast

from . import walk
from . import accumulation, blocks, items, operations, record, reverse_flow
from .record import Record, RecordItem, Restore
from .nodes import assign, literal, load
from .operations import call_args as _call_args  # noqa: F401 (forward.py uses it)

COMMENT = "__sct_comment__:"
_OPERATIONS = (gast.Call, gast.BinOp)


def comment(text: str) -> gast.Expr:
    node = gast.Expr.__new__(gast.Expr)
    node.__dict__ = {"value": literal(COMMENT + text)}
    return node


@dataclass
class Sweeps:
    fwd: list
    rev: list
    out: object  # the returned atom
    grads: list  # (arg name, adjoint name or None)
    tape: str | None
    recorded: list = field(default_factory=list)  # names whose values are taped
    adjoints: dict = field(default_factory=dict)
    records: object = None  # what the tape holds, for people (record.Records)


class _Reverse(accumulation.AccumulationReverse, items.ItemsReverse,
               operations.OperationsReverse, reverse_flow.FlowReverse):
    def __init__(self, ctx, active, kinds, resolved, straight=None):
        self.ctx, self.namer = ctx, ctx.namer
        self.active, self.kinds, self.resolved = active, kinds, resolved
        self.init_accumulation(straight)
        self.loop_depth = 0
        self.fixed = set(ctx.fixed_names)
        self.tape = None
        self.last_label = None
        self.last_label_node = None  # the comment of the last label, to keep it
        self.maybe_defined = set(ctx.arg_names)
        self.shapes = ctx.shapes
        self.first_defs = set()  # top-level statements that define a name first
        self.cond_popped = set()  # ids of branches whose decision the reverse pops
        self.filename_short = ctx.quoted.filename_short
        self.firstline = ctx.quoted.firstline
        self.common_classes = {}  # see broadcast.result_class
        self.site = operations.Site(self)

    # -- names -------------------------------------------------------------------------
    def tape_name(self):
        if self.tape is None:
            self.tape = self.namer.fresh("tape")
        return self.tape

    def is_active(self, node) -> bool:
        return isinstance(node, gast.Name) and node.id in self.active

    # -- blocks ----------------------------------------------------------------------------
    def block(self, stmts):
        """``(fwd, rev)`` of a statement list; ``rev`` is built last to first."""
        fwd = []
        for s in stmts:
            fwd.extend(self.forward(s))
        rev = []
        for s in reversed(stmts):
            rev.extend(self.backward(s))
        return fwd, rev

    # -- forward sweep ---------------------------------------------------------------------
    def forward(self, s):
        if type(s) is gast.Assign:
            target = s.targets[0]
            if type(target) is gast.Subscript:
                return [RecordItem(target.value.id, target.slice), s]
            out = []
            fixed = self.fixed
            if fixed:  # (only asked about fixed names)
                for t in s.targets:
                    if isinstance(t, gast.Name) and t.id in fixed \
                            and t.id not in self.ctx.branch_tests:
                        if self.loop_depth == 0 and t.id not in self.maybe_defined:
                            self.first_defs.add(id(s))  # nothing to save yet
                        else:
                            out.append(Record(t.id))
                self.maybe_defined |= walk.writes(s)
            user = self.ctx.user_calls.get(s)
            if user is not None:
                return out + user.forward()
            out.append(s)
            return out
        if isinstance(s, gast.If):
            self.maybe_defined |= _stores(s)
            node = gast.If(test=s.test, body=self.fwd_block(s.body),
                           orelse=self.fwd_block(s.orelse))
            out = [gast.copy_location(node, s)]
            if getattr(s, "sct_exit", False):
                node.sct_exit = True
                return out
            if self.loop_depth:
                out.append(("push-cond", s.test.id, id(s)))  # kept if the reverse pops it
            return out
        if isinstance(s, (gast.For, gast.While)):
            self.maybe_defined |= _stores(s)
            return self.forward_loop(s)
        return [s]

    def fwd_block(self, stmts):
        out = []
        for s in stmts:
            out.extend(self.forward(s))
        return out

    # -- reverse sweep ----------------------------------------------------------------------
    def backward(self, s):
        t = type(s)
        if t is gast.Assign:
            if type(s.value) is gast.Call and _is_method(s.value, "pop"):
                return self.backward_pop(s)
            return self.backward_assign(s)
        if t is gast.Expr and _is_method(s.value, "append"):
            return self.backward_append(s)
        if t is gast.If:
            return self.backward_if(s)
        if t is gast.For or t is gast.While:
            return self.backward_loop(s)
        return []

    def label(self, s, out, keep=False):
        """The user's ``file:line  text`` above the block of ``s`` (once per line);
        ``keep``: kept even with no code under it (``=``, see optimize.py)."""
        line = self.firstline + getattr(s, "lineno", 1) - 1  # (quoted.line(s), inline)
        if line != self.last_label:
            self.last_label = line
            text = self.ctx.quoted.text(s)
            self.last_label_node = comment(
                f"{'=' if keep else ''}{self.filename_short}:{line}  {text}")
            out.append(self.last_label_node)
        elif keep:  # the line's label is already out: make sure it stays
            text = self.last_label_node.value.value[len(COMMENT):]
            if not text.startswith("="):
                self.last_label_node.value.value = f"{COMMENT}={text}"

    def note_invariance(self, s, out):
        """Say why a max or min the result does not change with has no adjoint."""
        self.label(s, out, keep=True)
        what = getattr(self.resolved.get(s.value), "__name__", s.targets[0].id)
        out.append(comment(f"=(the {what} gets no adjoint: the result does not change "
                           "when it shifts)"))

    def backward_assign(self, s):
        target = s.targets[0]
        t = type(target)
        if t is gast.Subscript:
            return self.backward_setitem(s)
        out = []
        names = [target.id] if t is gast.Name else [
            n.id for n in walk.name_nodes(target)]
        active, nz = self.active, self.nz
        self.copy_from = None
        self.live_read = False
        if names[0] in self.ctx.zero_adjoints:
            self.note_invariance(s, out)
        for n in names:
            if n in active and n in nz:  # live: its adjoint flows back
                self.label(s, out)
                if t is gast.Name:
                    self.copy_from = self.adj_read(n)
                user = self.ctx.user_calls.get(s)
                if user is not None:
                    user.backward(self, out)
                elif type(s.value) in _OPERATIONS:  # (the commonest: straight to the rule)
                    self.backward_operation(s, target, out)
                else:
                    self.backward_value(s, target, out)
                break
        fixed, nz = self.fixed, self.nz
        for n in names:
            if n in fixed and id(s) not in self.first_defs \
                    and n not in self.ctx.branch_tests:
                out.append(Restore(n))
            nz.discard(n)
        if self.alias:
            for n in names:
                self.alias.pop(n, None)
        return out

    def rev_block(self, stmts):
        rev = []
        for s in reversed(stmts):
            rev.extend(self.backward(s))
        return rev


def _is_method(value, name):
    return isinstance(value, gast.Call) and isinstance(value.func, gast.Attribute) \
        and value.func.attr == name and isinstance(value.func.value, gast.Name) \
        and len(value.args) == (1 if name == "append" else 0)


# -- the pass ---------------------------------------------------------------------------------
def _stores(s) -> set:
    """Every name ``s`` assigns, nested definitions' parameter annotations included."""
    return {n.id for n in walk.nodes(s) if isinstance(n, gast.Name)
            and isinstance(n.ctx, gast.Store)}


def _assign_counts(all_nodes):
    counts = {}
    for n in all_nodes:
        if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store):
            counts[n.id] = counts.get(n.id, 0) + 1
    return counts


def run(tree, ctx, active, kinds, resolved, active_args, seed) -> Sweeps:
    """The two sweeps of ``tree`` (see the module docstring).

    Args:
        active_args: the argument names whose adjoints are returned, in order.
        seed: ``None`` (the adjoint of the output is a parameter ``out_bar``),
            ``"one"`` (it is 1, the output is a scalar float), or ``"check"`` (1,
            after checking at run time that the output is a scalar).
    """
    ctx.loop_counters = {}
    from .activity import diff_reads
    statements = walk.statements(tree)  # (where the questions below find answers)
    fors, loops, ctx.branch_tests = [], False, set()
    flat = True  # straight-line assignments to names, nothing written in place
    for n in statements:
        t = type(n)
        if t is gast.Assign:
            if type(n.targets[0]) is not gast.Name or type(n.value) is gast.Call \
                    and _is_method(n.value, "pop"):
                flat = False
        elif t is gast.For:
            fors.append(n)
            loops = True
        elif t is gast.While:
            loops = True
        elif t is gast.If:
            ctx.branch_tests.add(n.test.id)
        elif t is not gast.Return:
            flat = False
    if loops:
        ctx.loop_locals, ctx.loop_touched = blocks.loop_facts(
            tree, lambda v: diff_reads(v, resolved))
    else:  # (what loop_facts finds without loops)
        ctx.loop_locals, ctx.loop_touched = {}, {}
    counts = _assign_counts(walk.nodes(tree)) if fors else {}
    ctx.other_assignments = {n.target.id: counts.get(n.target.id, 0) > 1 for n in fors}
    ctx.user_calls = getattr(ctx, "user_calls", {})
    from .mutation import setitem_bases
    ctx.setitem_bases = setitem_bases(tree, statements)
    body, ret = tree.body[:-1], tree.body[-1]
    straight = None
    if flat and not (loops or ctx.branch_tests or ctx.user_calls or ctx.fixed_names):
        # straight-line code, nothing written in place: names are assigned once, and
        # adjoints are read only where the transform asks adj_read (not the returned
        # gradients, of the arguments): see accumulation.py
        straight = frozenset(active).difference(active_args)
    r = _Reverse(ctx, active, kinds, resolved, straight)
    if straight is not None:
        for n in body:
            r.held(n.targets[0].id, n.value)
    out = ret.value
    fwd = r.fwd_block(body)
    seed_name = ctx.namer.fresh("out_bar")
    rev_head = []
    if isinstance(out, gast.Name) and out.id in active:
        r.nz.add(out.id)
        if seed == "one":
            value = gast.Constant(value=1.0, kind=None)
        elif seed == "check":
            from .runtime import scalar_seed
            value = gast.Call(func=ctx.ref(scalar_seed), args=[load(out.id)], keywords=[])
        else:
            value = None
        if out.id in r.fixed or out.id in active_args:
            # the returned name is reassigned: its adjoint starts as the seed
            rev_head.append(assign(r.adj(out.id), value or load(seed_name)))
            if value is not None:
                seed_name = r.adj(out.id)
        else:
            r.adj_names[out.id] = seed_name
            if value is not None:
                rev_head.append(assign(seed_name, value))
    if rev_head and straight is not None:
        r.held(rev_head[0].targets[0].id, rev_head[0].value)  # (the seed)
    rev = r.drop_taken(r.rev_block(body))
    if isinstance(out, gast.Name) and (out.id in r.fixed):
        # the reverse sweep restores overwritten names: keep the value first
        value_name = ctx.namer.fresh("value")
        fwd.append(assign(value_name, load(out.id)))
        out = load(value_name)
    grads = [(a, r.adj(a) if a in r.nz else None) for a in active_args]
    ctx.seed_name = seed_name

    args = {a.id for a in tree.args.args + tree.args.posonlyargs + tree.args.kwonlyargs}
    fwd, rev, inits, records = record.fill(fwd, rev_head, rev, r, ctx, tree, args)
    r.site.close()  # (it and the transform refer to each other)
    return Sweeps(fwd=inits + fwd, rev=rev, out=out, grads=grads, tape=r.tape,
                  recorded=records.names(), adjoints=dict(r.adj_names), records=records)
