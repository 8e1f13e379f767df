"""The engines: how each tool computes the gradient of a workload instance.

An engine's ``prepare(inst)`` returns a thunk ``() -> gradients`` that does one full
gradient evaluation with the arguments already in the engine's own types (the
conversion is not timed). ``to_numpy`` turns what the thunk returns into a tuple of
NumPy values, one per differentiated argument, to check against the hand-written
gradient. Engines that need another array library run the very same user function
with its global ``np`` bound to that library (``jax.numpy``, ``autograd.numpy``, or a
small shim over ``torch``).

``prepare`` raises what the engine raises: ``ImportError`` when a peer is not
installed, ``AttributeError`` for a missing transform (``sct.jvp``), an ``SCTError``
when sct cannot build the derivative. The runner reports all of these as n/a.
"""

from __future__ import annotations

import types
import warnings
from dataclasses import dataclass, field
from types import SimpleNamespace

import numpy as np

from benchmarks import threads

# forward mode: one jvp per input scalar, so only on instances with at most this many
FORWARD_MAX_INPUTS = 16


@dataclass
class Engine:
    name: str
    prepare: object
    # whether the engine runs on an instance at all (False: left out of the table)
    applies: object = field(default=lambda inst: True)
    # first call measured on fresh function objects, several times (the derivative
    # cache is cold each time)
    cold_builds: bool = False
    checked: bool = True
    # imported before the first call is timed: an import is not part of a build
    modules: tuple = ()

    def load(self) -> None:
        for name in self.modules:
            _import_quietly(name)

    def versions(self) -> dict:
        """Versions of the engine's modules that are imported (for the JSON)."""
        import importlib.metadata as metadata
        import sys
        out = {}
        for name in self.modules:
            mod = sys.modules.get(name)
            if mod is None or "." in name:
                continue
            dists = metadata.packages_distributions().get(name, [name])
            try:
                out[dists[0]] = metadata.version(dists[0])
            except metadata.PackageNotFoundError:
                out[name] = getattr(mod, "__version__", "?")
        return out


def to_numpy(result) -> tuple:
    if not isinstance(result, (tuple, list)):
        result = (result,)
    out = []
    for g in result:
        if hasattr(g, "detach"):  # torch
            g = g.detach().cpu().numpy()
        out.append(np.asarray(g))
    return tuple(out)


def fresh(fn):
    """A new function object with ``fn``'s code: per-function caches start empty."""
    new = types.FunctionType(fn.__code__, fn.__globals__, fn.__name__, fn.__defaults__,
                             fn.__closure__)
    new.__kwdefaults__ = fn.__kwdefaults__
    new.__qualname__ = fn.__qualname__
    new.__module__ = fn.__module__
    new.__dict__.update(fn.__dict__)
    return new


def rebind(fn, np_like):
    """``fn``'s code with the global name ``np`` bound to ``np_like``."""
    namespace = dict(fn.__globals__)
    namespace["np"] = np_like
    new = types.FunctionType(fn.__code__, namespace, fn.__name__, fn.__defaults__,
                             fn.__closure__)
    new.__qualname__ = fn.__qualname__
    return new


def _is_float(value) -> bool:
    return isinstance(value, float) or (
        isinstance(value, np.ndarray) and value.dtype.kind == "f")


def forward_applies(inst) -> bool:
    n = sum(int(np.size(inst.args[i])) for i in inst.argnums)
    return inst.forward_ok and n <= FORWARD_MAX_INPUTS


def forward_gradient(jvp, fn, args, argnums):
    """The gradient from one ``jvp(fn, primals, tangents) -> (out, out_dot)`` per input.

    The tangent of a float argument that is not differentiated is zero; that of a
    non-float argument (a trip count) is None.
    """
    zero = [0.0 if isinstance(a, float) else np.zeros_like(a) if _is_float(a) else None
            for a in args]
    grads = []
    for i in argnums:
        a = args[i]
        if np.ndim(a) == 0:
            tangents = list(zero)
            tangents[i] = 1.0
            grads.append(jvp(fn, tuple(args), tuple(tangents))[1])
            continue
        g = np.empty(np.shape(a))
        for j in np.ndindex(g.shape):
            tangents = list(zero)
            e = np.zeros(g.shape)
            e[j] = 1.0
            tangents[i] = e
            g[j] = jvp(fn, tuple(args), tuple(tangents))[1]
        grads.append(g)
    return tuple(grads)


def _import_quietly(name):
    """Import a peer without letting its import-time deprecation warnings abort us."""
    import importlib
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return importlib.import_module(name)


def warm_up() -> str | None:
    """Pay sct's one-time costs (first imports, first parse) before measuring builds.

    Returns None, or why sct is unavailable (the engines then report it per workload).
    """
    try:
        import sct

        def warm(x):
            return x * x
        sct.grad(warm)(1.0)
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


# --- references -----------------------------------------------------------------------
def prepare_function(inst):
    fn, args = inst.fn, inst.args
    return lambda: fn(*args)


def prepare_hand(inst):
    hand, args = inst.hand, inst.args
    return lambda: hand(*args)


# --- sct and its baselines ------------------------------------------------------------
def prepare_sct_reverse(inst):
    import sct
    g = sct.grad(fresh(inst.fn), argnums=inst.argnums)
    args = inst.args
    return lambda: g(*args)


def prepare_sct_forward(inst):
    import sct
    jvp = sct.jvp
    fn, args, nums = fresh(inst.fn), inst.args, inst.argnums
    return lambda: forward_gradient(jvp, fn, args, nums)


def prepare_tape(inst):
    from sct.baseline import tape
    g = tape.grad(inst.fn, inst.argnums)
    args = inst.args
    return lambda: g(*args)


def prepare_dual(inst):
    from sct.baseline import dual
    jvp = dual.jvp
    fn, args, nums = inst.fn, inst.args, inst.argnums
    return lambda: forward_gradient(jvp, fn, args, nums)


# --- peers ----------------------------------------------------------------------------
def prepare_autograd(inst):
    autograd = _import_quietly("autograd")
    anp = _import_quietly("autograd.numpy")
    g = autograd.grad(rebind(inst.fn, anp), argnum=inst.argnums)
    args = inst.args
    return lambda: g(*args)


def _jax():
    jax = _import_quietly("jax")
    jax.config.update("jax_enable_x64", True)
    return jax, _import_quietly("jax.numpy")


def _jax_args(jnp, args):
    return tuple(jnp.asarray(a) if _is_float(a) else a for a in args)


def _static(args):
    return tuple(i for i, a in enumerate(args) if not _is_float(a))


def prepare_jax_eager(inst):
    jax, jnp = _jax()
    g = jax.grad(rebind(inst.fn, jnp), argnums=inst.argnums)
    args = _jax_args(jnp, inst.args)
    return lambda: jax.block_until_ready(g(*args))


def prepare_jax_jit(inst):
    jax, jnp = _jax()
    g = jax.jit(jax.grad(rebind(inst.fn, jnp), argnums=inst.argnums),
                static_argnums=_static(inst.args))
    args = _jax_args(jnp, inst.args)
    return lambda: jax.block_until_ready(g(*args))


def torch_numpy(torch):
    """The part of NumPy's API the workloads use, over torch tensors."""
    def reduction(op):
        def reduce(x, axis=None, keepdims=False):
            if axis is None and not keepdims:
                return op(x)
            dims = tuple(range(x.dim())) if axis is None else axis
            return op(x, dim=dims, keepdim=keepdims)
        return reduce
    return SimpleNamespace(
        log=torch.log, exp=torch.exp, sin=torch.sin, cos=torch.cos, tanh=torch.tanh,
        sqrt=torch.sqrt, sum=reduction(torch.sum), mean=reduction(torch.mean),
        max=reduction(torch.amax))


def prepare_torch(inst):
    torch = _import_quietly("torch")
    if threads.requested():
        torch.set_num_threads(threads.requested())
    fn = rebind(inst.fn, torch_numpy(torch))
    args = []
    for i, a in enumerate(inst.args):
        if _is_float(a):
            a = torch.tensor(a, dtype=torch.float64, requires_grad=i in inst.argnums)
        args.append(a)
    params = [args[i] for i in inst.argnums]

    def call():
        for p in params:
            p.grad = None
        fn(*args).backward()
        return tuple(p.grad for p in params)
    return call


def prepare_tangent(inst):
    tangent = _import_quietly("tangent")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        g = tangent.grad(inst.fn, wrt=inst.argnums, verbose=0)
    args = inst.args
    return lambda: g(*args)


ENGINES = [
    Engine("function", prepare_function, checked=False),
    Engine("hand-written", prepare_hand),
    Engine("sct reverse", prepare_sct_reverse, cold_builds=True, modules=("sct",)),
    Engine("sct forward", prepare_sct_forward, applies=forward_applies,
           cold_builds=True, modules=("sct",)),
    Engine("tape", prepare_tape, modules=("sct.baseline.tape",)),
    Engine("dual", prepare_dual, applies=forward_applies,
           modules=("sct.baseline.dual",)),
    Engine("autograd", prepare_autograd, modules=("autograd", "autograd.numpy")),
    Engine("jax eager", prepare_jax_eager, modules=("jax", "jax.numpy")),
    Engine("jax jit", prepare_jax_jit, modules=("jax", "jax.numpy")),
    Engine("torch", prepare_torch, modules=("torch",)),
    Engine("tangent", prepare_tangent, modules=("tangent",)),
]
