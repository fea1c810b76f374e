#!/usr/bin/env python3
"""Checks gen's exports with the real clients: torch.load and the safetensors package (pinned in
requirements-dev.txt).

usage: check_export.py DIR
DIR holds, per network family NAME: NAME.pt and NAME.safetensors (gen export of one
checkpoint), NAME.probe.pt (gen export --probe) and, for the Transformer, text.txt (its data)
and transformer_eval.json (gen eval --json of the same checkpoint).

Each export is opened with torch.load(weights_only=True) and with safetensors.safe_open; both
must hold the same tensors. The network is rebuilt below in plain
PyTorch -- nanoGPT's GPT, pytorch/examples' DCGAN Generator/Discriminator and VAE, under
their own module names, and gen's classifier and conv VAE under gen's names -- loaded with
load_state_dict(strict=True), and run on the probe's input: every output must match gen's
within 1e-5 (and 1e-4 of their size). Then a deliberately broken export (a renamed key, a changed value) must fail,
and a truncated .pt and .safetensors must not load.
"""
import json
import math
import os
import re
import sys

import tempfile

import torch
import torch.nn as nn
import torch.nn.functional as F
from safetensors import safe_open

TOLERANCE = 1e-5
RELATIVE = 1e-4

# ---- the real clients: torch.load as torch >= 2.6 calls it, and the safetensors package --------
def load_pt(path):
    """torch.load with weights_only=True (the default since torch 2.6): plain containers and tensors only."""
    return torch.load(path, weights_only=True)


def read_safetensors(path):
    """safetensors.safe_open, as transformers and diffusers open weights; returns (tensors, metadata)."""
    tensors = {}
    with safe_open(path, framework="pt") as f:
        metadata = f.metadata() or {}
        for name in f.keys():
            tensors[name] = f.get_tensor(name)
    return tensors, metadata


# ---- nanoGPT's GPT (model.py), as written for PyTorch 2 (no causal-mask buffer) ----------
class LayerNorm(nn.Module):
    def __init__(self, ndim, bias):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(ndim))
        self.bias = nn.Parameter(torch.zeros(ndim)) if bias else None

    def forward(self, x):
        return F.layer_norm(x, self.weight.shape, self.weight, self.bias, 1e-5)


class CausalSelfAttention(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c_attn = nn.Linear(c["n_embd"], 3 * c["n_embd"], bias=c["bias"])
        self.c_proj = nn.Linear(c["n_embd"], c["n_embd"], bias=c["bias"])
        self.n_head = c["n_head"]

    def forward(self, x):
        B, T, C = x.size()
        q, k, v = self.c_attn(x).split(C, dim=2)
        q, k, v = (z.view(B, T, self.n_head, C // self.n_head).transpose(1, 2) for z in (q, k, v))
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.size(-1)))
        att = att.masked_fill(torch.ones(T, T, dtype=torch.bool).triu(1), float("-inf")).softmax(-1)
        return self.c_proj((att @ v).transpose(1, 2).contiguous().view(B, T, C))


class MLP(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c_fc = nn.Linear(c["n_embd"], 4 * c["n_embd"], bias=c["bias"])
        self.gelu = nn.GELU()
        self.c_proj = nn.Linear(4 * c["n_embd"], c["n_embd"], bias=c["bias"])

    def forward(self, x):
        return self.c_proj(self.gelu(self.c_fc(x)))


class Block(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.ln_1 = LayerNorm(c["n_embd"], c["bias"])
        self.attn = CausalSelfAttention(c)
        self.ln_2 = LayerNorm(c["n_embd"], c["bias"])
        self.mlp = MLP(c)

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))


class GPT(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.transformer = nn.ModuleDict(dict(
            wte=nn.Embedding(c["vocab_size"], c["n_embd"]), wpe=nn.Embedding(c["block_size"], c["n_embd"]),
            drop=nn.Dropout(c["dropout"]), h=nn.ModuleList([Block(c) for _ in range(c["n_layer"])]),
            ln_f=LayerNorm(c["n_embd"], c["bias"])))
        self.lm_head = nn.Linear(c["n_embd"], c["vocab_size"], bias=False)
        self.transformer.wte.weight = self.lm_head.weight  # weight tying, as nanoGPT does

    def forward(self, idx, targets=None):
        pos = torch.arange(idx.size(1), dtype=torch.long)
        x = self.transformer.drop(self.transformer.wte(idx) + self.transformer.wpe(pos))
        for block in self.transformer.h:
            x = block(x)
        logits = self.lm_head(self.transformer.ln_f(x))
        loss = None
        if targets is not None:
            loss = F.cross_entropy(logits.view(-1, logits.size(-1)), targets.view(-1), ignore_index=-1)
        return logits, loss


# ---- pytorch/examples dcgan/main.py (nc, nz, ngf, ndf as arguments) ----------------------
class Generator(nn.Module):
    def __init__(self, nz, ngf, nc):
        super().__init__()
        self.main = nn.Sequential(
            nn.ConvTranspose2d(nz, ngf * 8, 4, 1, 0, bias=False), nn.BatchNorm2d(ngf * 8), nn.ReLU(True),
            nn.ConvTranspose2d(ngf * 8, ngf * 4, 4, 2, 1, bias=False), nn.BatchNorm2d(ngf * 4), nn.ReLU(True),
            nn.ConvTranspose2d(ngf * 4, ngf * 2, 4, 2, 1, bias=False), nn.BatchNorm2d(ngf * 2), nn.ReLU(True),
            nn.ConvTranspose2d(ngf * 2, ngf, 4, 2, 1, bias=False), nn.BatchNorm2d(ngf), nn.ReLU(True),
            nn.ConvTranspose2d(ngf, nc, 4, 2, 1, bias=False), nn.Tanh())

    def forward(self, input):
        return self.main(input)


class Discriminator(nn.Module):
    def __init__(self, ndf, nc):
        super().__init__()
        self.main = nn.Sequential(
            nn.Conv2d(nc, ndf, 4, 2, 1, bias=False), nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(ndf, ndf * 2, 4, 2, 1, bias=False), nn.BatchNorm2d(ndf * 2), nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(ndf * 2, ndf * 4, 4, 2, 1, bias=False), nn.BatchNorm2d(ndf * 4), nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(ndf * 4, ndf * 8, 4, 2, 1, bias=False), nn.BatchNorm2d(ndf * 8), nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(ndf * 8, 1, 4, 1, 0, bias=False), nn.Sigmoid())

    def forward(self, input):
        return self.main(input).view(-1, 1).squeeze(1)


# ---- pytorch/examples vae/main.py --------------------------------------------------------
class VAE(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(784, 400)
        self.fc21 = nn.Linear(400, 20)
        self.fc22 = nn.Linear(400, 20)
        self.fc3 = nn.Linear(20, 400)
        self.fc4 = nn.Linear(400, 784)

    def encode(self, x):
        h1 = F.relu(self.fc1(x))
        return self.fc21(h1), self.fc22(h1)

    def decode(self, z):
        return torch.sigmoid(self.fc4(F.relu(self.fc3(z))))


# ---- gen's own networks, under gen's names ----------------------------------------------
class GenClassifier(nn.Module):
    """model.kind classifier: (conv-BN-ReLU) x2, max-pool, twice; dense features; class layer."""

    def __init__(self, channels, width, features, size, classes):
        super().__init__()
        layers = []
        for cin, cout in ((channels, width), (width, 2 * width)):
            for i in (cin, cout):
                layers += [nn.Conv2d(i, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU()]
            layers.append(nn.MaxPool2d(2))
        layers += [nn.Flatten(), nn.Linear(2 * width * (size // 4) ** 2, features), nn.ReLU()]
        self.body = nn.Sequential(*layers)
        self.head = nn.Linear(features, classes)


class GenConvVae(nn.Module):
    """model.kind vae, arch conv: two stride-2 convs and a dense layer each way."""

    def __init__(self, channels, width, hidden, latent, size, gaussian):
        super().__init__()
        c1, c2, s = width, 2 * width, size // 4
        self.encoder = nn.Sequential(nn.Conv2d(channels, c1, 4, 2, 1), nn.ReLU(), nn.Conv2d(c1, c2, 4, 2, 1), nn.ReLU(),
                                     nn.Flatten(), nn.Linear(c2 * s * s, hidden), nn.ReLU())
        self.decoder = nn.Sequential(nn.Linear(latent, hidden), nn.ReLU(), nn.Linear(hidden, c2 * s * s), nn.ReLU(),
                                     nn.Unflatten(1, (c2, s, s)), nn.ConvTranspose2d(c2, c1, 4, 2, 1), nn.ReLU(),
                                     nn.ConvTranspose2d(c1, channels, 4, 2, 1))
        self.mu = nn.Linear(hidden, latent)
        self.logvar = nn.Linear(hidden, latent)
        if gaussian:
            self.log_scale = nn.Parameter(torch.zeros(1))


# ---- checks ------------------------------------------------------------------------------
def differs(name, ours, gens, problems):
    """Max |python - gen| must be < 1e-5, and also <= 1e-4 of gen's largest output: the outputs
    of a barely trained network can be ~1e-4 (a DCGAN in eval mode whose BatchNorm statistics
    are still near their initial values), where 1e-5 alone would be a 10% tolerance."""
    if ours.shape != gens.shape:
        problems.append(f"{name}: shape {tuple(ours.shape)}, gen wrote {tuple(gens.shape)}")
        return
    d = (ours.double() - gens.double()).abs().max().item() if ours.numel() else 0.0
    scale = gens.double().abs().max().item() if gens.numel() else 0.0
    if not (d < TOLERANCE and d <= RELATIVE * scale):
        problems.append(f"{name}: max |python - gen| = {d:.3g} (gen's outputs up to {scale:.3g})")
    else:
        print(f"  {name}: max |python - gen| = {d:.3g} (gen's outputs up to {scale:.3g})")


def load_strict(module, state, problems, what):
    try:
        module.load_state_dict(state, strict=True)
    except RuntimeError as e:
        problems.append(f"{what}: load_state_dict(strict=True) failed: {str(e).splitlines()[0]} ...")
        return False
    module.eval()
    return True


def check_networks(kind, nets, args, meta, probe, folder, problems):
    """Rebuilds each network, loads its state dict and compares outputs on the probe's input."""
    config = meta["gen.config"]
    with torch.no_grad():
        if kind == "transformer":
            gpt = GPT(args["model"])
            if load_strict(gpt, nets["model"], problems, "transformer"):
                p = probe["model"]
                logits, loss = gpt(p["input"], p["targets"])
                differs("transformer logits", logits, p["logits"], problems)
                differs("transformer loss", loss, p["loss"], problems)
                check_val_loss(gpt, meta, folder, problems)
        elif kind == "dcgan":
            nz = probe["generator"]["input"].shape[1]
            nc = probe["generator"]["output"].shape[1]
            g = Generator(nz, nets["generator"]["main.12.weight"].shape[0], nc)
            d = Discriminator(nets["discriminator"]["main.0.weight"].shape[0], nc)
            if load_strict(g, nets["generator"], problems, "generator"):
                differs("generator output", g(probe["generator"]["input"]), probe["generator"]["output"], problems)
            if load_strict(d, nets["discriminator"], problems, "discriminator"):
                differs("discriminator output", d(probe["discriminator"]["input"]), probe["discriminator"]["output"],
                        problems)
        elif kind == "vae_mlp":
            vae = VAE()
            if load_strict(vae, nets["model"], problems, "vae"):
                p = probe["model"]
                mu, logvar = vae.encode(p["input"].view(-1, 784))
                differs("vae mu", mu, p["mu"], problems)
                differs("vae logvar", logvar, p["logvar"], problems)
                differs("vae decode(mu)", vae.decode(mu), p["decoded"], problems)
        elif kind == "vae_conv":
            p = probe["model"]
            sd = nets["model"]
            vae = GenConvVae(p["input"].shape[1], sd["encoder.0.weight"].shape[0], sd["mu.weight"].shape[1],
                             sd["mu.weight"].shape[0], p["input"].shape[2], "log_scale" in sd)
            if load_strict(vae, sd, problems, "conv vae"):
                h = vae.encoder(p["input"])
                mu = vae.mu(h)
                differs("conv vae mu", mu, p["mu"], problems)
                differs("conv vae logvar", vae.logvar(h), p["logvar"], problems)
                out = vae.decoder(mu)
                differs("conv vae decoded", out if "log_scale" in sd else torch.sigmoid(out), p["decoded"], problems)
        elif kind == "classifier":
            p = probe["model"]
            sd = nets["model"]
            net = GenClassifier(p["input"].shape[1], sd["body.0.weight"].shape[0], sd["head.weight"].shape[1],
                                p["input"].shape[2], sd["head.weight"].shape[0])
            if load_strict(net, sd, problems, "classifier"):
                features = net.body(p["input"])
                differs("classifier features", features, p["features"], problems)
                differs("classifier logits", net.head(features), p["logits"], problems)
        else:
            problems.append(f"unknown family {kind}")
    assert config, "metadata without the config"


def check_val_loss(gpt, meta, folder, problems):
    """gen eval's val loss: every token of the held-out split after its first predicted once,
    from consecutive non-overlapping windows of block_size tokens (the last one shorter)."""
    vocab = meta["gen.vocabulary"]
    with open(os.path.join(folder, "text.txt"), encoding="utf-8") as f:
        text = f.read()
    ids = torch.tensor([vocab.index(ch) for ch in text], dtype=torch.long)
    fraction = float(re.search(r"^\s*val_fraction: *([0-9.eE+-]+)", meta["gen.config"], re.M).group(1))
    n_val = int(len(ids) * fraction)
    val = ids[len(ids) - n_val:]
    block = gpt.transformer.wpe.weight.shape[0]
    total, count = 0.0, 0
    for start in range(0, len(val) - 1, block):
        x = val[start:start + block]
        y = val[start + 1:start + block + 1]
        x = x[:len(y)]
        logits, _ = gpt(x.unsqueeze(0))
        total += F.cross_entropy(logits[0].double(), y, reduction="sum").item()
        count += len(y)
    ours = total / count
    report = json.load(open(os.path.join(folder, "transformer_eval.json")))
    gens = report["figures"]["val_loss"]
    if not abs(ours - gens) < TOLERANCE * max(1.0, abs(gens)):
        problems.append(f"transformer val loss: python {ours:.7f} over {count} tokens, gen eval {gens:.7f}")
    else:
        print(f"  transformer val loss over {count} tokens: python {ours:.7f}, gen eval {gens:.7f}")


def networks_of(flat, meta):
    """A safetensors dict split back into networks (a GAN's keys carry the network's name)."""
    names = meta["gen.networks"].split(",")
    if len(names) == 1:
        return {names[0]: flat}
    return {n: {k[len(n) + 1:]: v for k, v in flat.items() if k.startswith(n + ".")} for n in names}


def check_family(kind, folder):
    problems = []
    pt = load_pt(os.path.join(folder, kind + ".pt"))
    st, st_meta = read_safetensors(os.path.join(folder, kind + ".safetensors"))
    probe = load_pt(os.path.join(folder, kind + ".probe.pt"))
    meta = pt["metadata"]
    names = meta["gen.networks"].split(",")
    nets = {n: pt[n] for n in names}
    args = {n: pt[n + "_args"] for n in names if n + "_args" in pt}
    # Both files hold the same tensors and the same facts.
    st_nets = networks_of(st, st_meta)
    for n in names:
        if set(nets[n]) != set(st_nets[n]):
            problems.append(f"{n}: .pt and .safetensors keys differ: {sorted(set(nets[n]) ^ set(st_nets[n]))}")
            continue
        for k in nets[n]:
            if not torch.equal(nets[n][k], st_nets[n][k]):
                problems.append(f"{n}.{k}: .pt and .safetensors values differ")
    for key, value in meta.items():
        if st_meta.get(key) != value:
            problems.append(f"metadata {key}: .pt and .safetensors differ")
    for n, a in args.items():
        if json.loads(st_meta["gen." + n + "_args"]) != a:
            problems.append(f"{n}_args: .pt {a} vs .safetensors {st_meta['gen.' + n + '_args']}")
    check_networks(kind, nets, args, meta, probe, folder, problems)
    print(f"{kind}: {sum(len(s) for s in nets.values())} tensors, references "
          f"{[meta['gen.reference.' + n] for n in names]}: {'ok' if not problems else 'FAILED'}")
    return problems, (nets, args, meta, probe)


def main():
    folder = sys.argv[1]
    failures = []
    loaded = {}
    for kind in ("transformer", "dcgan", "vae_mlp", "vae_conv", "classifier"):
        problems, loaded[kind] = check_family(kind, folder)
        failures += [f"{kind}: {p}" for p in problems]
    # A broken export must fail the same checks: one key renamed, one value changed.
    nets, args, meta, probe = loaded["transformer"]
    renamed = {"model": dict(nets["model"])}
    renamed["model"]["transformer.h.0.mlp.fc.weight"] = renamed["model"].pop("transformer.h.0.mlp.c_fc.weight")
    changed = {"model": dict(nets["model"])}
    # One element: a shift of every element of a row would vanish in the next LayerNorm.
    changed["model"]["transformer.h.0.attn.c_proj.weight"] = nets["model"]["transformer.h.0.attn.c_proj.weight"].clone()
    changed["model"]["transformer.h.0.attn.c_proj.weight"][0, 0] += 1e-3
    gan_nets, gan_args, gan_meta, gan_probe = loaded["dcgan"]
    stats = {n: dict(s) for n, s in gan_nets.items()}
    stats["generator"]["main.1.running_var"] = stats["generator"]["main.1.running_var"] * 1.01
    for what, kind, broken, a, m, p in (("a renamed key", "transformer", renamed, args, meta, probe),
                                        ("a changed weight", "transformer", changed, args, meta, probe),
                                        ("a changed BatchNorm statistic", "dcgan", stats, gan_args, gan_meta,
                                         gan_probe)):
        problems = []
        check_networks(kind, broken, a, m, p, folder, problems)
        if not problems:
            failures.append(f"an export with {what} passed the checks")
        else:
            print(f"broken export ({what}) fails as it should: {problems[0]}")
    # A damaged file must not load at all: the clients' own checks.
    with tempfile.TemporaryDirectory() as tmp:
        for what, name, loader in (("a truncated .pt", "transformer.pt", load_pt),
                                   ("a truncated .safetensors", "transformer.safetensors", read_safetensors)):
            with open(os.path.join(folder, name), "rb") as f:
                blob = f.read()
            broken = os.path.join(tmp, name)
            with open(broken, "wb") as f:
                f.write(blob[:len(blob) - 64])
            try:
                loader(broken)
                failures.append(f"{what} loaded")
            except Exception as e:  # noqa: BLE001 -- whatever the client raises
                print(f"{what} does not load, as it should: {type(e).__name__}: {str(e).splitlines()[0][:100]}")
    if failures:
        print("\n".join(["FAILED:"] + failures))
        sys.exit(1)
    print("all exports load in PyTorch (weights_only) and safetensors and reproduce gen's outputs")


if __name__ == "__main__":
    main()
