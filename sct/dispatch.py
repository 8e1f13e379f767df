"""The function ``sct.grad(f)`` returns: a dispatcher that specializes itself.

A derivative is built for the kinds of its arguments (floats, float arrays, ...). The
dispatcher is a small generated function whose body tests the exact argument types
of the specializations built so far and calls the matching one; anything else takes
the slow path, which builds a new specialization and rewrites the dispatcher's code
to test for it too. A hit costs a few type checks and one call.

For ``def f(x1, x2)`` after a call with two floats, the dispatcher reads::

    def f_grad(x1, x2):
        if type(x1) is _sct_t0_0 and type(x2) is _sct_t0_1:
            return _sct_e0(x1, x2)
        return _sct_slow(x1, x2)

For arrays it also tests the dtype (by identity: the one seen, a float dtype) and,
when the build is for their shapes, the shapes. Another float dtype with the same
types takes the slow path, which finds the same build and adds a test for it.

The ``_sct_`` names are closure cells (read faster than keyword defaults),
the same cells in every version of the code, so that a new specialization swaps the
code and fills the cells of every function already handed out.
"""

from __future__ import annotations

import inspect
import keyword
import re
import threading
import types
import weakref

import numpy as np

MAX_FAST = 4  # specializations tested inline; more go through a dictionary
_compiled: dict = {}  # (source, file name) -> code: the dispatchers' code, shared


def _none():
    return None


class Dispatcher:
    """The specializations of one transform of ``f``, and the functions that call them.

    Holds ``f`` weakly (it lives in a cache keyed weakly by ``f``); the functions it
    hands out (:meth:`function`) hold ``f`` strongly and share its code, so a new
    specialization reaches every one of them.
    """

    def __init__(self, f, name, specialize, state):
        self.f_ref = weakref.ref(f)
        self.name = name
        self.specialize = specialize  # (f, args) -> (entry, array positions, guards)
        self.state = state
        self.lock = threading.Lock()
        self.table: dict = {}
        self.fast: list = []  # (types, array positions, shapes or None, entry, dtypes)
        self.live = weakref.WeakSet()  # the functions handed out and still alive
        self.last = _none  # a weak reference to the last one
        self.sig = inspect.signature(f)
        params = list(self.sig.parameters.values())
        self.simple = all(p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
                          for p in params)
        self.pos = [p.name for p in params if p.kind == p.POSITIONAL_OR_KEYWORD]
        self.kwonly = [p.name for p in params if p.kind == p.KEYWORD_ONLY]
        self.user_kwdefaults = dict(getattr(f, "__kwdefaults__", None) or {})
        # the names the dispatch code reads, each a closure cell (a cell is read faster
        # than a keyword default): every version of the code has the same ones
        self.cells = ["_sct_slow"] + [
            name for n in range(MAX_FAST) for name in
            [f"_sct_t{n}_{i}" for i in range(len(self.pos))]
            + [f"_sct_s{n}_{i}" for i in range(len(self.pos))]
            + [f"_sct_d{n}_{i}" for i in range(len(self.pos))] + [f"_sct_e{n}"]]
        self.code = self.closure = None
        if self.simple:  # one set of cells, shared by every function handed out
            self._cells = {name: types.CellType() for name in self.cells}
            self._recompile()

    def function(self, f, info):
        """A function that dispatches (an existing live one when there is one)."""
        # every function handed out calls f's derivative: one still alive will do
        # (for sct.grad(f)(x) in a loop, the last one is already gone)
        fn = self.last()
        if fn is not None and fn.__sct__["fn"] is f:
            return fn
        if self.simple:
            fn = types.FunctionType(self.code, self.globals, self.name, f.__defaults__,
                                    self.closure)
            if self.user_kwdefaults:
                fn.__kwdefaults__ = dict(self.user_kwdefaults)
        else:
            slow = self.slow

            def fn(*args, **kwargs):
                return slow(*args, **kwargs)
        fn.__dict__ = {"__signature__": self.sig, "__sct__": info}
        fn.__module__ = getattr(f, "__module__", None)
        fn.__doc__ = getattr(f, "__doc__", None)
        fn.__name__ = fn.__qualname__ = self.name
        self.live.add(fn)
        self.last = weakref.ref(fn)
        return fn

    # -- the slow path -------------------------------------------------------------------
    def slow(self, *args, **kwargs):
        types_ = tuple(map(type, args))
        shapes = tuple(a.shape for a in args if type(a) is np.ndarray)
        key = shapes
        hit = self.table.get((types_, shapes))
        if hit is None:
            key = None
            hit = self.table.get((types_, None))
        if hit is not None and all(args[i].dtype.kind == "f" for i in hit[1]):
            self._add_fast(types_, hit[1], key, hit[0], args)
            return hit[0](*args, **kwargs)
        f = self.f_ref()  # alive: the function that called us holds it
        entry, arrays, guards, shaped = self.specialize(f, args)
        if not guards:  # guarded builds are looked up on each call instead
            key = shapes if shaped else None
            with self.lock:
                self.table[(types_, key)] = (entry, arrays)
            self._add_fast(types_, arrays, key, entry, args)
        return entry(*args, **kwargs)

    def _add_fast(self, types_, arrays, key, entry, args):
        """Test for this build inline, for these types, shapes and dtypes (if room)."""
        if not self.simple or len(self.fast) >= MAX_FAST:
            return
        dtypes = tuple(args[i].dtype for i in arrays)
        with self.lock:
            if len(self.fast) < MAX_FAST and not any(
                    t == types_ and s == key and d == dtypes
                    for t, _, s, _, d in self.fast):
                self.fast.append((types_, arrays, key, entry, dtypes))
                self._recompile()

    # -- code -----------------------------------------------------------------------------
    def _source(self):
        params = ", ".join(self.pos)
        call_kw = ", ".join(f"{k}={k}" for k in self.kwonly)
        call = ", ".join(x for x in (params, call_kw) if x)
        lines = []
        for n, (types_, arrays, shapes, _, _) in enumerate(self.fast):
            tests = [f"type({p}) is _sct_t{n}_{i}" for i, p in enumerate(self.pos)]
            tests += [f"{self.pos[i]}.dtype is _sct_d{n}_{i}" for i in arrays]
            if shapes is not None:  # built for these shapes (see shapes.py)
                at = [p for p, t in zip(self.pos, types_) if t is np.ndarray]
                tests += [f"{p}.shape == _sct_s{n}_{k}" for k, p in enumerate(at)]
            cond = " and ".join(tests) or "True"
            lines.append(f"        if {cond}:\n            return _sct_e{n}({call})\n")
        star = f"*, {', '.join(self.kwonly)}" if self.kwonly else ""
        sig = ", ".join(x for x in (params, star) if x)
        cells = ", ".join(self.cells)
        return (f"def _sct_make({cells}):\n"
                f"    def {self._ident()}({sig}):\n"
                f"        if False:  # (every cell, whichever the branches read)\n"
                f"            ({cells},)\n"
                + "".join(lines) + f"        return _sct_slow({call})\n"
                f"    return {self._ident()}\n")

    def _values(self):
        """The cells' contents, in the order of ``self.cells``."""
        kw = {"_sct_slow": self.slow}
        for n, (types_, arrays, shapes, entry, dtypes) in enumerate(self.fast):
            for i, t in enumerate(types_):
                kw[f"_sct_t{n}_{i}"] = t
            for i, dtype in zip(arrays, dtypes):
                kw[f"_sct_d{n}_{i}"] = dtype
            for k, shape in enumerate(shapes or ()):
                kw[f"_sct_s{n}_{k}"] = shape
            kw[f"_sct_e{n}"] = entry
        return [kw.get(name) for name in self.cells]

    def _ident(self):
        """The name in the def: ``<lambda>_grad`` is no identifier."""
        ident = re.sub(r"\W", "_", self.name)
        return ident if ident.isidentifier() and not keyword.iskeyword(ident) else "f"

    def _code(self):
        """The dispatch function's code, and the globals it runs in."""
        ns: dict = {}
        key = (self._source(), f"<sct dispatch {self.name}>")
        code = _compiled.get(key)
        if code is None:  # (many functions share a signature: compile it once)
            if len(_compiled) >= 256:
                _compiled.clear()
            code = _compiled[key] = compile(key[0], key[1], "exec")
        exec(code, ns)
        make = ns.pop("_sct_make")
        return make(*[None] * len(self.cells)).__code__, ns

    def _recompile(self):
        code, self.globals = self._code()
        for name, value in zip(self.cells, self._values()):
            self._cells[name].cell_contents = value
        self.closure = tuple(self._cells[name] for name in code.co_freevars)
        self.code = code
        for fn in list(self.live):
            # (every version reads the same cells: the code is swapped under them)
            fn.__code__ = code