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
import threading

MAX_FAST = 4  # specializations tested inline; more go through a dictionary


class Dispatcher:
    """Builds and rewrites the dispatching function for one transform of ``f``."""

    def __init__(self, f, name, specialize, info):
        self.f = f
        self.name = name
        self.specialize = specialize  # args -> (entry function, array positions, guards)
        self.lock = threading.Lock()
        self.table: dict = {}
        self.fast: list = []  # (types, array positions, entry)
        sig = inspect.signature(f)
        params = list(sig.parameters.values())
        self.simple = all(p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
                          for p in params)
        self.pos = [p.name for p in params if p.kind == p.POSITIONAL_OR_KEYWORD]
        self.kwonly = [p.name for p in params if p.kind == p.KEYWORD_ONLY]
        self.fn = self._compile() if self.simple else self._generic()
        self.fn.__signature__ = sig
        self.fn.__sct__ = info
        for attr in ("__module__", "__doc__"):
            setattr(self.fn, attr, getattr(f, attr, None))
        self.fn.__name__ = self.fn.__qualname__ = name
        self.fn.__defaults__ = f.__defaults__ if self.simple else None

    # -- the slow path -------------------------------------------------------------------
    def slow(self, *args, **kwargs):
        key = tuple(map(type, args))
        hit = self.table.get(key)
        if hit is not None and all(args[i].dtype.kind == "f" for i in hit[1]):
            return hit[0](*args, **kwargs)
        entry, arrays, guards = self.specialize(args)
        if not guards:  # guarded builds are looked up on each call instead
            with self.lock:
                self.table[key] = (entry, arrays)
                if self.simple and len(self.fast) < MAX_FAST and not any(
                        k == key for k, _, _ in self.fast):
                    self.fast.append((key, arrays, entry))
                    self._recompile()
        return entry(*args, **kwargs)

    # -- code -----------------------------------------------------------------------------
    def _source(self):
        params = ", ".join(self.pos)
        call_kw = ", ".join(f"{k}={k}" for k in self.kwonly)
        call = ", ".join(x for x in (params, call_kw) if x)
        extra = ["_sct_slow=None"]
        lines = []
        for n, (types, arrays, _) in enumerate(self.fast):
            tests = []
            for i, p in enumerate(self.pos):
                extra.append(f"_sct_t{n}_{i}=None")
                tests.append(f"type({p}) is _sct_t{n}_{i}")
            tests += [f"{self.pos[i]}.dtype.kind == 'f'" for i in arrays]
            extra.append(f"_sct_e{n}=None")
            cond = " and ".join(tests) or "True"
            lines.append(f"    if {cond}:\n        return _sct_e{n}({call})\n")
        kwonly = [f"{k}" for k in self.kwonly] + extra
        head = f"def {self.name}({params}{', ' if params else ''}*, {', '.join(kwonly)}):\n"
        return head + "".join(lines) + f"    return _sct_slow({call})\n"

    def _kwdefaults(self):
        kw = dict(getattr(self.f, "__kwdefaults__", None) or {})
        kw["_sct_slow"] = self.slow
        for n, (types, _, entry) in enumerate(self.fast):
            for i, t in enumerate(types):
                kw[f"_sct_t{n}_{i}"] = t
            kw[f"_sct_e{n}"] = entry
        return kw

    def _code(self):
        ns: dict = {}
        exec(compile(self._source(), f"<sct dispatch {self.name}>", "exec"), ns)
        return ns[self.name]

    def _compile(self):
        fn = self._code()
        fn.__kwdefaults__ = self._kwdefaults()
        return fn

    def _recompile(self):
        new = self._code()
        self.fn.__kwdefaults__ = self._kwdefaults()
        self.fn.__code__ = new.__code__

    def _generic(self):
        slow = self.slow

        def call(*args, **kwargs):
            return slow(*args, **kwargs)
        return call
