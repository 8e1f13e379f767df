"""The evaluation trace of f(x1, x2) = ln(x1) + x1*x2 - sin(x2) at (2, 5), both modes.

The textbook account of automatic differentiation, computed by sct: ``sct.trace``
runs the three-address form sct builds for ``f`` one statement at a time and prints

- the forward primal trace (v1 = ln x1, v2 = x1 * x2, ...),
- the forward tangent trace along (x1_dot, x2_dot) = (1, 0): the same formulas as the
  forward-mode code sct generates, printed below it,
- the reverse adjoint trace from out_bar = 1 down to x1_bar and x2_bar: the same
  formulas as the reverse sweep sct generates,

then checks them against ``sct.jvp`` and ``sct.grad`` and prints the computation
graph as Graphviz DOT text (``dot -Tpng``, or ``t.render("f.png")`` with Graphviz
installed, draws it)::

    python examples/trace_demo.py
"""

import numpy as np

import sct


def f(x1, x2):
    return np.log(x1) + x1 * x2 - np.sin(x2)


def main():
    t = sct.trace(f, 2.0, 5.0)
    print(t)

    f_jvp = sct.jvp(f)  # the forward-mode derivative as a function of (primals, tangents)
    value, jvp = f_jvp((2.0, 5.0), (1.0, 0.0))
    df = sct.grad(f, argnums=(0, 1))
    g1, g2 = df(2.0, 5.0)
    print(f"\nsct.jvp along (1, 0): {float(jvp)!r}    sct.grad: ({float(g1)!r}, "
          f"{float(g2)!r})")

    print("\nForward mode (sct.source(sct.jvp(f))):\n")
    print(sct.source(f_jvp).rstrip())
    print("\nReverse mode (sct.source(sct.grad(f, argnums=(0, 1)))):\n")
    print(sct.source(df).rstrip())
    out, back = sct.vjp(f, 2.0, 5.0)
    print("\nBoth sweeps of the vjp (sct.source of what sct.vjp returns):\n")
    print(sct.source(back).rstrip())

    print("\nThe computation graph (Graphviz DOT):\n")
    print(t.to_dot().rstrip())
    return {"value": float(t.value), "trace_gradient": t.gradient,
            "trace_jvp": t.jvp, "grad": (float(g1), float(g2)), "jvp": float(jvp),
            "sct_value": float(value), "direction": t.direction}


if __name__ == "__main__":
    main()
