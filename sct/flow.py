"""Early ``return``, ``break`` and ``continue`` -> flags and guarded blocks.

The reverse transform replays the path the forward sweep took from recorded branch
decisions and trip counts, so every jump becomes ordinary structured control flow
first. A ``return`` inside the function stores its value and sets a flag; later
statements run under ``if not returned``. ``break`` and ``continue`` set flags that
guard the rest of the loop body; ``if broke: break`` is the last statement of the
body, so every pass through the loop (the one that breaks included) is counted.

>>> import gast, sct.emit
>>> tree = gast.parse('''
... def f(x):
...     for i in range(3):
...         if x > 2.0:
...             break
...         x = x * 2.0
...     return x
... ''').body[0]
>>> from sct.names import Namer
>>> print(sct.emit.to_source(run(tree, Namer({"f", "x", "i"}))).rstrip())
def f(x):
    for i in range(3):
        broke = False
        if x > 2.0:
            broke = True
        if not broke:
            x = x * 2.0
        if broke:
            break
    return x
"""

from __future__ import annotations

import gast

from .normalize import assign, load

_LOOPS = (gast.For, gast.While)


def _const(v):
    return gast.Constant(value=v, kind=None)


def _not(name):
    return gast.UnaryOp(op=gast.Not(), operand=load(name))


def _has(node, kinds, stop_at_loops):
    """Whether ``node`` contains a statement of ``kinds`` (not inside nested loops)."""
    if isinstance(node, kinds):
        return True
    for f in ("body", "orelse"):
        for s in getattr(node, f, []) or []:
            if stop_at_loops and isinstance(s, _LOOPS):
                continue
            if _has(s, kinds, stop_at_loops):
                return True
    return False


class _Flow:
    def __init__(self, namer):
        self.namer = namer
        self.returned = None  # flag name once the function needs one
        self.retval = None

    def function(self, tree):
        body = tree.body
        needs = any(_has(s, gast.Return, False) for s in body[:-1]) or (
            body and not isinstance(body[-1], gast.Return)
            and _has(body[-1], gast.Return, False))
        if not needs:
            tree.body = self.block(body, None)
            return tree
        self.returned = self.namer.fresh("returned")
        self.retval = self.namer.fresh("result")
        new = [gast.copy_location(assign(self.returned, _const(False)), body[0])]
        new += self.block(body, None)
        new.append(gast.copy_location(gast.Return(value=load(self.retval)), body[-1]))
        tree.body = new
        return tree

    def block(self, stmts, loop):
        """Rewrite a statement list; ``loop`` is ``(broke, skipped)`` flag names or None."""
        out = []
        for i, s in enumerate(stmts):
            jumps = self.may_jump(s, loop)  # before the jumps are rewritten
            has_return = _has(s, gast.Return, False)
            new = self.stmt(s, loop)
            out.extend(new if isinstance(new, list) else [new])
            if isinstance(s, _LOOPS) and loop is not None and loop[0] is not None \
                    and self.returned is not None and has_return:
                # a return inside the inner loop ends this loop too
                out.append(gast.copy_location(gast.If(
                    test=load(self.returned), body=[assign(loop[0], _const(True))],
                    orelse=[]), s))
            rest = stmts[i + 1:]
            if rest and jumps:
                guard = self.guard(loop)
                node = gast.If(test=guard, body=self.block(rest, loop), orelse=[])
                out.append(gast.copy_location(node, rest[0]))
                break
        return out

    def may_jump(self, s, loop):
        kinds = (gast.Return,) if loop is None else (gast.Return, gast.Break,
                                                     gast.Continue)
        if self.returned is None:
            kinds = tuple(k for k in kinds if k is not gast.Return)
        if not kinds:
            return False
        if isinstance(s, _LOOPS):
            return self.returned is not None and _has(s, gast.Return, False)
        return _has(s, kinds, True) and not isinstance(s, gast.Return)

    def guard(self, loop):
        flags = []
        if self.returned is not None:
            flags.append(self.returned)
        if loop is not None:
            flags += [f for f in loop if f is not None]
        if len(flags) == 1:
            return _not(flags[0])
        return gast.UnaryOp(op=gast.Not(), operand=gast.BoolOp(
            op=gast.Or(), values=[load(f) for f in flags]))

    def stmt(self, s, loop):
        if isinstance(s, gast.Return) and self.returned is not None:
            out = [gast.copy_location(assign(self.retval, s.value), s),
                   gast.copy_location(assign(self.returned, _const(True)), s)]
            if loop is not None:
                out.append(gast.copy_location(assign(loop[0], _const(True)), s))
            return out
        if isinstance(s, gast.Break) and loop is not None:
            return gast.copy_location(assign(loop[0], _const(True)), s)
        if isinstance(s, gast.Continue) and loop is not None:
            return gast.copy_location(assign(loop[1], _const(True)), s)
        if isinstance(s, gast.If):
            s.body = self.block(s.body, loop) or [gast.Pass()]
            s.orelse = self.block(s.orelse, loop)
            return s
        if isinstance(s, _LOOPS):
            return self.loop(s)
        return s

    def loop(self, s):
        jumps_out = _has(s, gast.Break, True) or (
            self.returned is not None and _has(s, gast.Return, False))
        skips = _has(s, gast.Continue, True)
        if not jumps_out and not skips:
            s.body = self.block(s.body, None) if self.returned is None else \
                self.block(s.body, (None, None))
            return s
        broke = self.namer.fresh("broke") if jumps_out else None
        skipped = self.namer.fresh("skipped") if skips else None
        head = [assign(f, _const(False)) for f in (broke, skipped) if f is not None]
        body = head + self.block(s.body, (broke, skipped))
        if broke is not None:
            exit_check = gast.If(test=load(broke), body=[gast.Break()], orelse=[])
            exit_check.sct_exit = True  # loop bookkeeping goes before this
            body.append(exit_check)
        for b in body:
            gast.copy_location(b, s)
        s.body = body
        return s


def run(tree, namer):
    """Structured control flow only: see the module docstring."""
    return _Flow(namer).function(tree)
