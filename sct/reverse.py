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
explicitly, so every adjoint is defined wherever it is read.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import gast

from . import walk
from . import blocks, broadcast, items, record, template
from .record import Record, RecordItem, Restore, _pop, _push
from .errors import NoDerivative, UnsupportedSyntax
from .nodes import assign, binop, call, constant, load, store
from .rules import lookup
from .runtime import add_adjoint, zeros_like

COMMENT = "__sct_comment__:"
_UNSET = object()


def comment(text: str) -> gast.Expr:
    node = gast.Expr.__new__(gast.Expr)
    node.__dict__ = {"value": constant(COMMENT + text)}
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


class _Reverse(items.ItemsReverse):
    def __init__(self, ctx, active, kinds, resolved):
        self.ctx, self.namer = ctx, ctx.namer
        self.active, self.kinds, self.resolved = active, kinds, resolved
        self.adj_names: dict = {}
        self.nz: set = set()  # names whose adjoint may be non-zero (is defined)
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
        self.common_classes = {}  # see broadcast.result_class

    # -- names -------------------------------------------------------------------------
    def adj(self, name: str) -> str:
        if name not in self.adj_names:
            self.adj_names[name] = self.namer.fresh(name + "_bar")
        return self.adj_names[name]

    def tape_name(self):
        if self.tape is None:
            self.tape = self.namer.fresh("tape")
        return self.tape

    def is_active(self, node) -> bool:
        return isinstance(node, gast.Name) and node.id in self.active

    # -- accumulation --------------------------------------------------------------------
    def accumulate(self, name, expr, out):
        """``d[name] += expr``; the first time, a plain assignment."""
        a = self.adj(name)
        if name not in self.nz:
            out.append(assign(a, expr))
            self.nz.add(name)
        elif self.kinds.get(name) in ("T", "O"):
            out.append(assign(a, call(self.ctx.ref(add_adjoint), [load(a), expr])))
        else:
            out.append(assign(a, binop(load(a), gast.Add, expr)))

    def deriv_of(self, node):
        """The adjoint of an atom as an expression, or a zero marker."""
        if type(node) is gast.Name and node.id in self.active and node.id in self.nz:
            return load(self.adj(node.id))
        if isinstance(node, (gast.List, gast.Tuple)):
            return type(node)(elts=[self.deriv_of(e) for e in node.elts],
                              ctx=gast.Load())
        return template.zero(node)

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
        if isinstance(s, gast.Assign) and isinstance(s.targets[0], gast.Subscript):
            t = s.targets[0]
            return [RecordItem(t.value.id, t.slice), s]
        if isinstance(s, gast.Assign):
            out = []
            for t in s.targets:
                if isinstance(t, gast.Name) and t.id in self.fixed \
                        and t.id not in self.ctx.branch_tests:
                    if self.loop_depth == 0 and t.id not in self.maybe_defined:
                        self.first_defs.add(id(s))  # nothing to save yet
                    else:
                        out.append(Record(t.id))
            if self.fixed:  # (only asked about fixed names)
                self.maybe_defined |= walk.writes(s)
            user = self.user_call(s)
            if user is not None:
                return out + user.forward()
            return out + [s]
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

    def forward_loop(self, s):
        n_iter = self.ctx.loop_counters.setdefault(
            s, self.namer.fresh("n_iter", first_suffix=2))
        pre = [assign(n_iter, gast.Constant(value=0, kind=None))]
        target = s.target.id if isinstance(s, gast.For) else None
        if target is not None and self.ctx.other_assignments.get(target):
            pre.insert(0, Record(target))
        self.loop_depth += 1
        body = self.fwd_block(s.body)
        self.loop_depth -= 1
        exit_check = body.pop() if body and getattr(body[-1], "sct_exit", False) else None
        body.append(assign(n_iter, gast.BinOp(left=load(n_iter), op=gast.Add(),
                                              right=gast.Constant(value=1, kind=None))))
        if target is not None:
            body.append(("push-target", target))
        if exit_check is not None:
            body.append(exit_check)
        if isinstance(s, gast.For):
            node = gast.For(target=s.target, iter=s.iter, body=body, orelse=[],
                            type_comment=None)
        else:
            node = gast.While(test=s.test, body=body, orelse=[])
        out = pre + [gast.copy_location(node, s)]
        if self.loop_depth:
            out.append(_push(self.tape_name(), n_iter))
        return out

    # -- reverse sweep ----------------------------------------------------------------------
    def backward(self, s):
        if isinstance(s, gast.Assign) and _is_method(s.value, "pop"):
            return self.backward_pop(s)
        if isinstance(s, gast.Expr) and _is_method(s.value, "append"):
            return self.backward_append(s)
        if isinstance(s, gast.Assign):
            return self.backward_assign(s)
        if isinstance(s, gast.If):
            return self.backward_if(s)
        if isinstance(s, (gast.For, gast.While)):
            return self.backward_loop(s)
        return []

    def label(self, s, out, keep=False):
        """The user's ``file:line  text`` above the block of ``s`` (once per line);
        ``keep``: kept even with no code under it (``=``, see optimize.py)."""
        line = self.ctx.quoted.line(s)
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
        if isinstance(s.targets[0], gast.Subscript):
            return self.backward_setitem(s)
        out = []
        target = s.targets[0]
        names = [target.id] if type(target) is gast.Name else [
            n.id for n in walk.name_nodes(target)]
        live = [n for n in names if n in self.active and n in self.nz]
        if names[0] in self.ctx.zero_adjoints:
            self.note_invariance(s, out)
        if live:
            self.label(s, out)
            user = self.user_call(s)
            if user is not None:
                user.backward(self, out)
            else:
                self.backward_value(s, target, out)
        for n in names:
            if n in self.fixed and id(s) not in self.first_defs \
                    and n not in self.ctx.branch_tests:
                out.append(Restore(n))
            self.nz.discard(n)
        return out

    def backward_value(self, s, target, out):
        value = s.value
        t = type(value)
        if t is gast.Call or t is gast.BinOp:  # (the commonest: straight to the rule)
            return self.backward_operation(s, target, out)
        if t is gast.Constant:
            return
        if t is gast.Name:
            if value.id in self.active:
                self.accumulate(value.id, load(self.adj(target.id)), out)
            return
        if t is gast.Dict:
            for k, e in zip(value.keys, value.values):
                if self.is_active(e):
                    item = gast.Subscript(value=load(self.adj(target.id)),
                                          slice=walk.clone(k), ctx=gast.Load())
                    self.accumulate(e.id, item, out)
            return
        if t is gast.Tuple or t is gast.List:
            for i, e in enumerate(value.elts):
                if self.is_active(e):
                    item = gast.Subscript(value=load(self.adj(target.id)),
                                          slice=gast.Constant(value=i, kind=None),
                                          ctx=gast.Load())
                    self.accumulate(e.id, item, out)
            return
        return self.backward_operation(s, target, out)

    def backward_operation(self, s, target, out):
        """The adjoint of an operation with a derivative rule: its template, placed."""
        value = s.value
        active = self.active
        for n in walk.name_nodes(value):
            if n.id in active:
                break
        else:
            return  # only inactive operands: no derivative flows here
        if type(value) is gast.BinOp and any(
                isinstance(o, gast.Name) and self.kinds.get(o.id) == "T"
                for o in (value.left, value.right)):
            q = self.ctx.quoted
            raise UnsupportedSyntax([(q.filename, q.line(s),
                                      f"'{q.text(s)}': '+' or '*' on a list or tuple "
                                      f"(concatenation, repetition) is not supported in "
                                      f"differentiated code (in function '{q.name}'); "
                                      f"build the list with append or a comprehension")])
        args, kws = _call_args(value)
        fn = self.resolved.get(value)
        r = lookup(fn) if fn is not None else None
        if r is None or not r.has_mode("adjoint"):
            raise NoDerivative(self.no_rule_message(s, value, fn))
        if r.nondiff:
            return
        binding = template.bind(r, args, kws, lambda: self.ctx.quoted.where(s))
        result = r.result
        binding[result] = load(target.id)

        def deriv(param):
            if param == result:
                return load(self.adj(target.id))
            return self.deriv_of(binding[param])

        items = template.instantiate(r, "adjoint", binding, deriv, self.ctx.ref,
                                     self.namer.fresh)
        common = _UNSET  # the class of the result, for broadcasting: found once
        for item in items:
            kind, param, expr = item
            if kind == "local":
                out.append(assign(param, expr))
                continue
            bound = binding[param]
            if type(expr) is gast.Name and expr.id == template.ZERO:
                continue
            tb = type(bound)
            if tb is gast.List or tb is gast.Tuple:
                self.accumulate_sequence(bound, expr, out)
                continue
            if tb is not gast.Name or bound.id not in active:
                continue
            if r.elementwise:
                if common is _UNSET:
                    common = broadcast.result_class(args, self.shapes,
                                                    self.common_classes)
                expr = broadcast.undo(expr, bound, r.positions[param], args, self.shapes,
                                      self.kinds, self.ctx.ref, common)
            self.accumulate(bound.id, expr, out)

    def accumulate_sequence(self, seq, expr, out):
        if not any(self.is_active(e) for e in seq.elts):
            return
        parts = self.namer.fresh("parts")
        out.append(assign(parts, expr))
        for i, e in enumerate(seq.elts):
            if self.is_active(e):
                item = gast.Subscript(value=load(parts),
                                      slice=gast.Constant(value=i, kind=None),
                                      ctx=gast.Load())
                self.accumulate(e.id, item, out)

    def no_rule_message(self, s, value, fn):
        where = self.ctx.quoted.where(s)
        text = self.ctx.quoted.text(s)
        if isinstance(value, gast.Call) and isinstance(value.func, gast.Attribute) and \
                value.func.attr == "pop" and (value.args or value.keywords):
            return (f"{where}: cannot differentiate '{text}': a differentiated list can "
                    f"only be popped from its end, lst.pop() (in function "
                    f"'{self.ctx.quoted.name}'); take lst[i] and rebuild the list instead")
        if fn is None:
            what = gast.unparse(value) if hasattr(gast, "unparse") else type(value).__name__
            return (f"{where}: cannot differentiate '{text}': the call or operation is not "
                    f"known when the derivative is built (in function "
                    f"'{self.ctx.quoted.name}'). Call a module-level function or one with "
                    f"a derivative rule (see sct.rule). [{what}]")
        name = getattr(fn, "__qualname__", None) or getattr(fn, "__name__", repr(fn))
        module = getattr(fn, "__module__", None)
        full = f"{module}.{name}" if module and module != "builtins" else name
        return (f"{where}: no derivative rule for '{full}' (in function "
                f"'{self.ctx.quoted.name}', '{text}'). Register one with "
                f"@sct.rule({name}), or wrap the call in sct.stop_gradient if its "
                f"derivative should be zero.")

    def backward_if(self, s):
        if getattr(s, "sct_exit", False):
            return []  # `if broke: break`: the trip count already says where it ended
        start = set(self.nz)
        body = self.rev_block(s.body)
        after_body = set(self.nz)
        self.nz = set(start)
        orelse = self.rev_block(s.orelse)
        after_else = set(self.nz)
        union = after_body | after_else
        body += self.zeros(union - after_body)
        orelse += self.zeros(union - after_else)
        self.nz = union
        if not body and not orelse:
            return []
        if not body:
            node = gast.If(test=gast.UnaryOp(op=gast.Not(), operand=load(s.test.id)),
                           body=orelse, orelse=[])
        else:
            node = gast.If(test=load(s.test.id), body=body, orelse=orelse)
        out = []
        if self.loop_depth:
            self.cond_popped.add(id(s))
            out.append(_pop(self.tape_name(), s.test.id))
        return out + [node]

    def zeros(self, names):
        out = []
        for n in sorted(names):
            if n in self.ctx.setitem_bases or self.kinds.get(n) == "T":
                value = gast.Call(func=self.ctx.ref(zeros_like), args=[load(n)],
                                  keywords=[])
            else:
                value = gast.Constant(value=0.0, kind=None)
            out.append(assign(self.adj(n), value))
        return out

    def rev_block(self, stmts):
        rev = []
        for s in reversed(stmts):
            rev.extend(self.backward(s))
        return rev

    def backward_loop(self, s):
        n_iter = self.ctx.loop_counters[s]
        local = self.ctx.loop_locals.get(s, set())
        touched = self.ctx.loop_touched.get(s, set()) & self.active
        start = (set(self.nz) | touched) - local
        inits = self.zeros(start - self.nz - local)
        self.nz = set(start)
        self.loop_depth += 1
        body = []
        target = s.target.id if isinstance(s, gast.For) else None
        if target is not None:
            body.append(("pop-target", target))
        body += self.rev_block(s.body)
        self.loop_depth -= 1
        end = set(self.nz)
        body += self.zeros(start - end)
        self.nz = start | (end - local)
        out = []
        if self.loop_depth:
            out.append(_pop(self.tape_name(), n_iter))
        out += inits
        count = gast.Call(func=self.ctx.ref(range), args=[load(n_iter)], keywords=[])
        loop = gast.For(target=store(self.namer.fresh("_")), iter=count,
                        body=body or [gast.Pass()], orelse=[], type_comment=None)
        out.append(loop)
        if target is not None and self.ctx.other_assignments.get(target):
            out.append(Restore(target))
        return out

    # -- calls to user functions -----------------------------------------------------------
    def user_call(self, s):
        return self.ctx.user_calls.get(s)


def _call_args(value):
    """The positional and keyword atoms of an operation, as for a call."""
    if isinstance(value, gast.Call):
        return list(value.args), {k.arg: k.value for k in value.keywords}
    if isinstance(value, gast.BinOp):
        return [value.left, value.right], {}
    if isinstance(value, gast.UnaryOp):
        return [value.operand], {}
    if isinstance(value, gast.Subscript):
        return [value.value, value.slice], {}
    if isinstance(value, gast.Compare):
        return [value.left, value.comparators[0]], {}
    return [], {}


def _is_method(value, name):
    return isinstance(value, gast.Call) and isinstance(value.func, gast.Attribute) \
        and value.func.attr == name and isinstance(value.func.value, gast.Name) \
        and len(value.args) == (1 if name == "append" else 0)


def _method_call(obj, name, *args):
    return gast.Call(func=gast.Attribute(value=obj, attr=name, ctx=gast.Load()),
                     args=list(args), keywords=[])


# -- the pass ---------------------------------------------------------------------------------
def _stores(s) -> set:
    """Every name ``s`` assigns, nested definitions' parameter annotations included."""
    return {n.id for n in walk.nodes(s) if isinstance(n, gast.Name)
            and isinstance(n.ctx, gast.Store)}


_HOLDERS = (gast.stmt, gast.excepthandler, gast.match_case)  # what holds statements


def _statements(tree) -> list:
    """Every statement in ``tree`` (nested ones too): ``walk.nodes`` without the
    expressions, which hold no statement."""
    out, todo = [], [tree]
    for n in todo:  # (a list iterator sees what is appended meanwhile)
        for field_ in n._fields:
            v = getattr(n, field_, None)
            if type(v) is list:
                for x in v:
                    if isinstance(x, _HOLDERS):
                        todo.append(x)
                        if isinstance(x, gast.stmt):
                            out.append(x)
    return out


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
    statements = _statements(tree)  # (where the questions below find their answers)
    fors, loops, ctx.branch_tests = [], False, set()
    for n in statements:
        t = type(n)
        if t is gast.For:
            fors.append(n)
            loops = True
        elif t is gast.While:
            loops = True
        elif t is gast.If:
            ctx.branch_tests.add(n.test.id)
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
    r = _Reverse(ctx, active, kinds, resolved)
    body, ret = tree.body[:-1], tree.body[-1]
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
    rev = r.rev_block(body)
    if isinstance(out, gast.Name) and (out.id in r.fixed):
        # the reverse sweep restores overwritten names: keep the value first
        value_name = ctx.namer.fresh("value")
        fwd.append(assign(value_name, load(out.id)))
        out = load(value_name)
    grads = [(a, r.adj(a) if a in r.nz else None) for a in active_args]
    ctx.seed_name = seed_name

    args = {a.id for a in tree.args.args + tree.args.posonlyargs + tree.args.kwonlyargs}
    fwd, rev, inits, records = record.fill(fwd, rev_head, rev, r, ctx, tree, args)
    return Sweeps(fwd=inits + fwd, rev=rev, out=out, grads=grads, tape=r.tape,
                  recorded=records.names(), adjoints=dict(r.adj_names), records=records)
