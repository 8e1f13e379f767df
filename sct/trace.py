"""Evaluation traces: the primal, tangent and adjoint tables of one evaluation.

The textbook way to explain automatic differentiation. ``sct.trace(f, *args)`` runs
the three-address form sct builds for ``f`` (what ``sct.pipeline.stage_source(f,
"normalize")`` prints) one statement at a time (:mod:`sct.trace_interp`). Every
executed assignment is a row, named like the textbook: inputs ``v-1, v0``, then
``v1, v2, ...``, one row per pass in loops. Tangents and adjoints come from sct's own
rule table through the callables of :mod:`sct.rules.compiled`, so each number is the
formula the compiler inlines; the tables print those formulas in the function's own
names (:mod:`sct.trace_render`).

>>> import numpy as np, sct
>>> def f(x1, x2):
...     return np.log(x1) + x1 * x2 - np.sin(x2)
>>> t = sct.trace(f, 2.0, 5.0)
>>> print(t.table("adjoint"))
Reverse adjoint trace from out_bar = 1
v    adjoint          expression                                        value  line
v5   out_bar          1                                                     1     2
v4   sin_x2_bar       -out_bar                                             -1     2
v3   out_t1_bar       out_bar                                               1     2
v2   x1_times_x2_bar  out_t1_bar                                            1     2
v1   log_x1_bar       out_t1_bar                                            1     2
v0   x2_bar           x1 * x1_times_x2_bar + sin_x2_bar * np.cos(x2)  1.71634     1
v-1  x1_bar           log_x1_bar / x1 + x1_times_x2_bar * x2              5.5     1
>>> t.gradient
(5.5, 1.7163378145367738)
>>> t.jvp    # along the default direction (x1_dot, x2_dot) = (1, 0)
5.5
"""

from __future__ import annotations

import inspect
import shutil
import subprocess
from pathlib import Path

import numpy as np

from . import kinds, pipeline, runtime
from .errors import NotDifferentiable, SCTError
from .trace_interp import Interpreter, Struct, TraceError
from .trace_render import Row, Step, TraceView, freeze, has_float, value_text, vname

__all__ = ["trace", "Trace", "Row", "TraceError", "GraphvizNotFound"]


class GraphvizNotFound(SCTError):
    """``Trace.render`` needs the Graphviz ``dot`` program, which is not installed."""


def trace(f, *args, argnums=None, direction=None) -> Trace:
    """Evaluate ``f(*args)`` step by step: the primal, tangent and adjoint traces.

    Args:
        f: a Python function sct can read (the functions ``sct.grad`` takes).
        *args: the point; missing arguments take ``f``'s defaults.
        argnums: the inputs to differentiate (int or tuple); ``None`` is every float
            or float-array argument.
        direction: the tangent of each input in ``argnums`` (a tuple, or one value for
            one input); by default the unit vector along the first input's first entry.

    Returns:
        A :class:`Trace`: ``primal``, ``tangent`` and ``adjoint`` rows, ``value``,
        ``gradient``, ``jvp``, the tables (``str(t)``, ``t.table``), ``to_dot()`` and
        ``render(path)``.

    Raises:
        TraceError: a construct the interpreter cannot follow, at its file:line (a call
            of a user function that normalize does not inline, a list mutation, ...).
        NotDifferentiable: ``argnums`` names an argument that is not a float or a
            float array; ``gradient`` and ``adjoint`` raise it for a non-scalar output.
        UnsupportedSyntax: what ``sct.grad`` refuses too.

    >>> import numpy as np, sct
    >>> def g(x):
    ...     y = x
    ...     for i in range(2):
    ...         y = np.sin(y) * x
    ...     return y
    >>> t = sct.trace(g, 0.5)
    >>> [(r.name, r.variable, r.expression) for r in t.primal[3:6]]
    [('v3', 'i', 'range_2[0]'), ('v4', 'sin_y', 'np.sin(y)'), ('v5', 'y', 'sin_y * x')]
    >>> bool(np.isclose(t.gradient[0], sct.grad(g)(0.5)))
    True
    """
    run = Interpreter(f)
    names = pipeline.arg_names(run.tree)
    bound = inspect.signature(run.q.fn).bind(*args)
    bound.apply_defaults()
    values = [bound.arguments[n] for n in names]
    floats = [i for i, v in enumerate(values) if kinds.of_value(v) in ("S", "A")]
    if argnums is None:
        nums = tuple(floats)
    else:
        nums = (argnums,) if isinstance(argnums, int) else tuple(argnums)
        for i in nums:
            if i not in floats:
                raise NotDifferentiable(f"sct.trace: argument {i} of {run.q.name} is "
                                        f"not a float or a float array")
    if not nums:
        raise NotDifferentiable(f"sct.trace: {run.q.name} has no float argument")
    if direction is None:
        direction = [runtime.zeros_like(values[i]) for i in nums]
        direction[0] = np.array(direction[0], dtype=float)
        direction[0].flat[0] = 1.0
        direction = tuple(d if np.ndim(d) else float(d) for d in direction)
    elif not isinstance(direction, tuple):
        direction = (direction,)
    if len(direction) != len(nums):
        raise ValueError(f"direction has {len(direction)} tangents for {len(nums)} "
                         f"inputs")
    for k, (name, value) in enumerate(zip(names, values)):
        step = run.bind(run.tree, name, value, None, "input", kind="input", uses=[])
        step.index = k - len(names) + 1
        if k in nums:
            tangent = direction[nums.index(k)]
            if np.shape(tangent) != np.shape(value):
                raise ValueError(f"the tangent of {name} has shape "
                                 f"{np.shape(tangent)}, not {np.shape(value)}")
            step.dot = np.array(tangent, dtype=float) if np.ndim(value) else \
                float(tangent)
            run.refs[name] = step
    run.n = 0
    return Trace(run, run.run(), nums, direction)


class Trace(TraceView):
    """What :func:`trace` returns.

    Attributes:
        primal, tangent, adjoint: lists of :class:`Row` (see :class:`TraceView`).
        value: what ``f`` returned.
        jvp: the tangent of the output along ``direction``.
        gradient: the adjoint of each input in ``argnums`` (a scalar output only).
        argnums, direction: the inputs differentiated and their tangents.
        steps: the executed assignments, with their derivative data.
    """

    def __init__(self, run, out, nums, direction):
        self.steps, self.argnums, self.direction = run.steps, nums, direction
        self.function, self.filename = run.q.name, run.q.filename
        self.user_globals = run.q.globals
        self.inputs = [s for s in run.steps if s.kind == "input"]
        self.value, ref = out
        self.out_step = ref if isinstance(ref, Step) else None
        self.jvp = _tangent_of(self.value, ref)
        self._adjoint_error = None
        shaped = not isinstance(self.value, (tuple, list, dict))
        if not (shaped and np.size(self.value) == 1 and has_float(self.value)):
            what = f"an array of shape {np.shape(self.value)}" if isinstance(
                self.value, np.ndarray) else f"a {type(self.value).__name__}"
            self._adjoint_error = NotDifferentiable(
                f"sct.trace: the adjoint trace needs a scalar float output; "
                f"{self.function} returns {what}")
        elif self.out_step is not None:
            _reverse(self.steps, self.out_step, self.value)

    @property
    def gradient(self) -> tuple:
        """The adjoint of each input in ``argnums``, shaped like the input."""
        if self._adjoint_error is not None:
            raise self._adjoint_error
        out = []
        for i in self.argnums:
            s = self.inputs[i]
            g = s.bar if s.bar is not None else runtime.zeros_like(s.value)
            out.append(np.array(np.broadcast_to(g, np.shape(s.value)), dtype=float)
                       if isinstance(s.value, np.ndarray) else float(g))
        return tuple(out)

    # -- the computation graph ---------------------------------------------------------
    def _partial(self, step, i, k):
        """d step / d (its argument i, item k), when both are scalars."""
        if step.kind == "copy":
            return 1.0
        mask = tuple(p is not None for p in step.parents)
        g = step.prim.vjp_for(mask)(step.value, 1.0, *step.args, **step.kw)[i]
        g = g[k] if k is not None else g
        return g if g is not None and np.ndim(g) == 0 else None

    def to_dot(self, digits=4) -> str:
        """The computation graph in Graphviz DOT: inputs, the steps with a derivative
        and the output (a double border), each edge labelled with the local partial
        derivative when both ends are scalars. Steps that do not reach the output
        are dashed."""
        lines = [f'digraph "{_escape(self.function)}" {{', "  rankdir=LR;",
                 '  node [shape=box, fontname="Helvetica", fontsize=10];',
                 '  edge [fontname="Helvetica", fontsize=9];']
        reach = self._adjoint_error is None and self.out_step is not None
        for s in self.steps:
            if s.dot is None:
                continue
            label = f"{vname(s)}: {s.var}"
            if s.kind != "input":
                label += f"\n{s.expr}"
            label += f"\n= {value_text(s.value, digits)}"
            attrs = [f'label="{_escape(label)}"']
            if s.kind == "input":
                attrs.append("shape=ellipse")
            if s is self.out_step:
                attrs.append("peripheries=2")
            elif reach and s.bar is None:
                attrs.append("style=dashed")
            lines.append(f'  "{vname(s)}" [{", ".join(attrs)}];')
        for s in self.steps:
            if s.dot is None or s.kind not in ("op", "copy"):
                continue
            edges = {}
            for i, p in enumerate(s.parents):
                for k, q in (enumerate(p) if isinstance(p, tuple) else [(None, p)]):
                    if q is None:
                        continue
                    scalar = np.ndim(s.value) == 0 and np.ndim(q.value) == 0 and \
                        not isinstance(q.value, (tuple, list))
                    d = self._partial(s, i, k) if scalar else None
                    old = edges.get(id(q), (q, 0.0))
                    edges[id(q)] = (q, None if d is None or old[1] is None
                                    else old[1] + d)
            for q, d in edges.values():
                label = f' [label="{value_text(d, digits)}"]' if d is not None else ""
                lines.append(f'  "{vname(q)}" -> "{vname(s)}"{label};')
        return "\n".join(lines + ["}"]) + "\n"

    def render(self, path, format=None) -> Path:
        """Draw the graph with Graphviz ``dot`` into ``path`` (its suffix, e.g. ``.png``
        or ``.svg``, picks the format unless ``format`` is given) and return the path.

        Raises:
            GraphvizNotFound: the ``dot`` program is not on ``PATH``.
            SCTError: ``dot`` failed (its message is included).
        """
        path = Path(path)
        fmt = format or path.suffix.lstrip(".") or "png"
        dot = shutil.which("dot")
        if dot is None:
            raise GraphvizNotFound(
                "Trace.render needs the Graphviz 'dot' program, which is not on PATH. "
                "Install Graphviz (apt-get install graphviz, brew install graphviz, "
                "conda install graphviz, or https://graphviz.org/download/), or write "
                "t.to_dot() to a .dot file and open it in any Graphviz viewer.")
        done = subprocess.run([dot, f"-T{fmt}", "-o", str(path)], input=self.to_dot(),
                              capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise SCTError(f"dot -T{fmt} failed: {done.stderr.strip()}")
        return path


def _tangent_of(value, ref):
    if isinstance(ref, Step):
        return float(ref.dot) if isinstance(ref.dot, np.floating) else freeze(ref.dot)
    if isinstance(ref, Struct):
        keys = ref.items.keys() if isinstance(ref.items, dict) else range(len(value))
        got = {k: _tangent_of(value[k], ref.items[k]) for k in keys}
        return got if isinstance(value, dict) else type(value)(got.values())
    return runtime.zeros_like(value)


def _reverse(steps, out, value):
    """Accumulate adjoints from ``out`` back through the steps, last first."""
    out.bar = np.ones_like(value, dtype=float) if isinstance(value, np.ndarray) else 1.0
    for step in reversed(steps):
        if step.bar is None or step.kind not in ("op", "copy"):
            continue
        if step.kind == "copy":
            grads = (step.bar,)
        else:
            mask = tuple(p is not None for p in step.parents)
            grads = step.prim.vjp_for(mask)(step.value, step.bar, *step.args, **step.kw)
        for parent, g in zip(step.parents, grads):
            if parent is None or g is None:
                continue
            pairs = zip(parent, g) if isinstance(parent, tuple) else [(parent, g)]
            for p, gp in pairs:
                if p is not None:
                    p.bar = gp if p.bar is None else p.bar + gp


def _escape(text) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
