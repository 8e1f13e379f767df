"""The demo: differentiate f(x1, x2) = ln(x1) + x1*x2 - sin(x2) at (2, 5).

Prints the adjoint (reverse-mode) source sct generates, then the gradient.
"""

import numpy as np

import sct


def f(x1, x2):
    return np.log(x1) + x1 * x2 - np.sin(x2)


def main():
    df = sct.grad(f, argnums=(0, 1))
    g1, g2 = df(2.0, 5.0)
    print("Generated adjoint source:\n")
    print(sct.source(df))
    print(f"gradient of f at (2, 5): ({float(g1)!r}, {float(g2)!r})")
    return g1, g2


if __name__ == "__main__":
    main()
