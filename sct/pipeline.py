"""The stages in order. Read this file first.

    quote      function -> gast tree, file and line            (quote.py)
    check      unsupported syntax -> error at file:line        (check.py)
    normalize  three-address form, versions of names           (normalize.py, sugar.py,
                                                                versions.py)
    resolve    operations and calls -> objects                 (resolve.py)
    kinds      scalar / array / container per name             (kinds.py)
    shapes     symbolic shapes from the arguments' shapes      (shapes.py)
    activity   names that carry derivatives                    (activity.py)
    invariance values the result does not change with: constants (invariance.py)
    calls      derivatives of called user functions            (calls.py)
    reverse    forward sweep + reversed accumulation           (reverse.py, operations.py,
                                                                accumulation.py,
                                                                reverse_flow.py,
                                                                broadcast.py)
    assemble   sweeps -> function definitions                  (assemble.py)
    optimize   dead code, folding, copy propagation            (optimize.py, facts.py,
                                                                copies.py, arith.py,
                                                                fuse.py)
    batch      per-pass outer products summed after a loop     (batch.py)
    specialize helpers on decided shapes -> NumPy              (specialize.py, survey.py)
    fold       single-use temporaries nested into their reader (fold.py)
    escape     returned gradients copied where they may alias  (escape.py)
    emit       names, source, compiled functions               (emit.py, refs.py,
                                                                printer.py)

Rules are templates (rules/), expanded at a call site by template.py through builders
compiled once per rule (stamp.py); nodes.py makes the nodes every stage makes most.

:func:`build` runs them for one derivative of one function with given argument kinds
(and shape pattern); cache.py keeps what it builds.
"""

from __future__ import annotations

import gc
import threading
import types
from dataclasses import dataclass

import gast

from . import walk
from . import (activity, assemble, calls, check, emit, forward, invariance, kinds,
               normalize, quote, resolve, shapes)
from . import reverse
from .names import Namer
from .nodes import load
from .rules import lookup


class Context:
    """What the stages share while building one derivative."""

    def __init__(self, quoted):
        self.quoted = quoted
        self.quoted_names = walk.name_nodes(quoted.tree)  # (normalize asks too)
        names = {n.id for n in self.quoted_names}
        self.namer = Namer(names)
        self.namer.taken |= set(quoted.cells) | {quoted.name}
        self.refs: dict = {}
        self._ref_ids: dict = {}
        self.local_names: set = set()
        self.fixed_names: set = set()
        self.temporaries: set = set()  # names normalize gave intermediate values
        self.user_names = names
        self.tuple_grads = False
        self.zero_adjoints: set = set()  # constants by invariance (invariance.py)
        self.user_calls: dict = {}
        self.guards: dict = {}
        self.forward = False  # building a forward-mode derivative (jvp)
        self.globals, self.cells = quoted.globals, quoted.cells

    def ref(self, obj) -> gast.Name:
        """A placeholder naming ``obj`` in generated code (see emit.py)."""
        key = id(obj)
        if key not in self._ref_ids:
            name = f"__sct_ref{len(self._ref_ids)}"
            self._ref_ids[key] = name
            self.refs[name] = obj
        node = load(self._ref_ids[key])
        node.ref_object = obj
        return node

    def pure_call(self, call) -> bool:
        """Calls of functions with derivative rules have no effects."""
        obj = self.resolver.name(call.func) if hasattr(self, "resolver") else None
        if isinstance(call.func, gast.Name) and call.func.id in self.refs:
            obj = self.refs[call.func.id]
        try:
            return obj is not None and lookup(obj) is not None
        except TypeError:
            return False


@dataclass
class Built:
    """A derivative built for one function, mode, argnums and argument kinds."""

    functions: tuple
    sources: tuple
    guards: tuple  # (dict or cell, key, object): what the build relied on
    tape_index: int | None = None
    out_kind: str = "O"
    records: dict | None = None  # what the forward sweep records (reverse mode)


def front(fn, forward=False):
    """quote + check + normalize + resolve, shared by every mode (``forward``: jvp)."""
    q = quote.quote(fn)
    check.check(q)
    ctx = Context(q)
    ctx.forward = forward
    # (the tree was parsed for this build alone: normalize may rewrite it in place)
    tree = normalize.run(q.tree, ctx)
    resolved = resolve.run(tree, ctx)
    return ctx, tree, resolved


def arg_names(tree) -> list:
    """Parameters in order: positional ones, then keyword-only ones."""
    a = tree.args
    return [n.id for n in a.posonlyargs + a.args + a.kwonlyargs]


def build(fn, flavor, argnums, arg_kinds, tuple_grads=False, arg_shapes=None) -> Built:
    """Build the derivative ``flavor`` of ``fn`` (see :func:`_build`).

    The garbage collector is paused while it builds, as ``timeit`` pauses it while
    it times: a build makes some ten thousand tree nodes that live until it ends, and
    the collections they triggered took an eighth of a build's time (about 3.5 of 27
    ms for a 30-line function). It is switched back on afterwards only if it was on.
    The build breaks the cycles among its own objects (:func:`_build`), so reference
    counts free them when it ends; any other garbage waits for the next collection.
    """
    paused = gc.isenabled()
    if paused:
        gc.disable()
    try:
        return _build(fn, flavor, argnums, arg_kinds, tuple_grads, arg_shapes)
    finally:
        if paused:
            gc.enable()


def _build(fn, flavor, argnums, arg_kinds, tuple_grads=False, arg_shapes=None) -> Built:
    """Build the derivative ``flavor`` of ``fn``.

    Args:
        flavor: "grad", "value_and_grad", "vjp" (fused, seed parameter), "split",
            "jvp" (forward mode: value and tangent) or "tangent" (the tangent only).
        argnums: positions of the arguments to differentiate.
        arg_kinds: the kind of every positional argument (see kinds.py).
        arg_shapes: the shape pattern of the positional arguments (see shapes.py),
            or ``None`` for a derivative that serves every shape.
    """
    ctx, tree, resolved = front(fn, forward=flavor in ("jvp", "tangent"))
    try:
        return _derive(ctx, tree, resolved, flavor, argnums, arg_kinds, tuple_grads,
                       arg_shapes)
    finally:
        # the stages' objects refer to the context and it to them (its resolver, the
        # transform): emptying it frees the build's trees now, not at a collection
        ctx.__dict__.clear()


def _derive(ctx, tree, resolved, flavor, argnums, arg_kinds, tuple_grads, arg_shapes):
    ctx.tuple_grads = tuple_grads
    names = arg_names(tree)
    active_args = [names[i] for i in argnums]
    arg_kinds = tuple(arg_kinds) + ("O",) * (len(names) - len(arg_kinds))
    stored = walk.writes(tree)  # (kinds and shapes ask; the tree stays as it is)
    env = kinds.run(tree, dict(zip(names, arg_kinds)), resolved, stored=stored)
    known = None
    # a float or int argument has shape (), whatever the pattern: scalar code knows
    # that no broadcast can happen
    given = {n: () for n, k in zip(names, arg_kinds) if k in ("S", "I")}
    given.update((n, s) for n, s in zip(names, arg_shapes or ()) if s is not None)
    if given:
        known = shapes.run(tree, given, resolved, stored)
    ctx.shapes = kinds.shape_classes(tree, resolved, known)
    ctx.arg_names = names
    active = activity.run(tree, ctx, set(active_args), resolved)
    zero = ctx.zero_adjoints = invariance.zero_adjoints(tree, active, resolved,
                                                        ctx.shapes, env)
    if zero:  # (a shifted softmax's max): constants, as stop_gradient makes them
        active = activity.run(tree, ctx, set(active_args), resolved, stopped=zero)
    if flavor in ("jvp", "tangent"):
        return _build_forward(ctx, tree, resolved, env, active, active_args,
                              flavor == "tangent")
    calls.prepare(tree, ctx, active, env, resolved)
    if ctx.user_calls:  # what the callees return sharpens the kinds
        env = kinds.run(tree, dict(zip(names, arg_kinds)), resolved,
                        {s.value: uc.out_kind for s, uc in ctx.user_calls.items()},
                        stored)
    out_kind = env.get(tree.body[-1].value.id, "O") if isinstance(
        tree.body[-1].value, gast.Name) else "S"
    if flavor in ("grad", "value_and_grad"):
        ret = tree.body[-1].value
        # a float whose shape is decided to be () needs no check: the seed is 1
        scalar = out_kind == "S" or out_kind == "N" and isinstance(ret, gast.Name) \
            and ctx.shapes.get(ret.id) == ()
        seed = "one" if scalar else "check"
    else:
        seed = None
    sweeps = reverse.run(tree, ctx, active, env, resolved, active_args, seed)
    base = ctx.quoted.name
    tape_index = None
    if flavor == "split":
        fdefs = assemble.split(sweeps, tree, ctx, env, base)
        tape_index = fdefs[2]
        fdefs = fdefs[:2]
    else:
        suffix = {"grad": "grad", "value_and_grad": "value_and_grad", "vjp": "vjp"}[flavor]
        fdefs = [assemble.fused(sweeps, tree, ctx, env, f"{base}_{suffix}",
                                "grad" if flavor == "grad" else "vjp",
                                seed_param=flavor == "vjp")]
    fns, sources = emit.compile_functions(fdefs, ctx, f"{base} {flavor}")
    return Built(tuple(fns), tuple(sources), _guards(ctx), tape_index, out_kind,
                 sweeps.records.as_dict() if sweeps.records else {})


def _build_forward(ctx, tree, resolved, env, active, active_args, tangent_only):
    calls.prepare(tree, ctx, active, env, resolved, mode="jvp")
    body, out, out_dot, dots = forward.run(tree, ctx, active, resolved, active_args)
    floats = {n for n, k in env.items() if k in ("S", "A", "N")} | set(
        f"{n}_dot" for n in active)
    fdef = assemble.forward_fn(tree, ctx, f"{ctx.quoted.name}_jvp", body, out, out_dot,
                               dots, floats, tangent_only)
    fns, sources = emit.compile_functions([fdef], ctx, f"{ctx.quoted.name} jvp")
    out_kind = env.get(out.id, "O") if isinstance(out, gast.Name) else "S"
    return Built(tuple(fns), tuple(sources), _guards(ctx), None, out_kind)


def _guards(ctx):
    out = []
    q = ctx.quoted
    for (where, name), obj in sorted(ctx.guards.items(), key=lambda kv: kv[0]):
        if isinstance(obj, types.ModuleType):
            continue  # a module rebound to another module: not worth a check per call
        if where == "global":
            out.append((q.globals, name, obj))
        elif where == "cell":
            out.append((q.cells[name], None, obj))
    return tuple(out)


# -- for doctests and teaching: the output of one stage --------------------------------------
def stage_source(fn, stage: str) -> str:
    """The source of ``fn`` after ``stage`` ("normalize" for now)."""
    ctx, tree, _ = front(fn)
    if stage != "normalize":
        raise ValueError(f"unknown stage {stage!r}")
    return emit.to_source(tree).rstrip()


def stage_data(fn, stage: str, argnums=(0,)):
    """The result of an analysis ("activity" or "kinds") on ``fn``."""
    ctx, tree, resolved = front(fn)
    names = arg_names(tree)
    if stage == "activity":
        return activity.run(tree, ctx, {names[i] for i in argnums}, resolved)
    if stage == "kinds":
        return kinds.run(tree, {n: "S" for n in names}, resolved)
    raise ValueError(f"unknown stage {stage!r}")


_build_lock = threading.RLock()

