"""The derivative rule registry and the template language rules are written in.

A rule is a Python function that is parsed and inlined, never run::

    @rule(np.log, domain="positive")
    def log(y, x):
        with adjoint:
            d[x] += d[y] / x
        with tangent:
            d[y] = d[x] / x

The first parameter is the call's result, the others bind the call's arguments
(keywords and defaults as in a normal call). ``d[v]`` is the adjoint of ``v`` inside
``with adjoint`` and its tangent inside ``with tangent``. Names that are neither
parameters nor assigned in the template are globals of the rule's module (``np``,
runtime helpers) and are resolved to objects when the rule is registered.

The registry maps a callable (``np.log``, ``math.sin``, ``operator.mul``) to its
:class:`Rule`. It and the derivative cache are the only global mutable state.
"""

from __future__ import annotations

import functools
import inspect
import textwrap
import threading

import gast

from .. import walk

# Markers used inside templates. They are never executed.
adjoint = tangent = None


class _D:
    def __getitem__(self, key):  # pragma: no cover - templates are never run
        raise RuntimeError("d[...] is only meaningful inside a derivative rule")


d = _D()

DOMAINS = ("real", "positive", "unit", "nonzero", "any")

_registry: dict = {}
_registry_lock = threading.RLock()
# Bumped whenever a rule is (re)registered, so cached derivatives can notice.
generation = [0]


class Rule:
    """One primitive's derivative: templates for both modes and facts for the compiler.

    Attributes:
        fn: the primitive the rule is for.
        name: the template's name (used in error messages and tests).
        domain: where the primitive is smooth, for the tests (see ``DOMAINS``).
        elementwise: the primitive broadcasts its array arguments; the compiler
            undoes broadcasting in adjoints, so the template never does.
        linear: argument positions where a zero makes the result zero (each on its
            own: products and linear maps such as ``np.sum``, not sums).
        nondiff: the result has zero derivative (``np.floor``, ``len``).
        output: what kind of value the primitive returns ("scalar", "like" the
            arguments for elementwise ones, or "any").
        examples: optional ``rng -> list of (args, kwargs)`` for the rule tests, for
            primitives whose arguments are not all float arrays.
        check: optional ``{param: constant} -> None`` run when a derivative is built,
            with the call's constant arguments; raises ``ValueError`` to refuse it.
    """

    def __init__(self, fn, template, *, domain, elementwise, linear, nondiff,
                 output, examples, user, arrays=True, check=None):
        self.fn = fn
        self.check = check
        self.template = template
        self.name = template.__name__ if template is not None else getattr(
            fn, "__name__", repr(fn))
        self.domain = domain
        self.elementwise = elementwise
        self.linear = tuple(linear)
        self.nondiff = nondiff
        self.output = output
        self.examples = examples
        self.user = user
        self.arrays = arrays
        self._parsed = None
        self._lock = threading.Lock()

    # -- the template, parsed once on first use -------------------------------
    @functools.cached_property
    def signature(self) -> inspect.Signature:
        return inspect.signature(self.template)  # (a template never changes)

    @property
    def params(self) -> list[str]:
        """Parameter names after the result."""
        return list(self._names[1:])

    @functools.cached_property
    def _names(self) -> tuple:
        return tuple(self.signature.parameters)

    @functools.cached_property
    def result(self) -> str:
        return self._names[0]

    @functools.cached_property
    def positions(self) -> dict:
        """``{param: its position among the parameters after the result}``."""
        return {p: i for i, p in enumerate(self._names[1:])}

    def parsed(self):
        """``(adjoint_stmts, tangent_stmts, globals)`` of the template."""
        if self._parsed is None:
            with self._lock:
                if self._parsed is None:
                    self._parsed = _parse_template(self.template)
        return self._parsed

    @functools.cached_property
    def flow_params(self):
        """The parameters whose derivative reaches the result: those the templates
        write as ``d[p] +=`` or read as ``d[p]`` (``unreduce(g, x)`` reads ``x`` only
        for its shape: not ``x``). ``None``: every parameter (no template)."""
        if self.template is None:
            return None
        adj, tan, _ = self.parsed()
        found = set()
        for stmt in list(adj) + list(tan):
            for n in walk.nodes(stmt):
                if isinstance(n, gast.Subscript) and isinstance(n.value, gast.Name) and \
                        n.value.id == "d" and isinstance(n.slice, gast.Name):
                    found.add(n.slice.id)
        return found & set(self.params)

    def has_mode(self, mode: str) -> bool:
        if self.nondiff:
            return True
        adj, tan, _ = self.parsed()
        return bool(adj if mode == "adjoint" else tan)

    def __repr__(self):
        return f"<sct rule {self.name} for {self.fn!r}>"


def _parse_template(template):
    from ..quote import parse, source_lines
    lines, _ = source_lines(template)  # (without the tokenizer, as for user code)
    tree = parse(textwrap.dedent("".join(lines)))
    fdef = tree.body[0]
    blocks = {"adjoint": [], "tangent": []}
    for stmt in fdef.body:
        if isinstance(stmt, gast.Expr) and isinstance(stmt.value, gast.Constant):
            continue  # docstring
        if isinstance(stmt, gast.With) and len(stmt.items) == 1:
            e = stmt.items[0].context_expr  # `adjoint` or `sct.adjoint`
            mode = e.id if isinstance(e, gast.Name) else (
                e.attr if isinstance(e, gast.Attribute) else None)
            if mode in blocks:
                blocks[mode] = stmt.body
                continue
        raise SyntaxError(
            f"rule {template.__name__}: only 'with adjoint:' and 'with tangent:' "
            f"blocks may appear in a derivative rule")
    params = set(inspect.signature(template).parameters)
    assigned = {n.id for b in blocks.values() for s in b for n in walk.nodes(s)
                if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store)}
    env = dict(template.__globals__)
    if template.__closure__:
        env.update(zip(template.__code__.co_freevars,
                       (c.cell_contents for c in template.__closure__)))
    names = {n.id for b in blocks.values() for s in b for n in walk.nodes(s)
             if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Load)}
    glob = {}
    for name in names - params - assigned - {"d"}:
        if name in env:
            glob[name] = env[name]
        else:
            import builtins
            if not hasattr(builtins, name):
                raise NameError(f"rule {template.__name__}: unknown name {name!r}")
            glob[name] = getattr(builtins, name)
    return blocks["adjoint"], blocks["tangent"], glob


def rule(fn, *, domain="real", elementwise=False, linear=(), nondiff=False,
         output="any", examples=None, arrays=True, check=None):
    """Register the derivative of ``fn`` (a decorator over a rule template).

    Args:
        fn: the function the rule differentiates (``np.log``, or a user function,
            which then is never derived from its source).
        domain: where ``fn`` is smooth, for the rule tests: "real", "positive",
            "unit", "nonzero" or "any" (arguments are not float arrays; give
            ``examples``).
        elementwise: ``fn`` broadcasts its arguments; adjoints are unbroadcast by
            the compiler.
        linear: argument positions where a zero alone makes the result zero (a
            product's factors, the argument of ``np.sum``; not the terms of a sum).
        nondiff: ``fn`` has a zero derivative everywhere it is defined.
        output: "scalar", "like" (elementwise), "reduce" (scalar unless an
            ``axis`` or ``keepdims`` is given) or "any".
        arrays: ``fn`` accepts arrays (``math.sin`` does not), for the tests.
        examples: ``rng -> [(args, kwargs), ...]`` for the rule tests.
        check: ``{param: value} -> None``, given the call's constant arguments when
            a derivative is built; a ``ValueError`` it raises refuses the call with
            its message, at the user's line (``np.einsum`` checks its subscripts).

    Returns:
        The template, unchanged.

    Example:
        >>> import numpy as np, sct
        >>> def softplus(x):
        ...     return np.log1p(np.exp(x))
        >>> @sct.rule(softplus)
        ... def softplus_rule(y, x):
        ...     with adjoint:
        ...         d[x] += d[y] / (1.0 + np.exp(-x))
        ...     with tangent:
        ...         d[y] = d[x] / (1.0 + np.exp(-x))
        >>> round(float(sct.grad(softplus)(0.0)), 6)
        0.5
    """
    if domain not in DOMAINS:
        raise ValueError(f"domain must be one of {DOMAINS}, not {domain!r}")

    def register(template):
        r = Rule(fn, template, domain=domain, elementwise=elementwise,
                 linear=linear, nondiff=nondiff, output=output, examples=examples,
                 user=not template.__module__.startswith("sct."), arrays=arrays,
                 check=check)
        with _registry_lock:
            _registry[_key(fn)] = r
            generation[0] += 1
        return template

    return register


def nondifferentiable(*fns, output="any"):
    """Register functions whose results carry no derivative (``len``, ``np.floor``)."""
    with _registry_lock:
        for fn in fns:
            _registry[_key(fn)] = Rule(
                fn, None, domain="any", elementwise=False, linear=(),
                nondiff=True, output=output, examples=None, user=False)
        generation[0] += 1


def _key(fn):
    # Bound methods of the same builtin compare equal but are new objects.
    try:
        hash(fn)
        return fn
    except TypeError:
        return id(fn)


def lookup(fn):
    """The :class:`Rule` for ``fn``, or ``None``."""
    try:
        return _registry.get(fn)  # (what _key gives a hashable fn: itself)
    except TypeError:
        pass
    try:
        hash(fn)
    except TypeError:
        return _registry.get(id(fn))
    return None  # (hashable, but comparing it with a key failed)


def all_rules() -> list:
    """Every registered rule with a template, in registration order."""
    return [r for r in _registry.values() if r.template is not None]
