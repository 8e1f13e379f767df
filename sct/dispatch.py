"""The function ``sct.grad(f)`` returns: a dispatcher that specializes itself.

A derivative is built for the kinds of its arguments (floats, float arrays, ...). The
dispatcher is a small generated function whose body tests the exact argument types
of the specializations built so far and calls the matching one; anything else takes
the slow path, which builds a new specialization and rewrites the dispatcher's code
to test for it too. A hit costs a few type checks and one call.

For ``def f(x1, x2)`` after a call with two floats, the dispatcher reads::

    def f_grad(x1, x2, *, _sct_slow=None, _sct_t0=None, _sct_t1=None, _sct_e0=None):
        if type(x1) is _sct_t0 and type(x2) is _sct_t1:
            return _sct_e0(x1, x2)
        return _sct_slow(x1, x2)
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
        self.fast: list = []  # (types, array positions, shapes or None, entry)
        self.live = weakref.WeakSet()  # the functions handed out and still alive
        self.sig = inspect.signature(f)
        params = list(self.sig.parameters.values())
        self.simple = all(p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
                          for p in params)
        self.pos = [p.name for p in params if p.kind == p.POSITIONAL_OR_KEYWORD]
        self.kwonly = [p.name for p in params if p.kind == p.KEYWORD_ONLY]
        self.user_kwdefaults = dict(getattr(f, "__kwdefaults__", None) or {})
        self.code, self.globals = self._code() if self.simple else (None, None)
        self.kw = self._kwdefaults() if self.simple else None  # shared by the functions

    def function(self, f, info):
        """A function that dispatches (an existing live one when there is one)."""
        if self.live:  # (sct.grad(f)(x) in a loop: the last one is already gone)
            for fn in self.live:
                if fn.__sct__["fn"] is f:
                    return fn
        if self.simple:
            fn = types.FunctionType(self.code, self.globals, self.name)
            fn.__kwdefaults__ = self.kw
            fn.__defaults__ = f.__defaults__
        else:
            slow = self.slow

            def fn(*args, **kwargs):
                return slow(*args, **kwargs)
        fn.__signature__ = self.sig
        fn.__sct__ = info
        for attr in ("__module__", "__doc__"):
            setattr(fn, attr, getattr(f, attr, None))
        fn.__name__ = fn.__qualname__ = self.name
        self.live.add(fn)
        return fn

    # -- the slow path -------------------------------------------------------------------
    def slow(self, *args, **kwargs):
        types_ = tuple(map(type, args))
        shapes = tuple(a.shape for a in args if type(a) is np.ndarray)
        hit = self.table.get((types_, shapes)) or self.table.get((types_, None))
        if hit is not None and all(args[i].dtype.kind == "f" for i in hit[1]):
            return hit[0](*args, **kwargs)
        f = self.f_ref()  # alive: the function that called us holds it
        entry, arrays, guards, shaped = self.specialize(f, args)
        if not guards:  # guarded builds are looked up on each call instead
            key = shapes if shaped else None
            with self.lock:
                self.table[(types_, key)] = (entry, arrays)
                if self.simple and len(self.fast) < MAX_FAST and not any(
                        t == types_ and s == key for t, _, s, _ in self.fast):
                    self.fast.append((types_, arrays, key, entry))
                    self._recompile()
        return entry(*args, **kwargs)

    # -- code -----------------------------------------------------------------------------
    def _source(self):
        params = ", ".join(self.pos)
        call_kw = ", ".join(f"{k}={k}" for k in self.kwonly)
        call = ", ".join(x for x in (params, call_kw) if x)
        extra = ["_sct_slow=None"]
        lines = []
        for n, (types_, arrays, shapes, _) in enumerate(self.fast):
            tests = []
            for i, p in enumerate(self.pos):
                extra.append(f"_sct_t{n}_{i}=None")
                tests.append(f"type({p}) is _sct_t{n}_{i}")
            tests += [f"{self.pos[i]}.dtype.kind == 'f'" for i in arrays]
            if shapes is not None:  # built for these shapes (see shapes.py)
                at = [p for p, t in zip(self.pos, types_) if t is np.ndarray]
                for k, p in enumerate(at):
                    extra.append(f"_sct_s{n}_{k}=None")
                    tests.append(f"{p}.shape == _sct_s{n}_{k}")
            extra.append(f"_sct_e{n}=None")
            cond = " and ".join(tests) or "True"
            lines.append(f"    if {cond}:\n        return _sct_e{n}({call})\n")
        kwonly = [f"{k}" for k in self.kwonly] + extra
        head = f"def {self._ident()}({params}{', ' if params else ''}*, {', '.join(kwonly)}):\n"
        return head + "".join(lines) + f"    return _sct_slow({call})\n"

    def _kwdefaults(self):
        kw = dict(self.user_kwdefaults)
        kw["_sct_slow"] = self.slow
        for n, (types_, _, shapes, entry) in enumerate(self.fast):
            for i, t in enumerate(types_):
                kw[f"_sct_t{n}_{i}"] = t
            for k, shape in enumerate(shapes or ()):
                kw[f"_sct_s{n}_{k}"] = shape
            kw[f"_sct_e{n}"] = entry
        return kw

    def _ident(self):
        """The name in the def: ``<lambda>_grad`` is no identifier."""
        ident = re.sub(r"\W", "_", self.name)
        return ident if ident.isidentifier() and not keyword.iskeyword(ident) else "f"

    def _code(self):
        ns: dict = {}
        exec(compile(self._source(), f"<sct dispatch {self.name}>", "exec"), ns)
        code = ns.pop(self._ident()).__code__
        return code, ns

    def _recompile(self):
        self.code, _ = self._code()
        self.kw = kw = self._kwdefaults()
        for fn in list(self.live):
            fn.__kwdefaults__ = kw
            fn.__code__ = self.code
