#!/usr/bin/env python3
"""FID of diffusers' DDIMPipeline on gen's exported U-Net, scored by gen's feature network.

usage: .venv/bin/python3 scripts/diffusers_pipeline_fid.py CKPT --features CLASSIFIER_CKPT
                                                            [--n 2000] [--steps 50] [--gen build/gen]

CKPT is an unconditional eps or v diffusion checkpoint. gen exports it (`--format diffusers`),
DDIMPipeline.from_pretrained draws N images (eta 0, S steps, in batches of 250, torch generator
seeded 0) and writes them as PNGs, `gen sample --format files --seed 0` draws N with the same
sampler (gen draws diffusers' noise for a seed: with N <= 250, one batch, the same images),
and `gen eval --images` scores both against the feature network's held-out split, then the
pipeline's against gen's. Prints the three FIDs and the ISs.
"""
import argparse
import json
import os
import subprocess
import tempfile

import numpy as np
import torch
from diffusers import DDIMPipeline
from PIL import Image


def score(gen, images, features, reference=None):
    cmd = [gen, "eval", "--images", images, "--features", features, "--json", images + ".json"]
    if reference:
        cmd += ["--reference", reference]
    subprocess.run(cmd, check=True, capture_output=True)
    figures = json.load(open(images + ".json"))["figures"]
    return figures["fid_mnist_cnn"], figures["is_mnist_cnn"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("ckpt")
    ap.add_argument("--features", required=True)
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--steps", type=int, default=50)
    ap.add_argument("--gen", default="build/gen")
    args = ap.parse_args()
    torch.set_num_threads(os.cpu_count() or 1)
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([args.gen, "export", "--ckpt", args.ckpt, "--format", "diffusers", "--out", f"{tmp}/pipe"],
                       check=True, capture_output=True)
        pipe = DDIMPipeline.from_pretrained(f"{tmp}/pipe")
        pipe.set_progress_bar_config(disable=True)
        os.makedirs(f"{tmp}/diffusers")
        generator = torch.Generator().manual_seed(0)
        done = 0
        while done < args.n:
            b = min(250, args.n - done)
            x = pipe(batch_size=b, num_inference_steps=args.steps, eta=0.0, output_type="np", generator=generator).images
            for image in np.round(np.clip(x[..., 0], 0, 1) * 255).astype(np.uint8):
                Image.fromarray(image, mode="L").save(f"{tmp}/diffusers/{done:06d}.png")
                done += 1
        subprocess.run([args.gen, "sample", "--ckpt", args.ckpt, "--format", "files", "--n", str(args.n), "--sampler",
                        "ddim", "--steps", str(args.steps), "--seed", "0", "--out", f"{tmp}/gen"], check=True,
                       capture_output=True)
        fid_pipe, is_pipe = score(args.gen, f"{tmp}/diffusers", args.features)
        fid_gen, is_gen = score(args.gen, f"{tmp}/gen", args.features)
        fid_cross, _ = score(args.gen, f"{tmp}/diffusers", args.features, reference=f"{tmp}/gen")
        print(f"{args.n} images each, DDIM {args.steps} steps, against {args.n} held-out images:")
        print(f"  DDIMPipeline (diffusers, torch {torch.__version__}): FID {fid_pipe:.2f}, IS {is_pipe:.2f}")
        print(f"  gen sample: FID {fid_gen:.2f}, IS {is_gen:.2f}")
        print(f"  DDIMPipeline's images against gen's (both seed 0): FID {fid_cross:.4f}")


if __name__ == "__main__":
    main()
