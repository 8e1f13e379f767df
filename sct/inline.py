"""Functions defined inside the differentiated function: calls to them are inlined.

A nested ``def`` (or a name bound to a ``lambda``) that is only ever called is
expanded at each call: its parameters become fresh names bound to the arguments, its
locals get fresh names (``g_y`` for ``y`` in ``g``), and its ``return`` value becomes
the value of the call. Free variables keep their names, so they are read when the
call runs, as Python's closures would read them.
"""

from __future__ import annotations

import copy

import gast

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
    for node in gast.walk(tree):
        if isinstance(node, gast.Name) and node.id in found:
            uses.setdefault(node.id, []).append(node)
    called = {id(n.func) for n in gast.walk(tree) if isinstance(n, gast.Call)
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
        if any(isinstance(n, gast.Name) and n.id == name for n in gast.walk(fdef)
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


class _Rename(gast.NodeTransformer):
    def __init__(self, mapping):
        self.mapping = mapping

    def visit_Name(self, node):
        if node.id in self.mapping:
            node.id = self.mapping[node.id]
        return node


def expand(fdef, call, namer, where):
    """``(statements, result name)`` computing ``call`` with ``fdef``'s body inlined."""
    from .flow import run as structured
    fdef = copy.deepcopy(fdef)
    a = fdef.args
    params = [p.id for p in a.posonlyargs + a.args + a.kwonlyargs]
    stores = {n.id for n in gast.walk(fdef) if isinstance(n, gast.Name)
              and isinstance(n.ctx, gast.Store)}
    mapping = {n: namer.fresh(f"{fdef.name}_{n}") for n in params + sorted(stores)
               if n not in params or True}
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
