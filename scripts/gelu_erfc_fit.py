#!/usr/bin/env python3
"""Fits the polynomial S(t) of gen's float GELU (src/models/gelu_float_kernel.inc):
erfc(z) = e^(-z^2) t S(t), t = 1 / (1 + z/2), for z in [0, 9.5] (t in [0.17, 1]; beyond, e^(-z^2)
is below float's normals). Least squares on Chebyshev nodes, reweighted towards the largest
relative error; prints the relative error in float64 and in float32 Horner arithmetic, and the
coefficients as the kernel writes them (highest power first). Needs numpy (requirements-dev.txt,
in the .venv setup.sh makes): .venv/bin/python3 scripts/gelu_erfc_fit.py [degree=8]"""
import math
import sys

import numpy as np


def target(t):
    z = 2 * (1 - t) / t
    return np.array([math.erfc(v) * math.exp(v * v) for v in z]) / t


def main():
    degree = int(sys.argv[1]) if len(sys.argv) > 1 else 8
    lo, hi, nodes = 0.17, 1.0, 4000
    k = np.arange(nodes)
    t = (lo + hi) / 2 + (hi - lo) / 2 * np.cos(np.pi * (k + 0.5) / nodes)
    s = target(t)
    weight = 1 / s
    for step in range(30):
        a = np.vander(t, degree + 1) * weight[:, None]
        coef = np.linalg.lstsq(a, s * weight, rcond=None)[0]
        if step < 29:
            error = np.abs(np.polyval(coef, t) / s - 1)
            weight = weight * (error / error.max() + 1e-3) ** 0.3
    dense = np.linspace(lo, hi, 200001)
    exact = target(dense)
    print(f"degree {degree}: relative error {np.abs(np.polyval(coef, dense) / exact - 1).max():.3g} in float64", end="")
    c32 = coef.astype(np.float32)
    t32 = dense.astype(np.float32)
    acc = np.full_like(t32, c32[0])
    for c in c32[1:]:
        acc = (acc * t32 + c).astype(np.float32)
    print(f", {np.abs(acc.astype(np.float64) / target(t32.astype(np.float64)) - 1).max():.3g} in float32")
    print(", ".join(f"{float(c):.9g}f" for c in c32))


if __name__ == "__main__":
    main()
