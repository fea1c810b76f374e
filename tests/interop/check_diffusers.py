"""Checks gen's diffusers folders with diffusers itself (see diffusers_python.sh).

For each model: UNet2DModel.from_pretrained(DIR/unet) loads with no missing, unexpected or
mismatched key and returns gen's output for the probe's noisy images, timesteps and classes
(max abs diff <= 1e-4); the scheduler config loads as the class it names; and where diffusers
has the sampler (DDIMPipeline, DDPMPipeline from model_index.json; FlowMatchEulerDiscreteScheduler
stepped by hand), it draws from the same seed the images gen sample wrote, to within one PNG
level. Then broken folders must fail: a renamed weight, a scheduler with the other prediction type.
"""
import json
import os
import shutil
import sys
import tempfile

import numpy as np
import yaml
import torch
from PIL import Image
from safetensors.torch import load_file, save_file
import diffusers
from diffusers import DDIMPipeline, FlowMatchEulerDiscreteScheduler, UNet2DModel

torch.set_num_threads(2)


def load_unet(folder, problems):
    unet, info = UNet2DModel.from_pretrained(os.path.join(folder, "unet"), output_loading_info=True)
    for what in ("missing_keys", "unexpected_keys", "mismatched_keys", "error_msgs"):
        if info.get(what):
            problems.append(f"{folder}: from_pretrained reports {what}: {info[what][:3]}")
    return unet.eval()


def check_probe(unet, probe, problems, name):
    with torch.no_grad():
        out = unet(probe["input"], probe["timestep"], class_labels=probe.get("class_labels")).sample
    diff = (out - probe["output"]).abs().max().item()
    print(f"{name}: UNet2DModel output vs gen's: max abs diff {diff:.2e}")
    if not diff <= 1e-4:
        problems.append(f"{name}: UNet2DModel's output differs from gen's by {diff:.3g} (> 1e-4)")


def gen_images(folder, n):
    return np.stack([np.asarray(Image.open(os.path.join(folder, f"{i:06d}.png")), dtype=np.float64)
                     for i in range(n)])


def diffusers_images(folder, unet, seed, n, steps):
    """Images in [0, 255] as diffusers draws them from the folder, or None when it has no sampler for it."""
    generator = torch.Generator().manual_seed(seed)
    if os.path.exists(os.path.join(folder, "model_index.json")):
        pipe = diffusers.DiffusionPipeline.from_pretrained(folder)
        kind = type(pipe).__name__
        kwargs = {"eta": 0.0} if isinstance(pipe, DDIMPipeline) else {}
        with torch.no_grad():
            x = pipe(batch_size=n, generator=generator, num_inference_steps=steps, output_type="np", **kwargs).images
        return kind, np.clip(x[..., 0], 0, 1) * 255.0  # (N, H, W): gen's grayscale PNGs
    config = json.load(open(os.path.join(folder, "scheduler", "scheduler_config.json")))
    if config["_class_name"] != "FlowMatchEulerDiscreteScheduler":
        return None, None
    scheduler = FlowMatchEulerDiscreteScheduler.from_pretrained(os.path.join(folder, "scheduler"))
    scheduler.set_timesteps(steps)
    c = unet.config
    x = torch.randn((n, c.in_channels, c.sample_size, c.sample_size), generator=generator)
    with torch.no_grad():
        for t in scheduler.timesteps:
            x = scheduler.step(unet(x, t).sample, t, x).prev_sample
    return "FlowMatchEulerDiscreteScheduler", ((x[:, 0].clamp(-1, 1) + 1) * 127.5).numpy()


def save_pngs(folder, images):
    """diffusers' images as gen sample --format files writes them: 000000.png, ... (8-bit gray)."""
    os.makedirs(folder, exist_ok=True)
    for i, x in enumerate(np.round(images).astype(np.uint8)):
        Image.fromarray(x, mode="L").save(os.path.join(folder, f"{i:06d}.png"))


def check_model(root, name, seed, problems, png_out=None):
    folder = os.path.join(root, name)
    unet = load_unet(folder, problems)
    check_probe(unet, torch.load(os.path.join(root, name + ".probe.pt"), weights_only=True)["unet"], problems, name)
    scheduler_config = json.load(open(os.path.join(folder, "scheduler", "scheduler_config.json")))
    scheduler = getattr(diffusers, scheduler_config["_class_name"]).from_pretrained(os.path.join(folder, "scheduler"))
    steps = sample_steps(folder)
    kind, drawn = diffusers_images(folder, unet, seed, 256, steps)
    if kind is None:
        print(f"{name}: {type(scheduler).__name__} loads; no diffusers pipeline takes classes (probe checked)")
        return
    if png_out:  # for gen eval --images (diffusers_python.sh)
        save_pngs(png_out, drawn)
    mine = gen_images(os.path.join(root, name + ".images"), 256)
    diff = np.abs(mine - np.round(drawn))
    print(f"{name}: {kind}, {steps} steps, seed {seed}: 256 images, max {diff.max():.0f} PNG levels from gen's, "
          f"mean {diff.mean():.4f}")
    if diff.max() > 1 or diff.mean() > 0.01:
        problems.append(f"{name}: {kind} draws other images than gen sample (max {diff.max():.0f} levels, "
                        f"mean {diff.mean():.3f})")


def sample_steps(folder):
    from safetensors import safe_open
    with safe_open(os.path.join(folder, "unet", "diffusion_pytorch_model.safetensors"), "pt") as f:
        config = f.metadata()["gen.config"]
    return int(yaml.safe_load(config)["model"]["sample_steps"])


def main():
    root, seed = sys.argv[1], int(sys.argv[2])
    failures = []
    for name in ("eps", "v_ddpm", "cond", "flow"):
        check_model(root, name, seed, failures, os.path.join(root, name + ".diffusers_images"))
    with tempfile.TemporaryDirectory() as tmp:
        # A renamed weight: from_pretrained must report the key missing and the other unexpected.
        broken = os.path.join(tmp, "renamed")
        shutil.copytree(os.path.join(root, "eps"), broken)
        path = os.path.join(broken, "unet", "diffusion_pytorch_model.safetensors")
        tensors = load_file(path)
        tensors["mid_block.attentions.0.to_query.weight"] = tensors.pop("mid_block.attentions.0.to_q.weight")
        save_file(tensors, path, metadata={"format": "pt"})
        problems = []
        load_unet(broken, problems)
        if not problems:
            failures.append("a renamed weight loaded without a missing or unexpected key")
        else:
            print(f"broken folder (a renamed weight) fails as it should: {problems[0][:120]}")
        # The other prediction type: the pipeline's images must then differ from gen's.
        broken = os.path.join(tmp, "eps")
        shutil.copytree(os.path.join(root, "eps"), broken)
        shutil.copytree(os.path.join(root, "eps.images"), broken + ".images")
        shutil.copy(os.path.join(root, "eps.probe.pt"), broken + ".probe.pt")
        config_path = os.path.join(broken, "scheduler", "scheduler_config.json")
        config = json.load(open(config_path))
        config["prediction_type"] = "v_prediction"
        json.dump(config, open(config_path, "w"))
        problems = []
        check_model(tmp, "eps", seed, problems, os.path.join(root, "eps_v_prediction.diffusers_images"))
        if not problems:
            failures.append("a scheduler with the wrong prediction type drew gen's images")
        else:
            print(f"broken folder (prediction type) fails as it should: {problems[0][:120]}")
    for f in failures:
        print("FAIL:", f)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
