"""Writes MNIST training images as PNG folders, unchanged and changed in small ways (noise, blur,
darker strokes), to measure what a feature network's FID responds to:

  .venv/bin/python scripts/mnist_variants.py data/mnist /tmp/variants 10000
  build/gen eval --images /tmp/variants/noise0.02 --features runs/classifier_mnist/checkpoints/latest.pt

Needs numpy, Pillow and torch (requirements-dev.txt's .venv).
"""
import gzip
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image


def main():
    root, out, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    with gzip.open(os.path.join(root, "train-images-idx3-ubyte.gz")) as f:
        x = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 28, 28)[:n].astype(np.float64) / 255.0
    rng = np.random.default_rng(0)
    kernel = torch.tensor([[1, 2, 1], [2, 12, 2], [1, 2, 1]], dtype=torch.float64)[None, None] / 24
    variants = {
        "identity": x,
        "scale0.9": x * 0.9,
        "noise0.02": x + rng.normal(0, 0.02, x.shape),
        "noise0.05": x + rng.normal(0, 0.05, x.shape),
        "blur": F.conv2d(torch.tensor(x)[:, None], kernel, padding=1)[:, 0].numpy(),
        "gamma0.8": x ** 1.25,
    }
    for name, v in variants.items():
        folder = os.path.join(out, name)
        os.makedirs(folder, exist_ok=True)
        v = np.clip(np.round(v * 255), 0, 255).astype(np.uint8)
        for i, image in enumerate(v):
            Image.fromarray(image, mode="L").save(os.path.join(folder, f"{i:06d}.png"))
        print(f"{folder}: {len(v)} images")


if __name__ == "__main__":
    main()
