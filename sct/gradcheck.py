"""Gradient checking: sct's derivatives against central differences and each other.

``check_grads(f, args)`` differentiates ``f`` at ``args`` along a few random
directions per input and compares, for each input on its own:

* reverse mode (``sct.value_and_grad`` for a scalar output, ``sct.vjp`` with a random
  cotangent ``w`` otherwise) with central differences of ``f``: ``<J^T w, v>``
  against ``<w, (f(x + h v) - f(x - h v)) / 2h>``;
* forward mode (``sct.jvp``) with the same central differences, elementwise;
* the two modes with each other, the dot-product test ``<J v, w> == <v, J^T w>``,
  and the value each mode returns with ``f``'s own;
* with ``order=2`` (scalar outputs): ``sct.hvp`` (forward over reverse) with central
  differences of ``sct.grad`` (check "finite differences of sct.grad"), and
  ``sct.hessian`` with ``sct.hvp`` (check "Hessian vs hvp").

Tolerances follow the scale of the values. The step is ``h = eps * max(1, |x|)`` for
a direction of unit max-norm. A difference quotient carries truncation error
O(h^2) and rounding error of about ``macheps * |f| / h``, so a comparison with
finite differences passes when ``|sct - fd| <= atol + rtol * scale + noise``, where
``scale`` is the size of the compared quantities (for a dot product, the sum of the
absolute values of its terms) and ``noise = 10 * macheps * max|f(x +- h v)| / h``.
When ``|f|`` is much larger than its variation (a large constant term), that noise
is large too, and the report shows it in the ``allowed`` column: raise ``eps``.
Comparisons between sct's own results (dot product, values, Hessian) are exact up to
rounding and use a relative tolerance of 1e-9.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field

import numpy as np

from . import kinds as _kinds
from .api import grad, value_and_grad, vjp
from .errors import NotDifferentiable, SCTError
from .transforms import hessian, hvp, jvp

MODES = ("rev", "fwd")
MODE_CALLS = {"rev": "sct.value_and_grad, sct.vjp", "fwd": "sct.jvp",
              "rev+fwd": "sct.jvp, sct.vjp", "fwd-over-rev": "sct.hvp, sct.hessian"}
NOISE_ULPS = 10.0  # rounding of f a difference quotient may carry, in macheps * |f|
ROUNDING = 1e3 * np.finfo(float).eps  # (a zero computed by cancellation)
EXACT_RTOL = 1e-9  # sct against sct: the same derivative, computed two ways
HESSIAN_MAX = 200  # sct.hessian is checked for inputs of at most this many entries
_MACHEPS = float(np.finfo(float).eps)


class GradientCheckError(SCTError):
    """A derivative sct computed disagrees with finite differences or with itself.

    ``report`` is the :class:`GradCheckReport` with every comparison made.
    """

    def __init__(self, message: str, report: "GradCheckReport"):
        super().__init__(message)
        self.report = report


@dataclass
class Entry:
    """One check of one input in one mode, over every direction tried."""

    name: str  # the parameter's name
    index: int  # its position
    mode: str  # "rev", "fwd", "rev+fwd" or "fwd-over-rev"
    check: str  # "finite differences", "dot product", "value", "Hessian vs hvp", ...
    abs_err: float = 0.0
    rel_err: float = 0.0
    allowed: float = 0.0  # the absolute tolerance of the worst comparison
    passed: bool = True
    _worst: float = field(default=-1.0, repr=False)  # largest error / allowed so far

    def add(self, ours, ref, scale: float, allowed: float):
        """One comparison: ``ours`` against ``ref``, values of size ``scale``."""
        diff = np.abs(np.asarray(ours, float) - np.asarray(ref, float))
        err = float(np.max(diff, initial=0.0))
        if np.isnan(diff).any():
            err = float("inf")
        rel = err / scale if scale > 0 else (0.0 if err == 0 else float("inf"))
        ratio = err / allowed if allowed > 0 else (0.0 if err == 0 else float("inf"))
        if ratio >= self._worst:
            self._worst, self.abs_err, self.allowed = ratio, err, allowed
        self.rel_err = max(self.rel_err, rel)
        self.passed = self.passed and err <= allowed

    @property
    def argument(self) -> str:
        if self.index < 0:
            return "the value of the function"
        return f"argument '{self.name}' (position {self.index})"

    def describe(self) -> str:
        return (f"{self.argument}, mode {self.mode} ({MODE_CALLS[self.mode]}), "
                f"check {self.check}: max abs error {self.abs_err:.3g} (allowed "
                f"{self.allowed:.3g}), max rel error {self.rel_err:.3g}")


class GradCheckReport:
    """What :func:`check_grads` measured: an :class:`Entry` per input, mode, check."""

    def __init__(self, name: str, order: int, directions: int):
        self.name, self.order, self.directions = name, order, directions
        self.entries: list[Entry] = []
        self.notes: list[str] = []

    def entry(self, name, index, mode, check) -> Entry:
        for e in self.entries:
            if (e.index, e.mode, e.check) == (index, mode, check):
                return e
        e = Entry(name, index, mode, check)
        self.entries.append(e)
        return e

    @property
    def passed(self) -> bool:
        return all(e.passed for e in self.entries)

    def failures(self) -> list:
        return [e for e in self.entries if not e.passed]

    def __str__(self):
        verdict = "passed" if self.passed else f"FAILED ({len(self.failures())} checks)"
        lines = [f"check_grads({self.name}), order {self.order}, {self.directions} "
                 f"direction(s) per input: {verdict}"]
        rows = [("argument", "mode", "check", "max abs err", "max rel err", "allowed",
                 "")]
        for e in self.entries:
            who = f"{e.name} (#{e.index})" if e.index >= 0 else "(value)"
            rows.append((who, e.mode, e.check, f"{e.abs_err:.1e}",
                         f"{e.rel_err:.1e}", f"{e.allowed:.1e}",
                         "ok" if e.passed else "FAIL"))
        widths = [max(len(r[k]) for r in rows) for k in range(len(rows[0]))]
        for r in rows:
            lines.append("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip())
        lines += [f"note: {n}" for n in self.notes]
        return "\n".join(lines)

    def __repr__(self):
        return (f"<GradCheckReport {self.name}: {len(self.entries)} checks, "
                f"{'passed' if self.passed else 'failed'}>")


def check_grads(f, args, modes=MODES, order: int = 1, argnums=None, eps: float = 1e-6,
                rtol: float = 1e-5, atol: float = 0.0, seed: int = 0,
                directions: int = 2) -> GradCheckReport:
    """Check sct's derivatives of ``f`` at ``args`` against finite differences.

    Args:
        f: the function, called as ``f(*args)``; it returns a float or float array.
        args: the point, a tuple of arguments.
        modes: "rev" (``sct.value_and_grad``, or ``sct.vjp`` for a non-scalar
            output) and/or "fwd" (``sct.jvp``); with both, the dot-product test too.
        order: 2 also checks second derivatives (``sct.hvp``, ``sct.hessian``) of a
            scalar-output function.
        argnums: the inputs to check (int or tuple); default every float and float
            array argument (integer arguments are left alone).
        eps: the finite-difference step, relative to ``max(1, max|x|)``.
        rtol, atol: tolerances of the comparisons with finite differences (see the
            module docstring for the rounding noise added to them).
        seed: seeds the random directions and cotangents.
        directions: random directions tried per input.

    Returns:
        A :class:`GradCheckReport`; ``print`` it for a table.

    Raises:
        GradientCheckError: a check failed; the message names the argument, the mode,
            the check and the errors, and ``.report`` holds every measurement.
        NotDifferentiable: an input in ``argnums`` is not a float or float array, or
            the output is not one (or not a scalar, for ``order=2``).

    Example:
        >>> import numpy as np, sct
        >>> def f(x, y):
        ...     return np.sum(np.sin(x) * y)
        >>> report = sct.check_grads(f, (np.array([0.1, 0.2]), 3.0))
        >>> report.passed
        True
        >>> print(report)  # doctest: +ELLIPSIS
        check_grads(f), order 1, 2 direction(s) per input: passed
        argument  mode     check               max abs err  max rel err  allowed
        (value)   rev      value               0.0e+00      0.0e+00      ...  ok
        (value)   fwd      value               0.0e+00      0.0e+00      ...  ok
        x (#0)    rev      finite differences  ...  ok
        x (#0)    fwd      finite differences  ...  ok
        x (#0)    rev+fwd  dot product         ...  ok
        y (#1)    rev      finite differences  ...  ok
        ...
    """
    args = tuple(args)
    modes = parse_modes(modes)
    if order not in (1, 2):
        raise ValueError(f"order must be 1 or 2, not {order!r}")
    fname = getattr(f, "__name__", repr(f))
    names = _param_names(f, len(args))
    nums = _select(fname, args, argnums, names)
    rng = np.random.default_rng(seed)
    out = _call(f, args)
    kind = np.asarray(out).dtype.kind
    if isinstance(out, (tuple, list)) or kind != "f":
        raise NotDifferentiable(f"check_grads: '{fname}' must return a float or a "
                                f"float array, not {type(out).__name__}")
    scalar = np.ndim(out) == 0
    report = GradCheckReport(fname, order, directions)
    w = 1.0 if scalar else _direction(np.asarray(out), rng)
    for mode in modes:  # the table's order
        report.entry("", -1, mode, "value")
    rev_g = pull_g = None
    if "rev" in modes and scalar:
        val, grads = value_and_grad(f, argnums=nums)(*_copied(args))
        rev_g = dict(zip(nums, grads))
        _exact(report.entry("", -1, "rev", "value"), val, out, atol)
    if "rev" in modes and (not scalar or "fwd" in modes):
        vout, back = vjp(f, *_copied(args))
        cts = back(w)
        pull_g = {i: cts[i] for i in nums}
        rev_g = pull_g if rev_g is None else rev_g
        _exact(report.entry("", -1, "rev", "value"), vout, out, atol)
    for i in nums:
        for mode, check, wanted in (("rev", "finite differences", rev_g is not None),
                                    ("fwd", "finite differences", "fwd" in modes),
                                    ("rev+fwd", "dot product", len(modes) == 2)):
            if wanted:  # the table's order
                report.entry(names[i], i, mode, check)
        for _ in range(directions):
            v = _direction(args[i], rng)
            h = eps * max(1.0, _maxabs(args[i]))
            fd, noise = _difference(f, args, i, v, h)
            jv = None
            if "fwd" in modes:
                jout, jv = jvp(f, _copied(args), _tangents(args, i, v))
                _exact(report.entry("", -1, "fwd", "value"), jout, out, atol)
                scale = max(_maxabs(jv), _maxabs(fd))
                report.entry(names[i], i, "fwd", "finite differences").add(
                    jv, fd, scale, atol + rtol * scale + noise)
            if rev_g is not None:
                terms, ref_terms = rev_g[i] * v, w * fd
                a, b = float(np.sum(terms)), float(np.sum(ref_terms))
                scale = max(abs(a), abs(b), _sumabs(terms), _sumabs(ref_terms))
                report.entry(names[i], i, "rev", "finite differences").add(
                    a, b, scale, atol + rtol * scale + noise * _sumabs(w))
            if jv is not None and pull_g is not None:
                lhs_terms, rhs_terms = np.asarray(jv) * w, pull_g[i] * v
                scale = max(_sumabs(lhs_terms), _sumabs(rhs_terms))
                # a derivative that is zero by cancellation comes out as rounding
                # noise of the size of the values it cancels: allow that much
                floor = ROUNDING * _sumabs(w) * _maxabs(v) * max(1.0, _maxabs(out))
                report.entry(names[i], i, "rev+fwd", "dot product").add(
                    np.sum(lhs_terms), np.sum(rhs_terms), scale,
                    atol + EXACT_RTOL * scale + floor)
    if order == 2:
        if not scalar:
            raise NotDifferentiable(f"check_grads(order=2): '{fname}' must return a "
                                    f"scalar; it returned shape {np.shape(out)}")
        _second_order(f, args, nums, names, report, rng, eps, rtol, atol)
    if not report.passed:
        bad = report.failures()
        lines = [f"check_grads: the derivatives of '{fname}' are wrong "
                 f"({len(bad)} of {len(report.entries)} checks failed):"]
        lines += [f"  {e.describe()}" for e in bad]
        raise GradientCheckError("\n".join(lines), report)
    return report


def _second_order(f, args, nums, names, report, rng, eps, rtol, atol):
    """sct.hvp against differences of sct.grad; sct.hessian against sct.hvp."""
    floats = [i for i, a in enumerate(args) if _kinds.of_value(a) in ("S", "A")]
    g = grad(f, argnums=nums)
    size = sum(int(np.size(args[i])) for i in nums)
    H = hessian(f, argnums=nums)(*_copied(args)) if size <= HESSIAN_MAX else None
    if H is None:
        report.notes.append(f"sct.hessian not checked: the inputs have {size} entries "
                            f"(more than {HESSIAN_MAX})")
    for i in nums:
        for _ in range(report.directions):
            v = _direction(args[i], rng)
            h = eps * max(1.0, _maxabs(args[i]))
            hv = hvp(f, _copied(args), _tangents(args, i, v))
            hv = hv if len(floats) > 1 else (hv,)
            ours = _flat([hv[floats.index(j)] for j in nums])
            plus, minus = g(*_moved(args, i, v, h)), g(*_moved(args, i, v, -h))
            fd = (_flat(plus) - _flat(minus)) / (2 * h)
            noise = NOISE_ULPS * _MACHEPS * max(_maxabs(_flat(plus)),
                                                _maxabs(_flat(minus))) / h
            scale = max(_maxabs(ours), _maxabs(fd))
            report.entry(names[i], i, "fwd-over-rev",
                         "finite differences of sct.grad").add(
                ours, fd, scale, atol + rtol * scale + noise)
            if H is not None:
                k = nums.index(i)
                hv_full = _flat([np.tensordot(H[k][m], v, axes=np.ndim(args[i]))
                                 for m in range(len(nums))])
                scale = max(_maxabs(ours), _maxabs(hv_full))
                report.entry(names[i], i, "fwd-over-rev", "Hessian vs hvp").add(
                    hv_full, ours, scale, atol + EXACT_RTOL * scale)


# -- helpers --------------------------------------------------------------------------
def parse_modes(modes) -> tuple:
    """``modes`` as a tuple: a sequence or a comma-separated string of MODES."""
    if isinstance(modes, str):
        modes = [m.strip() for m in modes.split(",") if m.strip()]
    modes = tuple(modes)
    bad = [m for m in modes if m not in MODES]
    if bad or not modes:
        raise ValueError(f"modes must be a non-empty selection of {MODES}, not "
                         f"{modes!r}")
    return modes


def _param_names(f, n) -> list:
    try:
        params = [p.name for p in inspect.signature(f).parameters.values()
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    except (TypeError, ValueError):
        params = []
    return [params[i] if i < len(params) else f"#{i}" for i in range(n)]


def _select(fname, args, argnums, names) -> tuple:
    if argnums is None:
        nums = tuple(i for i, a in enumerate(args) if _kinds.of_value(a) in ("S", "A"))
        if not nums:
            raise NotDifferentiable(f"check_grads: no argument of '{fname}' is a float "
                                    f"or a float array")
        return nums
    nums = (argnums,) if isinstance(argnums, int) else tuple(argnums)
    if not nums or not all(isinstance(i, int) for i in nums):
        raise TypeError("argnums must be an int or a non-empty tuple of ints")
    for i in nums:
        if not 0 <= i < len(args):
            raise TypeError(f"argnums={i} but '{fname}' was given {len(args)} "
                            f"arguments")
        if _kinds.of_value(args[i]) not in ("S", "A"):
            raise NotDifferentiable(
                f"check_grads: argument '{names[i]}' (position {i}) of '{fname}' is "
                f"{type(args[i]).__name__}, not a float or a float array")
    return nums


def _copied(args) -> list:
    """Fresh copies of array arguments: ``f`` may write into its inputs."""
    return [np.array(a) if isinstance(a, np.ndarray) else a for a in args]


def _call(f, args):
    return f(*_copied(args))


def _moved(args, i, v, step) -> list:
    moved = _copied(args)
    moved[i] = args[i] + step * v
    return moved


def _difference(f, args, i, v, h):
    """Central difference of ``f`` along ``v`` on input ``i``, with its rounding."""
    plus = np.asarray(_call(f, _moved(args, i, v, h)), float)
    minus = np.asarray(_call(f, _moved(args, i, v, -h)), float)
    noise = NOISE_ULPS * _MACHEPS * max(_maxabs(plus), _maxabs(minus)) / h
    return (plus - minus) / (2 * h), noise


def _exact(entry, ours, ref, atol):
    scale = max(_maxabs(ours), _maxabs(ref))
    entry.add(ours, ref, scale, atol + EXACT_RTOL * scale)


def _tangents(args, i, v) -> list:
    tangents = [None] * len(args)
    tangents[i] = v
    return tangents


def _direction(x, rng):
    """A random direction shaped like ``x``, of unit max-norm."""
    if isinstance(x, np.ndarray):
        v = rng.normal(size=x.shape)
        return v / max(_maxabs(v), 1e-300) if v.size else v
    return 1.0 if rng.normal() >= 0 else -1.0


def _flat(parts) -> np.ndarray:
    if not isinstance(parts, (tuple, list)):
        parts = (parts,)
    return np.concatenate([np.ravel(np.asarray(p, float)) for p in parts])


def _maxabs(x) -> float:
    return float(np.max(np.abs(np.asarray(x, float)), initial=0.0))


def _sumabs(x) -> float:
    return float(np.sum(np.abs(np.asarray(x, float))))
