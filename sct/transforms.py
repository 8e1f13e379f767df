"""Forward mode and the transforms built from the two modes.

``jvp`` runs the forward-mode derivative; ``jacfwd``/``jacrev`` assemble Jacobians
column by column (forward) or row by row (reverse); ``hessian`` and ``hvp`` are
forward over reverse: the forward transform applied to the code of the gradient.
"""

from __future__ import annotations

import inspect
import weakref

import numpy as np

from . import kinds as _kinds
from .api import _argnums, vjp
from .cache import _guards_hold, _shape_pattern, concrete, derived
from .rules import core as _rules_core
from .errors import NotDifferentiable


def _as_tangent(t, p, i):
    if type(t) is float and type(p) is float:
        return t
    if t is None:
        return np.zeros_like(p, dtype=float) if isinstance(p, np.ndarray) else 0.0
    if np.shape(t) != np.shape(p):
        raise NotDifferentiable(f"tangent {i} has shape {np.shape(t)} but its primal has "
                                f"shape {np.shape(p)}")
    return np.asarray(t, dtype=float) if isinstance(p, np.ndarray) else float(t)


def jvp(f, primals=None, tangents=None):
    """Evaluate ``f(*primals)`` and its directional derivative along ``tangents``.

    Returns:
        ``(out, tangent_out)``, computed together by one forward-mode pass. Given
        ``f`` alone, ``jvp`` returns that computation as a function of
        ``(primals, tangents)``, whose generated code :func:`sct.source` prints.

    Example:
        >>> import numpy as np, sct
        >>> def f(x, y):
        ...     return x * np.sin(y)
        >>> out, tangent = sct.jvp(f, (2.0, 0.0), (1.0, 1.0))
        >>> float(out), float(tangent)
        (0.0, 2.0)
        >>> f_jvp = sct.jvp(f)
        >>> _ = f_jvp((2.0, 0.0), (1.0, 1.0))
        >>> print(sct.source(f_jvp))
        def f_jvp(x, y, x_dot, y_dot):
            sin_y = np.sin(y)
            out = x * sin_y
            out_dot = x_dot * sin_y + x * (y_dot * np.cos(y))
            return out, out_dot
        <BLANKLINE>
    """
    if primals is None and tangents is None:
        return _jvp_function(f)
    return _jvp(f, primals, tangents, None)


def _tangent(f, primals, tangents):
    """The tangent ``jvp`` gives, from code that does not compute the value."""
    return _jvp(f, primals, tangents, None, "tangent")


def _jvp_function(f):
    state = {"last": None}

    def f_jvp(primals, tangents):
        return _jvp(f, primals, tangents, state)

    f_jvp.__name__ = f"{getattr(f, '__name__', 'f')}_jvp"
    f_jvp.__sct__ = {"jvp_of": f, "state": state}
    return f_jvp


# f -> {(flavor, rules generation, argument classes, tangents given): (built, nums)}:
# a repeated jvp of a plain function skips the analysis of its arguments
_seen: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def _jvp(f, primals, tangents, state, flavor="jvp"):
    primals, tangents = tuple(primals), tuple(tangents)
    if len(primals) != len(tangents):
        raise TypeError(f"jvp: {len(primals)} primals but {len(tangents)} tangents")
    types_ = tuple(map(type, primals))
    key = (flavor, _rules_core.generation[0], types_,
           tuple([t is None for t in tangents]),
           np.ndarray in types_ and tuple(  # (builds are made for a shape pattern)
               (a.dtype.kind, a.shape) for a in primals if type(a) is np.ndarray))
    try:
        per_fn = _seen.get(f)
    except TypeError:  # not weakly referenceable
        per_fn = None
    hit = per_fn.get(key) if per_fn is not None else None
    if hit is not None and (not hit[0].guards or _guards_hold(hit[0].guards)) and \
            not any(np.any(np.asarray(tangents[i]) != 0) for i in hit[2]):
        built, nums, _ = hit
        if state is not None:
            state["last"] = built
        return built.functions[0](*primals, *[
            tangents[i] if type(tangents[i]) is float and types_[i] is float else
            _as_tangent(tangents[i], primals[i], i) for i in nums])
    code = getattr(f, "__code__", None)
    plain = code is not None and not hasattr(f, "__sct__") and \
        code.co_argcount == len(primals) and not code.co_kwonlyargcount
    if code is None or code.co_argcount != len(primals) or code.co_kwonlyargcount:
        full = _with_defaults(f, primals)  # (every parameter given: nothing to add)
        if len(full) > len(primals):  # parameters left to their defaults: no tangent
            tangents = tangents + (None,) * (len(full) - len(primals))
            primals = full
    kinds = tuple(map(_kinds.of_value, primals))
    nums = tuple(i for i, k in enumerate(kinds) if k in ("S", "A"))
    if any(tangents[i] is not None for i in nums):  # a None tangent: no derivative
        nums = tuple(i for i in nums if tangents[i] is not None)
    for i, (k, t) in enumerate(zip(kinds, tangents)):
        if i not in nums and t is not None and np.any(np.asarray(t) != 0):
            raise NotDifferentiable(f"jvp: primal {i} is not a float or a float array; "
                                    f"its tangent must be None")
    fn = concrete(f, kinds, primals)
    # built for the pattern of the primals' shapes, as gradients are (shapes.py)
    built = derived(fn, flavor, nums, kinds, False,
                    _shape_pattern(fn, flavor, nums, kinds, False, primals))
    if plain:  # (a derivative of sct's is specialized on shapes too: not cached here)
        zero = tuple(i for i, t in enumerate(tangents) if i not in nums and t is not None)
        try:
            _seen.setdefault(f, {})[key] = (built, nums, zero)
        except TypeError:
            pass
    if state is not None:
        state["last"] = built
    dots = [_as_tangent(tangents[i], primals[i], i) for i in nums]
    return built.functions[0](*primals, *dots)


def _with_defaults(f, primals):
    try:
        sig = inspect.signature(getattr(f, "__sct__", {}).get("fn", f))
        ba = sig.bind(*primals)
    except (TypeError, ValueError):
        return primals
    ba.apply_defaults()
    return tuple(v for p, v in ba.arguments.items()
                 if sig.parameters[p].kind == sig.parameters[p].POSITIONAL_OR_KEYWORD)


def _jac(f, argnums, column):
    nums, is_tuple = _argnums(argnums)

    def jac(*args):
        out = []
        for i in nums:
            out.append(column(f, args, i))
        return tuple(out) if is_tuple else out[0]

    jac.__name__ = f"jacobian_of_{getattr(f, '__name__', 'f')}"
    return jac


def _unit_tangents(args, i):
    """The tangents of one forward pass per entry of ``args[i]`` (a unit vector)."""
    shape = np.shape(args[i])
    for k in range(max(1, int(np.prod(shape)))):
        e = np.zeros(shape)
        e.flat[k] = 1.0
        tangents = [None] * len(args)
        tangents[i] = e if shape else 1.0
        yield tangents


def _fwd_column(f, args, i):
    shape = np.shape(args[i])
    if not shape:  # a scalar input: its column is the tangent of one pass
        tangents = [None] * len(args)
        tangents[i] = 1.0
        return np.asarray(jvp(f, args, tangents)[1], dtype=float)
    cols = []
    out0 = None
    for tangents in _unit_tangents(args, i):
        out0, col = jvp(f, args, tangents)
        cols.append(np.asarray(col, dtype=float))
    return np.stack(cols, axis=-1).reshape(np.shape(out0) + shape)


def _rev_column(f, args, i):
    out, back = vjp(f, *args)
    oshape = np.shape(out)
    rows = []
    for m in range(max(1, int(np.prod(oshape)))):
        w = np.zeros(oshape)
        w.flat[m] = 1.0
        g = back(w if oshape else 1.0)[i]
        rows.append(np.asarray(g, dtype=float))
    return np.stack(rows).reshape(oshape + np.shape(args[i]))


def jacfwd(f, argnums=0):
    """The Jacobian by forward mode: one ``jvp`` per input element.

    >>> import numpy as np, sct
    >>> def f(u, v):
    ...     return np.stack([u[0] ** 2 + u[1] * v[0], u[1] * v[1] + v[0] * v[1] ** 2])
    >>> sct.jacfwd(f, argnums=(0, 1))(np.array([1.0, 2.0]), np.array([3.0, 4.0]))
    (array([[2., 3.],
           [0., 4.]]), array([[ 2.,  0.],
           [16., 26.]]))
    """
    return _jac(f, argnums, _fwd_column)


def jacrev(f, argnums=0):
    """The Jacobian by reverse mode: one ``vjp`` pullback per output element."""
    return _jac(f, argnums, _rev_column)


def hessian(f, argnums=0):
    """The Hessian of a scalar function: forward mode over the generated gradient.

    >>> import numpy as np, sct
    >>> def f(x):
    ...     return np.sum(x ** 3)
    >>> sct.hessian(f)(np.array([1.0, 2.0]))
    array([[ 6.,  0.],
           [ 0., 12.]])
    """
    from .api import grad
    nums, is_tuple = _argnums(argnums)
    if is_tuple:
        g = grad(f, argnums=nums)
        return _jac(g, nums, _fwd_column_tuple)
    return jacfwd(grad(f, argnums=nums[0]), nums[0])


def _fwd_column_tuple(f, args, i):
    shape = np.shape(args[i])
    blocks = None
    for tangents in _unit_tangents(args, i):
        cols = _tangent(f, args, tangents)  # (the gradient's value is not needed)
        if blocks is None:
            blocks = [[] for _ in cols]
        for b, c in zip(blocks, cols):
            b.append(np.asarray(c, dtype=float))
    return tuple(np.stack(b, axis=-1).reshape(np.shape(b[0]) + shape) for b in blocks)


def hvp(f, primals, tangents, argnums=None):
    """Hessian-vector product ``H v`` of a scalar function, without forming ``H``.

    One forward-mode pass over the generated gradient (forward over reverse). ``H``
    is the Hessian over ``argnums`` (by default every float primal); a ``None``
    tangent is a zero one. The result has one block per primal in ``argnums``: an
    array for one, else a tuple.

    >>> import numpy as np, sct
    >>> def f(x):
    ...     return np.sum(x ** 3)
    >>> sct.hvp(f, (np.array([1.0, 2.0]),), (np.array([1.0, 0.0]),))
    array([6., 0.])
    """
    from .api import grad
    primals, tangents = tuple(primals), tuple(tangents)
    if len(primals) != len(tangents):
        raise TypeError(f"hvp: {len(primals)} primals but {len(tangents)} tangents")
    if argnums is None:
        kinds = tuple(map(_kinds.of_value, primals))
        nums = tuple(i for i, k in enumerate(kinds) if k in ("S", "A"))
    else:
        nums, _ = _argnums(argnums)
        if any(tangents[i] is not None for i in range(len(primals)) if i not in nums):
            raise NotDifferentiable("hvp: a primal outside argnums has a tangent; "
                                    "give it None")
    g = grad(f, argnums=nums[0] if len(nums) == 1 else nums)
    return _tangent(g, primals, tangents)
