"""The public transforms: grad, value_and_grad, vjp, source, stop_gradient.

Each transform returns a small dispatcher (dispatch.py). On a call it looks up the
derivative built for the kinds of the arguments (a float, a float array, ...) and the
pattern of their shapes, builds it the first time (cache.py), and calls it.
"""

from __future__ import annotations

import functools
import inspect
import weakref

import numpy as np

from . import kinds as _kinds
from .cache import _lock, _shape_pattern, concrete, derived
from .dispatch import Dispatcher
from .errors import NotDifferentiable, SCTError
from .rules import core as _rules_core
from .runtime import stop_gradient  # noqa: F401  (re-exported)


def _over_derivative(g, flavor, nums, kinds, tuple_grads, state):
    """The gradient of a derivative sct made, at scalar points: forward mode over it.

    For scalar arguments a gradient is the forward-mode derivative with a unit tangent,
    and forward mode goes through the tape the derivative keeps (lists have tangents),
    so ``grad(grad(f))`` works on loops and branches.
    """
    if any(kinds[i] != "S" for i in nums):
        raise NotDifferentiable(
            f"the gradient of a derivative ({getattr(g, '__name__', g)}) needs scalar "
            f"arguments; for arrays use sct.hessian, sct.hvp or sct.jacfwd")
    inner = concrete(g, kinds)
    built = derived(inner, "jvp", nums, kinds)
    state["last"] = built
    jvp_fn = built.functions[0]
    units = [tuple(1.0 if j == k else 0.0 for j in nums) for k in nums]

    def entry(*args, **kwargs):
        grads = []
        out = None
        for u in units:
            out, dot = jvp_fn(*args, *u, **kwargs)
            _check_scalar(out, g)
            grads.append(dot)
        gs = tuple(grads) if tuple_grads else grads[0]
        return (out, gs) if flavor == "value_and_grad" else gs

    return entry, (), (), False


def _check_scalar(out, g):
    if np.size(out) != 1 or isinstance(out, (tuple, list)):
        raise NotDifferentiable(f"grad needs {getattr(g, '__name__', g)} to return a "
                                f"scalar; it returned {type(out).__name__}")


def _argnums(argnums):
    """``(positions, whether gradients come as a tuple)``."""
    if type(argnums) is int:
        return (argnums,), False
    if type(argnums) is tuple and argnums and all(type(i) is int for i in argnums):
        return argnums, True
    if isinstance(argnums, int):
        return (argnums,), False
    nums = tuple(argnums)
    if not nums or not all(isinstance(i, int) for i in nums):
        raise TypeError("argnums must be an int or a non-empty tuple of ints")
    return nums, True


def _float_leaves(v) -> bool:
    """A list or tuple (nested) of floats and float arrays: differentiable as a whole."""
    if isinstance(v, (list, tuple)):
        return len(v) > 0 and all(_float_leaves(x) for x in v)
    return _kinds.of_value(v) in ("S", "A")


def _arg_kinds(fn, args, nums):
    kinds = tuple(map(_kinds.of_value, args))
    names = _param_names(fn)
    for i in nums:
        if i >= len(args):
            raise TypeError(f"argnums={i} but '{fn.__name__}' was called with "
                            f"{len(args)} positional arguments")
        k = kinds[i]
        if k in ("S", "A") or (k == "T" and _float_leaves(args[i])):
            continue
        what = names[i] if i < len(names) else f"#{i}"
        v = args[i]
        if k in ("I", "B"):
            raise NotDifferentiable(
                f"cannot differentiate '{fn.__name__}' with respect to argument "
                f"'{what}': it is an integer or boolean ({_short(v)}); pass a float "
                f"(2.0 rather than 2) or a float array (np.asarray(x, float))")
        raise NotDifferentiable(
            f"cannot differentiate '{fn.__name__}' with respect to argument '{what}' "
            f"of type {type(v).__name__}: sct differentiates floats, float arrays, and "
            f"lists or tuples of them")
    return kinds


def _short(v):
    if isinstance(v, np.ndarray):
        return f"an array of dtype {v.dtype}"
    return repr(v)


def _param_names(fn):
    try:
        return list(inspect.signature(fn).parameters)
    except (TypeError, ValueError):
        return []


def _make_dispatcher(f, flavor, argnums, transform_name):
    nums, tuple_grads = _argnums(argnums)
    if not inspect.isfunction(f):
        return _plain_dispatcher(f, flavor, nums, tuple_grads)
    # One dispatcher per function and transform, kept while ``f`` lives: ``sct.grad(f)``
    # asked again starts with every specialization built so far, so that
    # ``sct.grad(f)(x)`` in a loop costs a lookup, not a rebuild. The dispatcher holds
    # ``f`` weakly; the functions it hands out hold it strongly. A rule registered
    # later (a new generation) gives a new dispatcher.
    key = (flavor, nums, tuple_grads, transform_name, _rules_core.generation[0])
    per_fn = _dispatchers.get(f)
    d = per_fn.get(key) if per_fn is not None else None
    if d is None:
        with _lock:
            per_fn = _dispatchers.setdefault(f, {})
            d = per_fn.get(key)
            if d is None:
                state = {"last": None}
                spec = functools.partial(_specialize, flavor=flavor, nums=nums,
                                         tuple_grads=tuple_grads, state=state)
                d = per_fn[key] = Dispatcher(
                    f, f"{getattr(f, '__name__', 'f')}_{transform_name}", spec, state)
    return d.function(f, {"fn": f, "flavor": flavor, "argnums": nums,
                          "state": d.state, "tuple_grads": tuple_grads})


_dispatchers: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def _specialize(f, args, *, flavor, nums, tuple_grads, state):
    """(entry, positions of array arguments, guards, whether the entry is for these
    arguments' shapes only) for these arguments."""
    if "jvp_of" in getattr(f, "__sct__", ()):
        raise NotDifferentiable(
            f"{f.__name__} (made by sct.jvp) takes tuples of primals and tangents and "
            f"cannot be differentiated again; for second derivatives use sct.hessian, "
            f"sct.hvp or sct.jacfwd(sct.grad(f))")
    kinds = _arg_kinds(f, args, nums)
    if hasattr(f, "__sct__"):
        return _over_derivative(f, flavor, nums, kinds, tuple_grads, state)
    pat = _shape_pattern(f, flavor, nums, kinds, tuple_grads, args)
    built = derived(f, flavor, nums, kinds, tuple_grads, pat)
    state["last"] = built
    guards = built.guards
    if any(kinds[i] == "T" for i in nums):
        # what a list holds is not in its type: check it on every call
        guards = guards + (("a differentiated list or tuple", None, None),)
    return (built.functions[0], tuple(i for i in nums if kinds[i] == "A"), guards,
            pat is not None)


def _plain_dispatcher(f, flavor, nums, tuple_grads):
    """For callables that are not Python functions: no specializing, no cache."""
    state = {"last": None}

    def call(*args, **kwargs):
        entry = _specialize(f, args, flavor=flavor, nums=nums, tuple_grads=tuple_grads,
                            state=state)[0]
        return entry(*args, **kwargs)
    call.__sct__ = {"fn": f, "flavor": flavor, "argnums": nums, "state": state,
                    "tuple_grads": tuple_grads}
    return call


def grad(f=None, argnums=0):
    """The gradient of a scalar-valued function, as a new function.

    Args:
        f: a Python function returning a float or a size-1 float array.
        argnums: the argument (int) or arguments (tuple) to differentiate.

    Returns:
        A function with ``f``'s signature returning the gradient (a tuple of them
        for a tuple ``argnums``), each with its argument's shape and float dtype.

    Raises:
        UnsupportedSyntax: ``f`` uses a construct sct does not support.
        NoDerivative: a differentiated call has no rule and no readable source.
        NotDifferentiable: at the call, an integer argument or a non-scalar output.

    Example:
        >>> import numpy as np, sct
        >>> def f(x):
        ...     return np.sum(np.sin(x) * x)
        >>> sct.grad(f)(np.array([0.0, 1.0]))
        array([0.        , 1.38177329])
    """
    if f is None:
        return lambda fn: grad(fn, argnums)
    return _make_dispatcher(f, "grad", argnums, "grad")


def value_and_grad(f=None, argnums=0):
    """Like :func:`grad`, returning ``(value, gradient)`` from one evaluation.

    >>> import sct
    >>> def f(x):
    ...     return x * x
    >>> sct.value_and_grad(f)(3.0)
    (9.0, 6.0)
    """
    if f is None:
        return lambda fn: value_and_grad(fn, argnums)
    return _make_dispatcher(f, "value_and_grad", argnums, "value_and_grad")


def vjp(f, *primals):
    """Evaluate ``f(*primals)`` and return ``(out, vjp_fn)``.

    ``vjp_fn(cotangent)`` returns one cotangent per primal (``None`` for primals
    that are not floats or float arrays): the vector-Jacobian product, what
    ``y.backward(v)`` computes in PyTorch. It may be called many times.

    Example:
        >>> import numpy as np, sct
        >>> def f(x):
        ...     return x * x
        >>> out, back = sct.vjp(f, np.array([1.0, 2.0]))
        >>> back(np.array([1.0, 10.0]))
        (array([ 2., 40.]),)
    """
    kinds = tuple(map(_kinds.of_value, primals))
    nums = tuple(i for i, k in enumerate(kinds) if k in ("S", "A"))
    if not nums:
        raise NotDifferentiable(f"vjp of '{getattr(f, '__name__', f)}': none of the "
                                f"primals is a float or a float array")
    if getattr(f, "__sct__", None) is not None:
        raise NotDifferentiable(
            f"reverse mode over a derivative sct made ('{getattr(f, '__name__', f)}') is "
            f"not supported; differentiate it in forward mode instead: "
            f"sct.jacfwd(sct.grad(f)), sct.hessian(f) or sct.hvp(f, ...)")
    # built for the pattern of the primals' shapes, as gradients are (shapes.py)
    pat = _shape_pattern(f, "split", nums, kinds, True, primals)
    built = derived(f, "split", nums, kinds, True, pat)
    fwd, bwd = built.functions
    out, saved = fwd(*primals)
    ti = built.tape_index

    def vjp_fn(cotangent):
        if isinstance(out, np.ndarray) and np.shape(cotangent) != out.shape:
            raise NotDifferentiable(
                f"the cotangent has shape {np.shape(cotangent)} but the output of "
                f"'{f.__name__}' has shape {out.shape}")
        s = saved
        if ti is not None:
            s = s[:ti] + (list(s[ti]),) + s[ti + 1:]
        grads = bwd(s, cotangent)
        it = iter(grads)
        return tuple(next(it) if i in nums else None for i in range(len(primals)))

    vjp_fn.__sct__ = {"built": built}
    return out, vjp_fn


def source(g) -> str:
    """The generated source of a derivative ``g`` made by sct.

    For a dispatcher (what :func:`grad` returns) this is the derivative built most
    recently; before the first call, one for arguments of unknown kind.

    Example:
        >>> import sct
        >>> def f(x):
        ...     return x * x
        >>> df = sct.grad(f)
        >>> _ = df(3.0)
        >>> print(sct.source(df))
        def f_grad(x):
            # reverse sweep
            # <doctest sct.api.source[1]>:2  return x * x
            x_bar = x + x
            return x_bar
        <BLANKLINE>
    """
    info = getattr(g, "__sct__", None)
    if info is None:
        src = getattr(g, "__sct_source__", None)
        if src is None:
            raise SCTError(f"{g!r} is not a derivative made by sct")
        return src
    if "built" in info:
        return "\n".join(info["built"].sources)
    built = info["state"]["last"]
    if built is None and "jvp_of" in info:
        raise SCTError(f"{g.__name__} has not been called yet: sct builds forward "
                       f"mode for the kinds of the primals, so call it once first")
    if built is None:
        f = info["fn"]
        n = len(_param_names(f))
        built = derived(f, info["flavor"], info["argnums"], ("N",) * n,
                        info["tuple_grads"])
    return "\n".join(built.sources)


def records(g) -> dict:
    """What a reverse-mode derivative records on its tape, per pass of its loops.

    Only values the reverse sweep reads are recorded; a straight-line function
    records nothing.

    >>> import numpy as np, sct
    >>> def f(x, n):
    ...     for i in range(n):
    ...         x = np.sin(x) * 2.0
    ...     return x
    >>> df = sct.grad(f)
    >>> _ = df(0.5, 3)
    >>> sct.records(df)["values"]
    ['x']
    """
    info = getattr(g, "__sct__", None)
    built = None
    if info is not None:
        built = info.get("built") or info["state"]["last"]
    if built is None:
        raise SCTError(f"{g!r} is not a reverse-mode derivative sct has built yet")
    return dict(built.records or {})
