"""The derivative cache: each derivative is built once per function, mode and arguments.

Derivatives are cached per user function (weakly: the cache never keeps a function
alive), per argnums, argument kinds and (for gradients) the pattern of the argument
shapes; a rebinding of a global or closure name the derivative was built against (a
helper function, ``np``) triggers a rebuild, as a changed function would. A recursive
function's derivative calls itself through a :class:`Deferred` stand-in while it is
being built.
"""

from __future__ import annotations

import threading
import weakref

import numpy as np

from . import pipeline, shapes
from .errors import NotDifferentiable, SCTError
from .rules import core as _rules_core

_cache: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()
_lock = threading.RLock()
_building = threading.local()


def _guards_hold(guards) -> bool:
    for where, key, obj in guards:
        if key is None:
            try:
                if where.cell_contents is not obj:
                    return False
            except ValueError:
                return False
        elif where.get(key, obj) is not obj:
            return False
    return True


def _key(flavor, argnums, arg_kinds, tuple_grads=False, arg_shapes=None) -> tuple:
    """What a derivative is cached under; a shape pattern, when there is one, last."""
    key = (flavor, tuple(argnums), tuple(arg_kinds), tuple_grads,
           _rules_core.generation[0])
    return key if arg_shapes is None else key + (arg_shapes,)


def derived(fn, flavor, argnums, arg_kinds, tuple_grads=False,
            arg_shapes=None) -> pipeline.Built:
    """The cached derivative ``flavor`` of ``fn`` (built on first use).

    ``arg_shapes``: the shape pattern the derivative is specialized for (shapes.py),
    or ``None`` for one that serves every shape.
    """
    key = _key(flavor, argnums, arg_kinds, tuple_grads, arg_shapes)
    try:
        per_fn = _cache.get(fn)
    except TypeError:  # not weakly referenceable: not a Python function either
        return pipeline.build(fn, flavor, tuple(argnums), tuple(arg_kinds), tuple_grads,
                              arg_shapes)
    built = per_fn.get(key) if per_fn is not None else None
    if built is not None and _guards_hold(built.guards):
        return built
    with _lock:
        per_fn = _cache.get(fn)
        if per_fn is None:
            per_fn = {}
            _cache[fn] = per_fn
        built = per_fn.get(key)
        if built is not None and _guards_hold(built.guards):
            return built
        stack = getattr(_building, "stack", None)
        if stack is None:
            stack = _building.stack = []
        stack.append((fn, key))
        try:
            built = pipeline.build(fn, flavor, tuple(argnums), tuple(arg_kinds),
                                   tuple_grads, arg_shapes)
        finally:
            stack.pop()
        per_fn[key] = built
        return built


def concrete(fn, arg_kinds, args=None):
    """The generated function behind an sct derivative, for arguments of these kinds
    (and, given the arguments themselves, for the pattern of their shapes)."""
    info = getattr(fn, "__sct__", None)
    if info is None:
        return fn
    if "fn" not in info:
        raise SCTError(f"{fn!r} cannot be differentiated again")
    nums = info["argnums"]
    kinds = tuple(arg_kinds)
    for i in nums:
        if i < len(kinds) and kinds[i] not in ("S", "A", "N"):
            raise NotDifferentiable(
                f"argument {i} of {getattr(fn, '__name__', fn)} must be a float or a "
                f"float array")
    inner = concrete(info["fn"], kinds, args)
    pat = None
    if args is not None and info["flavor"] in ("grad", "value_and_grad"):
        pat = _shape_pattern(inner, info["flavor"], nums, kinds, info["tuple_grads"], args)
    built = derived(inner, info["flavor"], nums, kinds, info["tuple_grads"], pat)
    return built.functions[0]


MAX_PATTERNS = 8  # shape patterns built per function and kinds; then one for all shapes


def _shape_pattern(f, flavor, nums, kinds, tuple_grads, args):
    """The shape pattern to specialize for, or ``None`` (no arrays, or too many)."""
    if not any(type(a) is np.ndarray for a in args):
        return None
    pat = shapes.pattern([a.shape if type(a) is np.ndarray else (
        () if k in ("S", "I") else None) for a, k in zip(args, kinds)])
    try:
        per_fn = _cache.get(f) or {}
    except TypeError:  # not weakly referenceable: nothing is cached for it
        per_fn = {}
    head = _key(flavor, nums, kinds, tuple_grads)
    seen = [k for k in list(per_fn) if k[:-1] == head]  # (keys with a pattern)
    if len(seen) >= MAX_PATTERNS and _key(flavor, nums, kinds, tuple_grads, pat) \
            not in per_fn:
        return None
    return pat


class Deferred:
    """A derivative function looked up when called: how a recursive function's
    derivative calls itself while it is still being built."""

    def __init__(self, fn, flavor, argnums, kinds, index, name):
        self.args = (fn, flavor, argnums, kinds)
        self.index = index
        self.__name__ = name

    def __call__(self, *args, **kwargs):
        return derived(*self.args).functions[self.index](*args, **kwargs)


def building(fn, flavor, argnums, arg_kinds):
    """Stand-ins for the functions of a derivative now being built, else ``None``."""
    if (fn, _key(flavor, argnums, arg_kinds)) not in getattr(_building, "stack", ()):
        return None
    names = ("fwd", "bwd") if flavor == "split" else ("jvp",)
    fns = tuple(Deferred(fn, flavor, tuple(argnums), tuple(arg_kinds), i,
                         f"{fn.__name__}_{n}") for i, n in enumerate(names))
    return pipeline.Built(fns, (), (), None, "N")
