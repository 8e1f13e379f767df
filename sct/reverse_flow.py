"""Branches and loops in the two sweeps: decisions and trip counts kept for the reverse.

A mixin of the reverse transform (reverse.py). The forward sweep counts each loop's
passes (``n_iter``) and, inside loops, pushes branch decisions and counts on the
tape; the reverse sweep runs a loop's reversed body that many times and takes the
branch the forward sweep took. An adjoint that one path leaves at "known zero" and
another makes non-zero is set to zero explicitly on the first, so that it is defined
after the branch or loop whichever way it went. For ``y = y + x * x`` in a loop::

    n_iter = 0                        # forward sweep
    for i in range(n):
        n_iter = n_iter + 1
    x_bar = 0.0                       # reverse sweep: zero before the first pass
    for t in range(n_iter):
        y_plus_x_times_x_bar = y_bar
        y_bar = y_plus_x_times_x_bar
        x_bar = x_bar + y_plus_x_times_x_bar * x + x * y_plus_x_times_x_bar
"""

from __future__ import annotations

import gast

from .nodes import assign, load, store
from .record import Record, Restore, _pop, _push
from .runtime import zeros_like


class FlowReverse:
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
