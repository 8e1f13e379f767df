"""The reverse of writes in place: ``x[i] = v``, ``lst.append(v)``, ``v = lst.pop()``.

A mixin of the reverse transform. The forward sweep saves what a write destroys
(``record.RecordItem``) and the reverse sweep moves adjoints the opposite way and
brings the old contents back.
"""

from __future__ import annotations


import gast

from . import walk
from . import broadcast, template
from .normalize import assign, load
from .record import Restore, RestoreItem
from .runtime import unbroadcast, zero_item, zeros_like


def _method_call(obj, name, *args):
    return gast.Call(func=gast.Attribute(value=obj, attr=name, ctx=gast.Load()),
                     args=list(args), keywords=[])


class ItemsReverse:
    def backward_setitem(self, s):
        """``x[i] = v``: ``v`` takes ``x_bar[i]``, which is then zero."""
        out = []
        t = s.targets[0]
        x = t.value.id
        if x in self.active and x in self.nz:
            self.label(s, out)
            v = s.value
            part = gast.Subscript(value=load(self.adj(x)), slice=walk.clone(t.slice),
                                  ctx=gast.Load())
            if self.is_active(v):
                element = not any(isinstance(n, gast.Slice) for n in walk.nodes(t.slice)) \
                    and broadcast.kind_of(v, self.kinds) == "S"
                if not element:
                    part = gast.Call(func=self.ctx.ref(unbroadcast),
                                     args=[part, load(v.id)], keywords=[])
                self.accumulate(v.id, part, out)
            index = template.index_value(walk.clone(t.slice), self.ctx.ref)
            out.append(assign(self.adj(x), gast.Call(
                func=self.ctx.ref(zero_item), args=[load(self.adj(x)), index], keywords=[])))
        out.append(RestoreItem(x, t.slice))
        return out

    def backward_append(self, s):
        """``lst.append(v)``: ``v`` takes the last adjoint of ``lst_bar``; ``lst`` shrinks
        back to what it was."""
        out = []
        lst, v = s.value.func.value.id, s.value.args[0]
        if lst in self.active and lst in self.nz:
            self.label(s, out)
            pop = _method_call(load(self.adj(lst)), "pop")
            if self.is_active(v):
                self.accumulate(v.id, pop, out)
            else:
                out.append(gast.Expr(value=pop))
        out.append(("restore-list", lst, _method_call(load(lst), "pop")))
        return out

    def backward_pop(self, s):
        """``v = lst.pop()``: ``v``'s adjoint goes back on ``lst_bar``; ``v`` back on
        ``lst``."""
        out = []
        lst, v = s.value.func.value.id, s.targets[0].id
        if lst in self.active and (lst in self.nz or v in self.nz):
            self.label(s, out)
            if lst not in self.nz:
                out += self.zeros([lst])
                self.nz.add(lst)
            item = load(self.adj(v)) if v in self.nz else gast.Call(
                func=self.ctx.ref(zeros_like), args=[load(v)], keywords=[])
            out.append(gast.Expr(value=_method_call(load(self.adj(lst)), "append", item)))
        out.append(("restore-list", lst, _method_call(load(lst), "append", load(v))))
        if v in self.fixed and id(s) not in self.first_defs:
            out.append(Restore(v))
        self.nz.discard(v)
        return out
