"""Names for the objects generated code refers to, chosen where the tree is printed.

References to objects (NumPy functions, runtime helpers, derived callees) are
placeholders (``ctx.ref``) until emit.py prints the tree. A NumPy or ``math``
function is written through the user's own alias (``np.cos``) when the user's
globals bind that name to that module and the generated function does not use the
name for a local; anything else is bound in the generated function's closure under a
name that clashes with nothing.

>>> import types
>>> import gast
>>> import numpy as np
>>> from sct.names import Namer
>>> fdef = gast.parse("def g(x):\\n    return F(x) + H(x)").body[0]
>>> call_f, call_h = fdef.body[0].value.left, fdef.body[0].value.right
>>> call_f.func.id, call_h.func.id = "__sct_ref0", "__sct_ref1"
>>> ctx = types.SimpleNamespace(refs={"__sct_ref0": np.cos, "__sct_ref1": Namer},
...                             namer=Namer({"g", "x"}),
...                             quoted=types.SimpleNamespace(globals={"np": np}, cells={}))
>>> closure, names = resolve([fdef], ctx)
>>> closure == {"Namer": Namer}, sorted(names)
(True, ['Namer', 'np', 'x'])
>>> from sct.emit import to_source
>>> print(to_source(fdef), end="")
def g(x):
    return np.cos(x) + Namer(x)
"""

from __future__ import annotations

import builtins
import math

import gast
import numpy as np

from . import walk

_MODULES = [np, np.linalg, math, np.random]


def _module_path(obj):
    """``(module, attribute)`` when ``obj`` is a public NumPy/math function."""
    for mod in _MODULES:
        name = getattr(obj, "__name__", None)
        if name and getattr(mod, name, None) is obj:
            return mod, name
    return None


def _holds(cell, obj) -> bool:
    try:
        return cell.cell_contents is obj
    except ValueError:  # (empty)
        return False


def _builtin_name(obj):
    name = getattr(obj, "__name__", None)
    if name and getattr(builtins, name, None) is obj:
        return name
    return None


class Naming:
    """Chooses how generated code names each referenced object."""

    def __init__(self, ctx, local_names):
        self.ctx = ctx
        self.locals = set(local_names)
        self.closure: dict = {}  # name -> object
        self.by_obj: dict = {}
        self.aliases: dict = {}  # id(module) -> how generated code names it

    def expr(self, obj):
        key = id(obj)
        if key in self.by_obj:
            return self.by_obj[key]
        e = self._choose(obj)
        self.by_obj[key] = e
        return e

    def _choose(self, obj):
        g = self.ctx.quoted.globals
        path = _module_path(obj)
        if path is not None:
            mod, attr = path
            alias = self.aliases.get(id(mod))
            if alias is None:  # (the same answer for every function of the module)
                alias = self._user_alias(mod)
                if alias is None and mod is not np and self._user_alias(np):
                    # np.linalg.solve, as the user writes it, when np is numpy
                    alias = f"{self._user_alias(np)}.{mod.__name__.split('.')[-1]}"
                if alias is None:
                    alias = self.bind(mod.__name__.split(".")[-1] if mod is not np
                                      else "numpy", mod)
                self.aliases[id(mod)] = alias
            return f"{alias}.{attr}"
        bname = _builtin_name(obj)
        if bname is not None and bname not in self.locals and g.get(bname, obj) is obj \
                and bname not in self.ctx.quoted.cells:  # (cells are read live)
            return bname
        if isinstance(obj, (bool, int, float, str, type(None))):
            return repr(obj)
        base = getattr(obj, "__name__", None) or type(obj).__name__.lower()
        return self.bind(base, obj)

    def _user_alias(self, mod):
        """The shortest public name the user's globals bind to ``mod``, else the
        shortest closure variable that holds it (the user's code reads it so), if any."""
        g = self.ctx.quoted.globals
        cells = self.ctx.quoted.cells  # (a closure variable shadows a global)
        # (min: the first of the shortest, as the first of a stable sort by length,
        # without sorting every global of the user's module)
        found = min((k for k, v in g.items() if v is mod and k not in self.locals
                     and not k.startswith("_") and k not in cells), key=len, default=None)
        if found is None:
            found = min((k for k in cells if k not in self.locals and not k.startswith(
                "_") and _holds(cells[k], mod)), key=len, default=None)
        return found

    def bind(self, base, obj):
        for name, o in self.closure.items():
            if o is obj:
                return name
        name = self.ctx.namer.fresh(base)
        while name in self.locals:
            name = self.ctx.namer.fresh(base)
        self.closure[name] = obj
        return name


def resolve_refs(fdefs, ctx):
    """Replace reference placeholders in ``fdefs`` by names; returns the closure dict."""
    return resolve(fdefs, ctx)[0]


_PARSED: dict = {}  # the text of a reference (``np.cos``) -> its expression, parsed once


def _parsed(text):
    if text not in _PARSED:
        if len(_PARSED) > 4096:  # (texts come from few objects; bounded all the same)
            _PARSED.clear()
        _PARSED[text] = gast.parse(text, mode="eval").body
    return walk.clone(_PARSED[text])


def resolve(fdefs, ctx):
    """``(closure, names)``: :func:`resolve_refs`, and the ids of every name in
    ``fdefs`` afterwards (as a walk of every node would find them), from one walk."""
    local, names, sites = set(), set(), []
    for fdef in fdefs:
        _scan(fdef, local, names, sites)
        local |= {a.id for a in fdef.args.args + fdef.args.kwonlyargs}
    naming = Naming(ctx, local)
    for holder, key, node in sites:  # in the order of the walk: names chosen in order
        text = naming.expr(ctx.refs[node.id])
        if "." in text or not text.isidentifier():
            new = _parsed(text)
            names.update(n.id for n in walk.nodes(new) if type(n) is gast.Name)
        else:
            new = gast.Name(id=text, ctx=gast.Load(), annotation=None, type_comment=None)
            names.add(text)
        if type(key) is int:
            holder[key] = new
        else:
            setattr(holder, key, new)
    return naming.closure, names


def named(fdefs, printed, ctx):
    """``(closure, names, sources)``: what :func:`resolve` and printing the resolved
    tree give, from what the printer met printing ``fdefs`` with their placeholders
    (``printed``: printer.printed's answers, placeholders marked), without a walk of
    their own; ``None`` when that cannot stand in for them (then :func:`resolve`).

    The printer meets the names in the order of the tree's fields, as :func:`_scan`
    does, so the placeholders are named in the same order; each is written where the
    printer wrote it, as a name or a dotted name prints (other texts: ``None``)."""
    refs, local, names, sites = ctx.refs, set(), set(), []
    for fdef, p in zip(fdefs, printed):
        if p.at is None:
            return None
        found = p.names
        ids = {x.id for x in found}
        marked = {i for i in ids if i.startswith("__sct_ref")}
        # (every placeholder printed is marked where it went, when it is in refs)
        if not marked <= refs.keys() or any(
                [getattr(x, "annotation", None) is not None for x in found]):
            return None
        names |= ids - marked
        sites += [p.out[k] for k in p.at]
        local.update([x.id for x in found if type(x.ctx) in _LOCAL_TYPES])
        local.update([a.id for a in fdef.args.args + fdef.args.kwonlyargs])
    if any(isinstance(refs[i], (int, float, str)) and not isinstance(refs[i], bool)
           for i in sites):
        return None  # (written as their repr: a number may want parentheses)
    taken = set(ctx.namer.taken)
    naming = Naming(ctx, local)
    texts = [naming.expr(refs[i]) for i in sites]
    if not all(part.isidentifier() for t in texts for part in t.split(".")):
        ctx.namer.taken.clear()  # (as it was: resolve names them all again)
        ctx.namer.taken.update(taken)
        return None
    texts = iter(texts)
    sources = []
    for p in printed:
        out = p.out
        for k in p.at:
            out[k] = text = next(texts)
            names.add(text.split(".")[0])
        sources.append("".join(out).rstrip() + "\n")
    return naming.closure, names, sources


_LOCAL_CTX = (gast.Store, gast.Param)
_LOCAL_TYPES = frozenset(_LOCAL_CTX)
_SKIP = walk._MARKS  # contexts and operators: no names under them


def _scan(node, local, names, sites):
    """Depth first, as a NodeTransformer: ``local`` gets the names assigned, ``names``
    every name but the placeholders, ``sites`` ``(holder, field or index, placeholder)``
    for each placeholder (none is looked for in a parameter's annotation)."""
    fields = _FIELDS.get(type(node))
    if fields is None:
        fields = _FIELDS[type(node)] = tuple(f for f in node._fields if f not in _NO_NODES)
    for field in fields:
        v = getattr(node, field, None)
        if type(v) is list:
            for i, x in enumerate(v):
                t = type(x)
                if t is gast.Name:
                    if type(x.ctx) is gast.Load and getattr(x, "annotation", None) is None \
                            and not x.id.startswith("__sct_ref"):
                        names.add(x.id)  # (most names: read, nothing under them)
                    else:
                        _name(x, local, names, sites, v, i)
                elif t is not gast.Constant and isinstance(x, gast.AST) and t not in _SKIP:
                    _scan(x, local, names, sites)
        else:
            t = type(v)
            if t is gast.Name:
                if type(v.ctx) is gast.Load and getattr(v, "annotation", None) is None \
                        and not v.id.startswith("__sct_ref"):
                    names.add(v.id)
                else:
                    _name(v, local, names, sites, node, field)
            elif t is not gast.Constant and isinstance(v, gast.AST) and t not in _SKIP:
                _scan(v, local, names, sites)


_FIELDS: dict = {}  # node class -> the fields that may hold nodes with names
# (contexts, operators, and strings: a type comment, a constant's kind, an attribute)
_NO_NODES = frozenset({"ctx", "op", "ops", "type_comment", "kind", "attr"})


def _name(x, local, names, sites, holder, key):
    if x.id.startswith("__sct_ref"):
        sites.append((holder, key, x))
    else:
        names.add(x.id)
    if isinstance(x.ctx, _LOCAL_CTX):
        local.add(x.id)
    if getattr(x, "annotation", None) is not None:  # (read as it is: no placeholders)
        for n in walk.nodes(x.annotation):
            if type(n) is gast.Name:
                names.add(n.id)
                if isinstance(n.ctx, _LOCAL_CTX):
                    local.add(n.id)
