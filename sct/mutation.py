"""Writes in place: arguments copied before they change, and sharing refused.

``x[i] = v``, ``lst.append(v)`` and ``lst.pop()`` change an object rather than
rebind a name. The derivative must not change the caller's objects, so an argument
that is written into is copied first; and since sharing between names is not
tracked, an object written in place that another name may refer to is refused.

:func:`written_in_place` tells the later stages (forward mode, the optimizer) which
names may hold such an object, so that they never make it share another one.
"""

from __future__ import annotations

import gast
import numpy as np

from . import walk
from . import runtime


def assign(name, value):
    from .normalize import assign as a
    return a(name, value)


def load(name):
    from .normalize import load as ld
    return ld(name)


def setitem_bases(tree, all_nodes=None) -> set:
    """Names of arrays assigned into (``x[i] = v``); ``all_nodes``: ``walk.nodes(tree)``
    when the caller has it."""
    return {n.targets[0].value.id for n in all_nodes or walk.nodes(tree)
            if type(n) is gast.Assign and isinstance(n.targets[0], gast.Subscript)}


def written_bases(tree) -> set:
    """Names of arrays assigned into (``x[i] = v``) and of lists changed in place by
    ``append`` or ``pop``, in one walk."""
    out = set()
    for n in walk.nodes(tree):
        t = type(n)
        if t is gast.Assign:
            if isinstance(n.targets[0], gast.Subscript):
                out.add(n.targets[0].value.id)
        elif t is gast.Call and isinstance(n.func, gast.Attribute) and \
                n.func.attr in ("append", "pop") and isinstance(n.func.value, gast.Name):
            out.add(n.func.value.id)
    return out


# values of three-address form whose parts are atoms: no call hides inside them
_FLAT = (gast.Name, gast.Constant, gast.BinOp, gast.UnaryOp, gast.Compare, gast.Tuple,
         gast.List, gast.Attribute)


def written_bases_flat(tree) -> set:
    """:func:`written_bases` of a tree in three-address form (normalize's output),
    which holds its calls as the values of statements: the statements are read, and
    only a value of another kind (a lambda, a subscript) is walked."""
    out = set()
    for s in walk.statements(tree):
        t = type(s)
        if t is gast.Assign and type(s.targets[0]) is gast.Subscript:
            out.add(s.targets[0].value.id)
        if t is not gast.Assign and t is not gast.Expr:
            continue  # (a compound statement's head is an atom; its body is listed)
        v = s.value
        if type(v) is gast.Call:
            f = v.func
            if type(f) is gast.Attribute and f.attr in ("append", "pop") and \
                    type(f.value) is gast.Name:
                out.add(f.value.id)
            if all(type(a) in (gast.Name, gast.Constant) for a in v.args) and all(
                    type(k.value) in (gast.Name, gast.Constant) for k in v.keywords):
                continue
        elif type(v) in _FLAT:
            continue
        out |= written_bases(v)
    return out


def written_in_place(stmts) -> set:
    """Names that may hold an object written in place: assigned into (``x[i] = v``),
    grown or emptied, or shared with a name so written (a copy, a view, an item, a
    call's result). Where such an object is made, its value must be a new object,
    not one that another name still reads.

    Growing a list changes the list, not its items: these count only when one is
    taken out and written into.

    >>> import gast
    >>> body = gast.parse("a = x * 2.0\\nb = a[1:]\\nb[0] = y\\nhs = [x]\\n"
    ...                   "hs.append(y)").body
    >>> sorted(written_in_place(body))
    ['a', 'b', 'hs']
    """
    module = gast.Module(body=list(stmts), type_ignores=[])
    found = {("obj", x) for x in written_bases(module)}
    if not found:  # nothing is written in place: nothing can share such an object
        return set()
    rules = []  # (fact, facts it implies); a fact is ("obj" or "items", name)

    def obj_implies(t, names, items_too):
        rules.append((("obj", t), {("obj", n) for n in names} | (
            {("items", n) for n in names} if items_too else set())))
        rules.append((("items", t), {("items", n) for n in names}))

    for n in walk.nodes(module):
        if isinstance(n, gast.Assign):
            v = n.value
            targets = [x.id for t in n.targets for x in walk.nodes(t)
                       if isinstance(x, gast.Name) and isinstance(x.ctx, gast.Store)]
            for t in targets:
                if new_object(v) or isinstance(v, (gast.Compare, gast.Constant)):
                    continue
                if isinstance(v, (gast.List, gast.Tuple)):  # a new list of objects
                    rules.append((("items", t), {(k, x) for x in walk.reads(v)
                                                 for k in ("obj", "items")}))
                elif isinstance(v, gast.Subscript):  # a view, or an item
                    obj_implies(t, walk.reads(v.value), True)
                else:
                    obj_implies(t, walk.reads(v), True)
        elif isinstance(n, gast.For) and isinstance(n.target, gast.Name):
            obj_implies(n.target.id, walk.reads(n.iter), True)
        elif isinstance(n, gast.Call) and isinstance(n.func, gast.Attribute) \
                and n.func.attr in ("append", "insert", "extend") \
                and isinstance(n.func.value, gast.Name):
            rules.append((("items", n.func.value.id), {
                (k, x) for a in n.args for x in walk.reads(a) for k in ("obj", "items")}))
    changed = True
    while changed:
        changed = False
        for fact, implied in rules:
            if fact in found and not implied <= found:
                found |= implied
                changed = True
    return {name for kind, name in found if kind == "obj"}


def new_object(value) -> bool:
    """Whether ``value`` is arithmetic, which always makes a new object."""
    return isinstance(value, (gast.BinOp, gast.UnaryOp))


_VIEWS = {np.reshape, np.transpose, np.ravel, np.squeeze, np.expand_dims, np.asarray,
          np.asanyarray, np.broadcast_to, np.swapaxes, np.moveaxis, np.rollaxis,
          np.atleast_1d, np.atleast_2d, np.atleast_3d, np.diagonal, np.flip, np.fliplr,
          np.flipud, np.rot90, np.real, np.imag, runtime.as_sequence}


_UNKNOWN = object()


def callee(call, ctx):
    """What a call calls: the object behind one of sct's placeholders, or what the
    user's name refers to now (``np.reshape``, a helper); ``_UNKNOWN`` if neither."""
    fn = getattr(call.func, "ref_object", None)
    if fn is None and type(call.func) is gast.Attribute and hasattr(
            call.func.value, "ref_object"):  # np.add.reduce: a method of a placeholder
        fn = getattr(call.func.value.ref_object, call.func.attr, None)
    if fn is not None or ctx is None:
        return fn if fn is not None else _UNKNOWN
    from .resolve import _MISSING, Resolver
    try:
        fn = Resolver(ctx).name(call.func)
    except Exception:  # a name that cannot be looked up now
        return _UNKNOWN
    return _UNKNOWN if fn is _MISSING else fn


def _is_view_call(v, ctx) -> bool:
    """A call of a function that may return a view of its first argument: one sct
    wrote (a placeholder) or one the user wrote (``np.reshape(c, ...)``)."""
    try:
        return callee(v, ctx) in _VIEWS
    except TypeError:  # unhashable
        return False


def check_aliases(tree, ctx, bases=None):
    """Refuse an array written in place that another name may also refer to.

    ``y = x; x[0] = v`` changes ``y`` too; tracking such sharing is not supported, so
    it is an error rather than a derivative that misses the change.

    Not for forward mode over code sct generated (the second derivatives): that code
    shares arrays on purpose (``x = private_copy_x``, a view ``x[1:3]`` read again
    after the reverse sweep writes the saved items back) and forward mode mirrors the
    sharing in the tangents: ``x_dot = private_copy_x_dot``, ``x_dot[1:3]``, and a
    restore ``x[i] = tape.pop()`` followed by ``x_dot[i] = tape_dot.pop()``. What
    the user wrote was checked when the gradient was built.
    """
    from .errors import UnsupportedSyntax
    if ctx.forward and hasattr(ctx.quoted.fn, "__sct_source__"):
        return
    bases = written_bases(tree) if bases is None else bases
    problems = []
    for n in walk.nodes(tree):
        if not isinstance(n, gast.Assign):
            continue
        v, t = n.value, n.targets[0]
        shared = None
        if isinstance(v, gast.Name) and isinstance(t, gast.Name) and (
                v.id in bases or t.id in bases) and not _is_private_copy(tree, v.id) \
                and v.id not in getattr(ctx, "comprehensions", ()):
            shared = v.id if v.id in bases else t.id
        elif isinstance(v, gast.Subscript) and isinstance(v.value, gast.Name) \
                and v.value.id in bases and any(isinstance(x, gast.Slice)
                                                 for x in walk.nodes(v.slice)):
            if _read_after_write(tree, t, v.value.id):
                shared = v.value.id
        elif isinstance(v, gast.Call) and v.args and isinstance(v.args[0], gast.Name) \
                and v.args[0].id in bases and _is_view_call(v, ctx):
            shared = v.args[0].id
        elif isinstance(t, gast.Name) and t.id in bases and _view_of(v, ctx) not in (
                None, t.id):
            shared = t.id  # y = c[0:2]; y[0] = v writes into c
        elif isinstance(v, gast.Call) and isinstance(t, gast.Name) and \
                _may_return_an_argument(v, ctx) and (t.id in bases or any(
                    isinstance(a, gast.Name) and a.id in bases and
                    _mutated_after(tree, n, a.id) for a in v.args)):
            # a user function may hand back its argument, or a view of it
            shared = t.id if t.id in bases else next(
                a.id for a in v.args if isinstance(a, gast.Name) and a.id in bases)
        elif isinstance(v, (gast.List, gast.Tuple)) and any(
                isinstance(e, gast.Name) and e.id in bases and _mutated_after(tree, n, e.id)
                for e in v.elts):
            shared = next(e.id for e in v.elts if isinstance(e, gast.Name) and e.id in bases
                          and _mutated_after(tree, n, e.id))
        if shared is not None:
            problems.append((ctx.quoted.filename, ctx.quoted.line(n),
                             f"the array '{shared}' is written in place and another name "
                             f"may refer to it (in function '{ctx.quoted.name}'); make a "
                             f"copy with np.copy({shared}) first"))
    if problems:
        raise UnsupportedSyntax(problems)


def _may_return_an_argument(call, ctx) -> bool:
    """A call of a function with no derivative rule (a user function, which may
    return one of its array arguments or a view of it); calls with rules make new
    objects, except the views in ``_VIEWS`` (checked on their own)."""
    if not any(isinstance(a, gast.Name) for a in call.args):
        return False
    fn = callee(call, ctx)
    if fn is _UNKNOWN:
        return True
    from .rules import lookup
    try:
        return lookup(fn) is None and fn not in _NEW_OBJECTS
    except TypeError:
        return True


_NEW_OBJECTS = {runtime.private_copy, runtime.item_copy, runtime.setitem, list, dict,
                tuple, np.copy, np.array, np.zeros_like, np.ones_like, np.empty_like,
                np.full_like}


def _view_of(v, ctx=None):
    """The name ``v`` may be a view of: ``c`` for ``c[0:2]``, ``c[i]``, ``np.ravel(c)``."""
    if isinstance(v, gast.Subscript) and isinstance(v.value, gast.Name):
        return v.value.id
    if isinstance(v, gast.Call) and v.args and isinstance(v.args[0], gast.Name) \
            and _is_view_call(v, ctx):
        return v.args[0].id
    return None


def _mutates(s, base) -> bool:
    for n in walk.nodes(s):
        if isinstance(n, gast.Subscript) and isinstance(n.ctx, gast.Store) and isinstance(
                n.value, gast.Name) and n.value.id == base:
            return True
        if isinstance(n, gast.Call) and isinstance(n.func, gast.Attribute) and \
                n.func.attr in ("append", "pop", "extend") and isinstance(
                n.func.value, gast.Name) and n.func.value.id == base:
            return True
    return False


def _mutated_after(tree, stmt, base) -> bool:
    """Whether ``base`` may be written in place after ``stmt`` runs: later in program
    order, or anywhere in a loop around ``stmt`` (the next pass)."""
    found = [False]

    def visit(stmts, loops):
        for s in stmts:
            if s is stmt:
                found[0] = True
                if any(_mutates(lp, base) for lp in loops):
                    return True
                continue
            inner = [b for b in (getattr(s, "body", None), getattr(s, "orelse", None))
                     if isinstance(b, list) and b and isinstance(b[0], gast.stmt)]
            if inner:
                in_loop = loops + [s] if isinstance(s, (gast.For, gast.While)) else loops
                if any(visit(b, in_loop) for b in inner):
                    return True
                if found[0] and _mutates(s, base):
                    return True
            elif found[0] and _mutates(s, base):
                return True
        return False

    return visit(tree.body, [])


def _is_private_copy(tree, name):
    return any(isinstance(n, gast.Assign) and isinstance(n.targets[0], gast.Name)
               and n.targets[0].id == name and isinstance(n.value, gast.Call)
               and getattr(n.value.func, "ref_object", None) is runtime.private_copy
               for n in walk.nodes(tree))


def _read_after_write(tree, target, base):
    """A slice view is harmless when it is read once, later in its own block, with no
    write into ``base`` in between."""
    if not isinstance(target, gast.Name):
        return True
    name = target.id
    reads = sum(1 for n in walk.nodes(tree) if isinstance(n, gast.Name)
                and isinstance(n.ctx, gast.Load) and n.id == name)
    if reads != 1:
        return True
    for node in walk.nodes(tree):
        for field in ("body", "orelse"):
            block = getattr(node, field, None)
            if not isinstance(block, list):
                continue
            for i, st in enumerate(block):
                if not (isinstance(st, gast.Assign) and st.targets[0] is target):
                    continue
                for later in block[i + 1:]:
                    if base in setitem_bases(gast.Module(body=[later], type_ignores=[])):
                        return True
                    if any(isinstance(n, gast.Name) and n.id == name
                           and isinstance(n.ctx, gast.Load) for n in walk.nodes(later)):
                        return False
                return True
    return True


def copy_mutated_arguments(tree, ctx):
    """An argument written into is copied first: the caller's array never changes.

    Returns :func:`written_bases` of the tree."""
    args = [a.id for a in tree.args.posonlyargs + tree.args.args + tree.args.kwonlyargs]
    mutated = written_bases_flat(tree)
    first = tree.body[0] if tree.body else tree
    copies = [gast.copy_location(assign(a, gast.Call(
        func=ctx.ref(runtime.private_copy), args=[load(a)], keywords=[])), first)
        for a in args if a in mutated]
    tree.body = copies + tree.body
    return mutated  # (the copies write nothing in place)
