"""Functions defined inside the differentiated function: calls to them are inlined.

So are calls to a module-level helper that changes one of its arguments in place
(``history.append(v)``, ``x[i] = v``): the change is part of what the caller
computes, and inlining keeps it visible to the caller's derivative.

A nested ``def`` (or a name bound to a ``lambda``) that is only ever called is
expanded at each call: its parameters become fresh names bound to the arguments, its
locals get fresh names (``g_y`` for ``y`` in ``g``), and its ``return`` value becomes
the value of the call. Free variables keep their names, so they are read when the
call runs, as Python's closures would read them.
"""

from __future__ import annotations


import gast

from . import walk

from .errors import UnsupportedSyntax


def local_functions(tree, ctx) -> dict:
    """``{name: FunctionDef}`` for nested defs and lambdas bound to names, removing
    their definitions from the body when every use is a call."""
    found = {}
    for st in list(tree.body):
        if isinstance(st, gast.FunctionDef):
            found[st.name] = st
        elif isinstance(st, gast.Assign) and len(st.targets) == 1 and isinstance(
                st.targets[0], gast.Name) and isinstance(st.value, gast.Lambda):
            lam = st.value
            fdef = gast.FunctionDef(name=st.targets[0].id, args=lam.args,
                                    body=[gast.copy_location(gast.Return(value=lam.body),
                                                             st)],
                                    decorator_list=[], returns=None, type_comment=None,
                                    type_params=[])
            found[st.targets[0].id] = gast.copy_location(fdef, st)
    if not found:
        return {}
    uses = {}
    for node in walk.nodes(tree):
        if isinstance(node, gast.Name) and node.id in found:
            uses.setdefault(node.id, []).append(node)
    called = {id(n.func) for n in walk.nodes(tree) if isinstance(n, gast.Call)
              and isinstance(n.func, gast.Name)}
    problems = []
    for name, fdef in found.items():
        for n in uses.get(name, []):
            if isinstance(n.ctx, gast.Store) and not _is_definition(tree, n, name):
                problems.append((ctx.quoted.filename, ctx.quoted.line(n),
                                 f"rebinding the local function '{name}' is not "
                                 f"supported (in function '{ctx.quoted.name}')"))
            elif isinstance(n.ctx, gast.Load) and id(n) not in called:
                problems.append((ctx.quoted.filename, ctx.quoted.line(n),
                                 f"the local function '{name}' is used as a value; only "
                                 f"calls to it are supported (in function "
                                 f"'{ctx.quoted.name}')"))
        if any(isinstance(n, gast.Name) and n.id == name for n in walk.nodes(fdef)
               if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Load)):
            problems.append((ctx.quoted.filename, ctx.quoted.line(fdef),
                             f"the local function '{name}' calls itself; define it at "
                             f"module level (in function '{ctx.quoted.name}')"))
    if problems:
        raise UnsupportedSyntax(problems)
    tree.body = [st for st in tree.body if not (
        isinstance(st, gast.FunctionDef) and st.name in found) and not (
        isinstance(st, gast.Assign) and isinstance(st.targets[0], gast.Name)
        and st.targets[0].id in found and isinstance(st.value, gast.Lambda))]
    return found


def _is_definition(tree, name_node, name):
    for st in tree.body:
        if isinstance(st, gast.Assign) and st.targets[0] is name_node:
            return isinstance(st.value, gast.Lambda)
    return False


class _Rename(walk.Transformer):
    def __init__(self, mapping):
        self.mapping = mapping

    def visit_Name(self, node):
        if node.id in self.mapping:
            node.id = self.mapping[node.id]
        return node


def expand(fdef, call, namer, where):
    """``(statements, result name)`` computing ``call`` with ``fdef``'s body inlined."""
    from .flow import run as structured
    fdef = walk.clone(fdef)
    a = fdef.args
    params = [p.id for p in a.posonlyargs + a.args + a.kwonlyargs]
    stores = {n.id for n in walk.nodes(fdef) if isinstance(n, gast.Name)
              and isinstance(n.ctx, gast.Store)}
    # a parameter the body never rebinds, given a plain name, simply becomes that name:
    # changes in place then reach the caller's object, as in Python
    given = {}
    for p, arg in zip([q.id for q in a.posonlyargs + a.args], call.args):
        if isinstance(arg, gast.Name) and p not in stores:
            given[p] = arg.id
    for kw in call.keywords:
        if kw.arg in params and isinstance(kw.value, gast.Name) and kw.arg not in stores:
            given[kw.arg] = kw.value.id
    mapping = {n: given.get(n) or namer.fresh(f"{fdef.name}_{n}")
               for n in params + sorted(stores)}
    _Rename(mapping).visit(fdef)
    names = [mapping[p] for p in params]
    positional = a.posonlyargs + a.args
    defaults = dict(zip([p.id for p in positional][len(positional) - len(a.defaults):],
                        a.defaults))
    defaults.update({p.id: d for p, d in zip(a.kwonlyargs, a.kw_defaults) if d is not None})
    bound = {}
    for name, arg in zip(names, call.args):
        bound[name] = arg
    for kw in call.keywords:
        key = mapping.get(kw.arg)
        if key is None or key not in names:
            raise UnsupportedSyntax([(where[0], where[1], f"unknown keyword argument "
                                      f"'{kw.arg}' in a call to '{fdef.name}'")])
        bound[key] = kw.value
    out = []
    for p, name in zip(params, names):
        if name not in bound and mapping[p] in defaults:
            bound[name] = defaults[mapping[p]]
        if name not in bound:
            raise UnsupportedSyntax([(where[0], where[1], f"missing argument '{p}' in a "
                                      f"call to '{fdef.name}'")])
        if p in given:
            continue  # the argument's own name is used
        out.append(gast.Assign(targets=[gast.Name(id=name, ctx=gast.Store(),
                                                  annotation=None, type_comment=None)],
                               value=bound[name], type_comment=None))
    fdef = structured(fdef, namer)
    body, ret = fdef.body[:-1], fdef.body[-1]
    result = namer.fresh(f"{fdef.name}_result")
    out += body
    out.append(gast.copy_location(gast.Assign(
        targets=[gast.Name(id=result, ctx=gast.Store(), annotation=None, type_comment=None)],
        value=ret.value, type_comment=None), ret))
    return out, result


def mutating_helper(name, ctx):
    """The tree of the module-level function ``name`` if it writes into a parameter."""
    import inspect
    if name in ctx.local_names or name in ctx.quoted.cells:
        return None
    fn = ctx.quoted.globals.get(name)
    if not inspect.isfunction(fn) or getattr(fn, "__sct__", None) is not None:
        return None
    from .rules import lookup
    if lookup(fn) is not None:
        return None
    from .quote import quote
    try:
        q = quote(fn)
    except Exception:
        return None
    a = q.tree.args
    params = {p.id for p in a.posonlyargs + a.args + a.kwonlyargs}
    written = set()
    for n in walk.nodes(q.tree):
        if isinstance(n, gast.Call) and isinstance(n.func, gast.Attribute) and \
                n.func.attr in ("append", "pop", "extend") and \
                isinstance(n.func.value, gast.Name):
            written.add(n.func.value.id)
        elif isinstance(n, gast.Subscript) and isinstance(n.ctx, gast.Store) and \
                isinstance(n.value, gast.Name):
            written.add(n.value.id)
    if not written & params:
        return None
    where = (ctx.quoted.filename, ctx.quoted.line(q.tree))
    if fn.__globals__ is not ctx.quoted.globals or fn.__closure__:
        raise UnsupportedSyntax([(q.filename, q.line(q.tree),
                                  f"'{name}' changes its argument in place and is defined "
                                  f"in another module or closure; return the new value "
                                  f"instead")])
    if any(isinstance(n, gast.Name) and n.id == name for n in walk.nodes(q.tree)
           if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Load)):
        raise UnsupportedSyntax([(q.filename, q.line(q.tree),
                                  f"'{name}' changes its argument in place and calls "
                                  f"itself, which is not supported")])
    from .check import check
    check(q)
    stores = {n.id for n in walk.nodes(q.tree) if isinstance(n, gast.Name)
              and isinstance(n.ctx, gast.Store)}
    free = {n.id for n in walk.nodes(q.tree) if isinstance(n, gast.Name)
            and isinstance(n.ctx, gast.Load)} - params - stores
    clash = sorted(free & ctx.local_names)
    if clash:
        raise UnsupportedSyntax([(where[0], where[1],
                                  f"'{name}' changes its argument in place and reads the "
                                  f"global '{clash[0]}', which '{ctx.quoted.name}' uses as "
                                  f"a local name; rename one of them")])
    return q.tree
