#!/usr/bin/env python3
"""Images/s of gen's DDIM sampler against diffusers' DDIMPipeline on the same U-Net, same run.

usage: .venv/bin/python3 scripts/diffusion_sampling_speed.py CKPT [--n 256] [--steps 50]
                                                             [--gen build/gen] [--threads 1 2]

CKPT is an unconditional eps or v diffusion checkpoint. gen exports it with `--format
diffusers` (the folder DDIMPipeline.from_pretrained reads), then draws N images with
`gen sample --format files --sampler ddim --steps S` (its own rate line: drawing and PNG
writing, the model already loaded; threads as the checkpoint's runtime.threads says), and
DDIMPipeline draws N images in one batch with S steps at each thread count of --threads
(after a one-image warm-up), keeping its best. Prints both rates and their ratio.
"""
import argparse
import re
import subprocess
import sys
import tempfile
import time

import torch
from diffusers import DDIMPipeline


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("ckpt")
    ap.add_argument("--n", type=int, default=256)
    ap.add_argument("--steps", type=int, default=50)
    ap.add_argument("--gen", default="build/gen")
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([args.gen, "export", "--ckpt", args.ckpt, "--format", "diffusers", "--out", f"{tmp}/pipe"],
                       check=True, capture_output=True)
        out = subprocess.run([args.gen, "sample", "--ckpt", args.ckpt, "--format", "files", "--n", str(args.n),
                              "--sampler", "ddim", "--steps", str(args.steps), "--out", f"{tmp}/images"],
                             check=True, capture_output=True, text=True)
        rates = re.findall(r"(\d+)/(\d+) images \(([0-9.]+)/s\)", out.stdout + out.stderr)
        if not rates:
            sys.exit("no rate line from gen sample:\n" + out.stdout + out.stderr)
        gen_rate = float(rates[-1][2])
        print(f"gen sample: {args.n} images, ddim {args.steps} steps: {gen_rate:.1f} images/s")
        pipe = DDIMPipeline.from_pretrained(f"{tmp}/pipe")
        pipe.set_progress_bar_config(disable=True)
        best = 0.0
        for t in args.threads:
            torch.set_num_threads(t)
            pipe(batch_size=1, num_inference_steps=2, output_type="np")
            start = time.perf_counter()
            pipe(batch_size=args.n, num_inference_steps=args.steps, eta=0.0, output_type="np",
                 generator=torch.Generator().manual_seed(0))
            rate = args.n / (time.perf_counter() - start)
            print(f"diffusers {DDIMPipeline.__name__} (torch {torch.__version__}, {t} thread(s)): {rate:.1f} images/s")
            best = max(best, rate)
        print(f"gen / DDIMPipeline's best: {gen_rate / best:.2f}x")


if __name__ == "__main__":
    main()
