"""sct: automatic differentiation of Python/NumPy functions by source transformation.

``sct.grad(f)`` reads ``f``'s source and writes a new Python function that computes its
gradient: a forward sweep, then the reversed accumulation of adjoints. The derivative
is ordinary, readable code (``sct.source``), compiled once and cached.
"""

from . import rules as _rules  # registers the derivative rules
from .api import grad, records, source, stop_gradient, value_and_grad, vjp
from .transforms import hessian, hvp, jacfwd, jacrev, jvp
from .errors import (NoDerivative, NotDifferentiable, SCTError, SourceUnavailable,
                     UnsupportedSyntax)
from .rules import adjoint, d, rule, tangent
from .trace import trace
from .gradcheck import GradientCheckError, check_grads

__version__ = "0.1.0"

__all__ = [
    "grad", "value_and_grad", "vjp", "jvp", "jacfwd", "jacrev", "hessian", "hvp", "source", "records", "stop_gradient", "rule", "d", "adjoint",
    "tangent", "SCTError", "UnsupportedSyntax", "NoDerivative", "SourceUnavailable",
    "NotDifferentiable", "trace",
    "check_grads", "GradientCheckError",
]
