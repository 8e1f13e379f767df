"""Textbook AD engines beside sct, on sct's derivative rules: for benchmarks and checks.

- :mod:`sct.baseline.tape`: reverse mode by operator overloading (:class:`Var`, a tape
  replayed by ``backward()``), with ``grad``, ``value_and_grad`` and ``vjp``.
- :mod:`sct.baseline.dual`: forward mode by dual numbers (:class:`Dual`), with
  ``jvp``, ``derivative`` and ``grad``.
- :mod:`sct.baseline.elementary`: ``sin``, ``exp``, ``log``, ... for math-style code,
  on floats, arrays, Vars and Duals alike.

Both engines take every derivative from sct's rule table, so a benchmark against sct
compares engines, not formulas.

>>> from sct.baseline import Var, Dual, sin
>>> x = Var(0.0)
>>> sin(x).backward()
>>> x.grad
1.0
>>> sin(Dual(0.0, 2.0)).tangent
2.0
"""

from . import dual, elementary, tape
from .dual import Dual
from .elementary import *  # noqa: F401,F403  (sin, cos, exp, log, ...)
from .tape import Var, zero_grad

__all__ = ["Var", "Dual", "tape", "dual", "elementary", "zero_grad", *elementary.__all__]
