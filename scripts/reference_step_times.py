#!/usr/bin/env python3
"""Step times of the Python references for gen's configs on this machine, in the variants a
Python user would pick, to set beside `gen bench` (scripts/bench.sh runs both and prints ratios).

usage: python3 scripts/reference_step_times.py [--device cpu|cuda] [--steps N] [--warmup W]
                                               [--json F] [--gen GEN] [--set K=V ...] CONFIG...

Each CONFIG is resolved by `GEN config show` (with the --set overrides, as gen bench takes them)
and timed with the reference implementation of its architecture, at its sizes and batch:
- model.kind transformer: nanoGPT's GPT (model.py re-typed: pre-LN blocks, optional biases,
  tied head, SDPA where PyTorch has it, AdamW with weight decay on matrices only, grad clip as
  configured), a character vocabulary of 65;
- model.kind dcgan, the plain 64 px variant (no classes or codes, BatchNorm, bce, no R1):
  pytorch/examples dcgan's loop body, its two .item() calls per step included;
- model.kind vae, arch mlp on 28x28: pytorch/examples vae (784-400-20, Adam);
- model.kind diffusion: diffusers' UNet2DModel built from the config (the layout gen's U-Net
  follows), the loop body of diffusers' train_unconditional.py: noise, timesteps (or
  logit-normal flow times), add_noise, the eps/v/flow MSE, AdamW, EMAModel when train.ema > 0;
- anything else: no reference (said so in the output).
Variants: eager fp32; bf16 autocast (CPU: torch.autocast("cpu"); CUDA: as nanoGPT runs it, with
the fused AdamW); TF32 on CUDA; torch.compile where this PyTorch has it and it works. One fixed
batch per config: no data loading is timed. Threads: PyTorch's default (what a user gets), or
--threads N (scripts/bench.sh runs 1 and 2 and keeps the best).
"""
import argparse
import json
import math
import subprocess
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F
import yaml


# ---- nanoGPT ------------------------------------------------------------------------------
class LayerNorm(nn.Module):
    def __init__(self, n, bias):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(n))
        self.bias = nn.Parameter(torch.zeros(n)) if bias else None

    def forward(self, x):
        return F.layer_norm(x, self.weight.shape, self.weight, self.bias, 1e-5)


class Attention(nn.Module):
    def __init__(self, d, h, p, bias):
        super().__init__()
        self.c_attn = nn.Linear(d, 3 * d, bias=bias)
        self.c_proj = nn.Linear(d, d, bias=bias)
        self.h, self.p, self.drop = h, p, nn.Dropout(p)

    def forward(self, x):
        B, T, C = x.shape
        q, k, v = (t.view(B, T, self.h, C // self.h).transpose(1, 2) for t in self.c_attn(x).split(C, 2))
        if hasattr(F, "scaled_dot_product_attention"):
            y = F.scaled_dot_product_attention(q, k, v, dropout_p=self.p if self.training else 0, is_causal=True)
        else:  # PyTorch 1.x, as nanoGPT falls back
            att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.size(-1)))
            att = att.masked_fill(torch.ones(T, T, dtype=torch.bool, device=x.device).triu(1), float("-inf"))
            y = self.drop(att.softmax(-1)) @ v
        return self.drop(self.c_proj(y.transpose(1, 2).contiguous().view(B, T, C)))


class Block(nn.Module):
    def __init__(self, d, h, p, bias):
        super().__init__()
        self.ln_1, self.attn, self.ln_2 = LayerNorm(d, bias), Attention(d, h, p, bias), LayerNorm(d, bias)
        self.mlp = nn.Sequential(nn.Linear(d, 4 * d, bias=bias), nn.GELU(), nn.Linear(4 * d, d, bias=bias),
                                 nn.Dropout(p))

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))


class GPT(nn.Module):
    def __init__(self, V, T, L, H, d, p, bias):
        super().__init__()
        self.V = V
        self.wte, self.wpe, self.drop = nn.Embedding(V, d), nn.Embedding(T, d), nn.Dropout(p)
        self.h = nn.ModuleList([Block(d, H, p, bias) for _ in range(L)])
        self.ln_f = LayerNorm(d, bias)
        self.head = nn.Linear(d, V, bias=False)
        self.wte.weight = self.head.weight

    def forward(self, idx, tgt):
        x = self.drop(self.wte(idx) + self.wpe(torch.arange(idx.shape[1], device=idx.device)))
        for b in self.h:
            x = b(x)
        return F.cross_entropy(self.head(self.ln_f(x)).view(-1, self.V), tgt.view(-1))


# ---- timing -------------------------------------------------------------------------------
def sync(dev):
    if dev == "cuda":
        torch.cuda.synchronize()


def time_steps(step, dev, steps, warmup):
    for _ in range(warmup):
        step()
    sync(dev)
    t = time.perf_counter()
    for _ in range(steps):
        step()
    sync(dev)
    return (time.perf_counter() - t) / steps * 1e3


def autocast(dev, variant):
    if variant.startswith("bf16"):
        return torch.autocast(dev, dtype=torch.bfloat16)
    return torch.autocast(dev, enabled=False)


def maybe_compile(model, variant):
    return torch.compile(model) if variant.endswith("compile") else model


# ---- the references -----------------------------------------------------------------------
def transformer(cfg, dev, variant):
    m, d = cfg["model"], cfg["data"]
    if dev == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = variant != "fp32"
        torch.backends.cudnn.allow_tf32 = variant != "fp32"
    net = GPT(65, d["block_size"], m["n_layer"], m["n_head"], m["n_embd"], m["dropout"], m["bias"]).to(dev)
    o = cfg["optim"]
    groups = [{"params": [p for p in net.parameters() if p.dim() >= 2], "weight_decay": o["weight_decay"]},
              {"params": [p for p in net.parameters() if p.dim() < 2], "weight_decay": 0.0}]
    extra = {"fused": True} if dev == "cuda" and variant.startswith("bf16") else {}
    opt = torch.optim.AdamW(groups, lr=o["lr"], betas=tuple(o["betas"]), **extra)
    fwd = maybe_compile(net, variant)
    x = torch.randint(0, 65, (d["batch_size"], d["block_size"]), device=dev)
    y = torch.randint(0, 65, (d["batch_size"], d["block_size"]), device=dev)
    clip = o.get("grad_clip", 0.0)

    def step():
        with autocast(dev, variant):
            loss = fwd(x, y)
        loss.backward()
        if clip > 0:
            torch.nn.utils.clip_grad_norm_(net.parameters(), clip)
        opt.step()
        opt.zero_grad(set_to_none=True)
    return "nanoGPT GPT", step


def dcgan(cfg, dev, variant):
    m, d = cfg["model"], cfg["data"]
    plain = (d.get("image_size") == 64 and not m["conditional"] and m["latent_codes"] == 0 and m["loss"] == "bce"
             and m["d_norm"] in ("auto", "batch") and m["r1"] == 0 and m["n_critic"] == 1)
    if not plain:
        return None, "the 64 px plain DCGAN (no classes, codes, R1 or other loss) has one: this variant does not"
    if dev == "cuda":
        torch.backends.cudnn.benchmark = True
    nz, ngf, ndf, nc, b = m["latent_dim"], m["g_channels"], m["d_channels"], d.get("channels", 1), d["batch_size"]
    G = nn.Sequential(nn.ConvTranspose2d(nz, ngf * 8, 4, 1, 0, bias=False), nn.BatchNorm2d(ngf * 8), nn.ReLU(True),
                      nn.ConvTranspose2d(ngf * 8, ngf * 4, 4, 2, 1, bias=False), nn.BatchNorm2d(ngf * 4), nn.ReLU(True),
                      nn.ConvTranspose2d(ngf * 4, ngf * 2, 4, 2, 1, bias=False), nn.BatchNorm2d(ngf * 2), nn.ReLU(True),
                      nn.ConvTranspose2d(ngf * 2, ngf, 4, 2, 1, bias=False), nn.BatchNorm2d(ngf), nn.ReLU(True),
                      nn.ConvTranspose2d(ngf, nc, 4, 2, 1, bias=False), nn.Tanh()).to(dev)
    D = nn.Sequential(nn.Conv2d(nc, ndf, 4, 2, 1, bias=False), nn.LeakyReLU(0.2, True),
                      nn.Conv2d(ndf, ndf * 2, 4, 2, 1, bias=False), nn.BatchNorm2d(ndf * 2), nn.LeakyReLU(0.2, True),
                      nn.Conv2d(ndf * 2, ndf * 4, 4, 2, 1, bias=False), nn.BatchNorm2d(ndf * 4), nn.LeakyReLU(0.2, True),
                      nn.Conv2d(ndf * 4, ndf * 8, 4, 2, 1, bias=False), nn.BatchNorm2d(ndf * 8), nn.LeakyReLU(0.2, True),
                      nn.Conv2d(ndf * 8, 1, 4, 1, 0, bias=False), nn.Sigmoid()).to(dev)
    o = cfg["optim"]
    oD = torch.optim.Adam(D.parameters(), o["lr"], betas=tuple(o["betas"]))
    oG = torch.optim.Adam(G.parameters(), o["lr"], betas=tuple(o["betas"]))
    crit = nn.BCELoss()
    real = torch.rand(b, nc, 64, 64, device=dev) * 2 - 1
    Gc, Dc = maybe_compile(G, variant), maybe_compile(D, variant)

    def step():  # pytorch/examples dcgan main.py's loop body
        with autocast(dev, variant):
            D.zero_grad()
            out = Dc(real).view(-1).float()
            err_real = crit(out, torch.ones_like(out))
            err_real.backward()
            fake = Gc(torch.randn(b, nz, 1, 1, device=dev))
            out = Dc(fake.detach()).view(-1).float()
            err_fake = crit(out, torch.zeros_like(out))
            err_fake.backward()
            oD.step()
            G.zero_grad()
            out = Dc(fake).view(-1).float()
            err_g = crit(out, torch.ones_like(out))
            err_g.backward()
            oG.step()
        (err_real + err_fake).item()
        err_g.item()  # the example prints both every step
    return "pytorch/examples dcgan", step


def vae(cfg, dev, variant):
    m, d = cfg["model"], cfg["data"]
    if m["arch"] != "mlp" or d.get("image_size", 28) not in (0, 28):
        return None, "pytorch/examples vae is the 28x28 MLP (arch: mlp)"

    class VAE(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1, self.fc21, self.fc22 = nn.Linear(784, m["hidden"]), nn.Linear(m["hidden"], m["latent_dim"]), \
                nn.Linear(m["hidden"], m["latent_dim"])
            self.fc3, self.fc4 = nn.Linear(m["latent_dim"], m["hidden"]), nn.Linear(m["hidden"], 784)

        def forward(self, x):
            h = F.relu(self.fc1(x.view(-1, 784)))
            mu, logvar = self.fc21(h), self.fc22(h)
            z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)
            return torch.sigmoid(self.fc4(F.relu(self.fc3(z)))), mu, logvar

    net = VAE().to(dev)
    opt = torch.optim.Adam(net.parameters(), lr=cfg["optim"]["lr"])
    fwd = maybe_compile(net, variant)
    x = torch.rand(d["batch_size"], 1, 28, 28, device=dev)

    def step():  # pytorch/examples vae main.py's train loop body
        opt.zero_grad()
        with autocast(dev, variant):
            recon, mu, logvar = fwd(x)
            bce = F.binary_cross_entropy(recon.float(), x.view(-1, 784), reduction="sum")
            loss = bce - 0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
        loss.backward()
        opt.step()
        loss.item()
    return "pytorch/examples vae", step


def diffusion(cfg, dev, variant):
    try:
        from diffusers import DDPMScheduler, UNet2DModel
        from diffusers.training_utils import EMAModel
    except ImportError:
        return None, "diffusers is not installed (scripts/setup.sh puts it in .venv)"
    m, d, o = cfg["model"], cfg["data"], cfg["optim"]
    size = d.get("image_size") or 28
    channels = 1 if d["kind"] in ("mnist", "fashion_mnist") else 3
    levels = len(m["block_out_channels"])
    attend = [i in m["attention_levels"] for i in range(levels)]
    unet = UNet2DModel(sample_size=size, in_channels=channels, out_channels=channels,
                       block_out_channels=m["block_out_channels"],
                       down_block_types=["AttnDownBlock2D" if a else "DownBlock2D" for a in attend],
                       up_block_types=["AttnUpBlock2D" if a else "UpBlock2D" for a in reversed(attend)],
                       layers_per_block=m["layers_per_block"], norm_num_groups=m["norm_groups"],
                       attention_head_dim=m["attention_head_dim"], add_attention=m["mid_attention"],
                       dropout=m["dropout"], num_class_embeds=11 if m["conditional"] else None).to(dev)
    opt = torch.optim.AdamW(unet.parameters(), lr=o["lr"], betas=o["betas"], weight_decay=o["weight_decay"])
    ema = EMAModel(unet.parameters(), decay=cfg["train"]["ema"]) if cfg["train"]["ema"] > 0 else None
    fwd = maybe_compile(unet, variant)
    b, T = d["batch_size"], m["timesteps"]
    x = torch.rand(b, channels, size, size, device=dev) * 2 - 1
    y = torch.randint(0, 10, (b,), device=dev) if m["conditional"] else None
    schedule = DDPMScheduler(num_train_timesteps=T, beta_start=m["beta_start"], beta_end=m["beta_end"],
                             beta_schedule="linear" if m["schedule"] == "linear" else "squaredcos_cap_v2")
    ab = schedule.alphas_cumprod.to(dev)

    def step():  # diffusers examples/unconditional_image_generation/train_unconditional.py's loop body
        noise = torch.randn_like(x)
        if m["objective"] == "flow":
            t = torch.sigmoid(torch.randn(b, device=dev)).view(-1, 1, 1, 1)
            noisy, target, ts = (1 - t) * x + t * noise, noise - x, t.view(-1) * T
        else:
            ts = torch.randint(0, T, (b,), device=dev)
            a = ab[ts].view(-1, 1, 1, 1)
            noisy = a.sqrt() * x + (1 - a).sqrt() * noise
            target = noise if m["objective"] == "eps" else a.sqrt() * noise - (1 - a).sqrt() * x
        with autocast(dev, variant):
            pred = fwd(noisy, ts, class_labels=y).sample
        loss = F.mse_loss(pred.float(), target)
        loss.backward()
        if o["grad_clip"] > 0:
            torch.nn.utils.clip_grad_norm_(unet.parameters(), o["grad_clip"])
        opt.step()
        opt.zero_grad()
        if ema is not None:
            ema.step(unet.parameters())
        loss.item()
    return "diffusers UNet2DModel", step


REFERENCES = {"transformer": transformer, "dcgan": dcgan, "vae": vae, "diffusion": diffusion}


def variants(dev):
    out = ["fp32", "tf32", "bf16"] if dev == "cuda" else ["fp32", "bf16"]
    if hasattr(torch, "compile") and int(torch.__version__.split(".")[0]) >= 2:
        out += [v + "+compile" for v in out]
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("configs", nargs="+")
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--json")
    ap.add_argument("--gen", default="build/gen")
    ap.add_argument("--set", action="append", default=[], dest="sets")
    ap.add_argument("--threads", type=int, default=0, help="torch.set_num_threads (default: PyTorch's own choice)")
    args = ap.parse_args()
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    where = torch.cuda.get_device_name() if args.device == "cuda" else f"cpu, {torch.get_num_threads()} threads"
    print(f"torch {torch.__version__} on {where}")
    rows = []
    for path in args.configs:
        cmd = [args.gen, "config", "show", path] + [a for s in args.sets for a in ("--set", s)]
        cfg = yaml.safe_load(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)
        build = REFERENCES.get(cfg["model"]["kind"])
        if build is None:
            print(f"{path}: no Python reference for model.kind {cfg['model']['kind']}")
            continue
        for variant in variants(args.device):
            try:
                name, step = build(cfg, args.device, variant)
                if name is None:
                    print(f"{path}: no Python reference ({step})")
                    break
                ms = time_steps(step, args.device, args.steps, args.warmup)
            except Exception as e:  # a variant this PyTorch or machine cannot run
                print(f"{path} {variant}: not run ({type(e).__name__}: {str(e).splitlines()[0][:100]})")
                continue
            print(f"{path} | {name} | {variant}: {ms:.2f} ms/step")
            rows.append({"config": path, "reference": name, "variant": variant, "ms_per_step": ms,
                         "device": args.device, "threads": torch.get_num_threads(), "torch": torch.__version__})
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=1)


if __name__ == "__main__":
    main()
