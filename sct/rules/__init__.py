"""Derivative rules, one family per module. Importing this package registers them all."""

from . import (arith, nondiff, numpy_array, numpy_linalg, numpy_math,  # noqa
               runtime_rules, scalar_math)
from .core import Rule, adjoint, all_rules, d, lookup, nondifferentiable, rule, tangent

__all__ = ["Rule", "adjoint", "all_rules", "d", "lookup", "nondifferentiable", "rule",
           "tangent"]
