# Step times of the Python references on a CUDA GPU, to set beside gen's steps/s for
# configs/transformer_shakespeare.yaml and configs/dcgan64_mnist.yaml on the same machine:
#   python3 scripts/reference_step_times_gpu.py
# nanoGPT's shakespeare_char model (its model.py re-typed: bias-free, tied head, SDPA, fused
# AdamW, grad clip 1.0; fp32, TF32 and bf16 autocast as nanoGPT runs it, eager, no compile) and
# pytorch/examples dcgan at 64x64 (1 channel, batch 128, BCE, Adam 2e-4 (0.5, 0.999), its two
# .item() calls per step). One fixed batch each: no data loading is timed.
import math, sys, time, torch, torch.nn as nn, torch.nn.functional as F
torch.manual_seed(0); dev = "cuda"
class LN(nn.Module):
    def __init__(s, n): super().__init__(); s.weight = nn.Parameter(torch.ones(n))
    def forward(s, x): return F.layer_norm(x, s.weight.shape, s.weight, None, 1e-5)
class Attn(nn.Module):
    def __init__(s, d, h, p):
        super().__init__(); s.c_attn = nn.Linear(d, 3*d, bias=False); s.c_proj = nn.Linear(d, d, bias=False)
        s.h, s.p, s.drop = h, p, nn.Dropout(p)
    def forward(s, x):
        B, T, C = x.shape; q, k, v = s.c_attn(x).split(C, 2)
        q, k, v = [t.view(B, T, s.h, C // s.h).transpose(1, 2) for t in (q, k, v)]
        y = F.scaled_dot_product_attention(q, k, v, dropout_p=s.p if s.training else 0, is_causal=True)
        return s.drop(s.c_proj(y.transpose(1, 2).contiguous().view(B, T, C)))
class Block(nn.Module):
    def __init__(s, d, h, p):
        super().__init__(); s.ln_1, s.attn, s.ln_2 = LN(d), Attn(d, h, p), LN(d)
        s.mlp = nn.Sequential(nn.Linear(d, 4*d, bias=False), nn.GELU(), nn.Linear(4*d, d, bias=False), nn.Dropout(p))
    def forward(s, x): x = x + s.attn(s.ln_1(x)); return x + s.mlp(s.ln_2(x))
class GPT(nn.Module):
    def __init__(s, V=65, T=256, L=6, H=6, d=384, p=0.2):
        super().__init__(); s.wte, s.wpe, s.drop = nn.Embedding(V, d), nn.Embedding(T, d), nn.Dropout(p)
        s.h = nn.ModuleList([Block(d, H, p) for _ in range(L)]); s.ln_f = LN(d)
        s.head = nn.Linear(d, V, bias=False); s.wte.weight = s.head.weight
    def forward(s, idx, tgt):
        x = s.drop(s.wte(idx) + s.wpe(torch.arange(idx.shape[1], device=idx.device)))
        for b in s.h: x = b(x)
        return F.cross_entropy(s.head(s.ln_f(x)).view(-1, 65), tgt.view(-1))
def time_steps(step, n=100, warm=20):
    for _ in range(warm): step()
    torch.cuda.synchronize(); t = time.perf_counter()
    for _ in range(n): step()
    torch.cuda.synchronize(); return (time.perf_counter() - t) / n * 1e3
def gpt(mode):
    torch.backends.cuda.matmul.allow_tf32 = mode != "fp32"; torch.backends.cudnn.allow_tf32 = mode != "fp32"
    m = GPT().to(dev); dec = [p for p in m.parameters() if p.dim() >= 2]; nod = [p for p in m.parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": dec, "weight_decay": 0.1}, {"params": nod, "weight_decay": 0}], lr=1e-3, betas=(0.9, 0.99), fused=True)
    x = torch.randint(0, 65, (64, 256), device=dev); y = torch.randint(0, 65, (64, 256), device=dev)
    ctx = torch.autocast("cuda", torch.bfloat16) if mode == "bf16" else torch.autocast("cuda", enabled=False)
    def step():
        with ctx: loss = m(x, y)
        loss.backward(); torch.nn.utils.clip_grad_norm_(m.parameters(), 1.0); opt.step(); opt.zero_grad(set_to_none=True)
    return time_steps(step)
def dcgan():
    torch.backends.cudnn.benchmark = True; torch.backends.cuda.matmul.allow_tf32 = False; torch.backends.cudnn.allow_tf32 = True
    nz, ngf, ndf, nc = 100, 64, 64, 1
    G = nn.Sequential(nn.ConvTranspose2d(nz, ngf*8, 4, 1, 0, bias=False), nn.BatchNorm2d(ngf*8), nn.ReLU(True),
        nn.ConvTranspose2d(ngf*8, ngf*4, 4, 2, 1, bias=False), nn.BatchNorm2d(ngf*4), nn.ReLU(True),
        nn.ConvTranspose2d(ngf*4, ngf*2, 4, 2, 1, bias=False), nn.BatchNorm2d(ngf*2), nn.ReLU(True),
        nn.ConvTranspose2d(ngf*2, ngf, 4, 2, 1, bias=False), nn.BatchNorm2d(ngf), nn.ReLU(True),
        nn.ConvTranspose2d(ngf, nc, 4, 2, 1, bias=False), nn.Tanh()).to(dev)
    D = nn.Sequential(nn.Conv2d(nc, ndf, 4, 2, 1, bias=False), nn.LeakyReLU(0.2, True),
        nn.Conv2d(ndf, ndf*2, 4, 2, 1, bias=False), nn.BatchNorm2d(ndf*2), nn.LeakyReLU(0.2, True),
        nn.Conv2d(ndf*2, ndf*4, 4, 2, 1, bias=False), nn.BatchNorm2d(ndf*4), nn.LeakyReLU(0.2, True),
        nn.Conv2d(ndf*4, ndf*8, 4, 2, 1, bias=False), nn.BatchNorm2d(ndf*8), nn.LeakyReLU(0.2, True),
        nn.Conv2d(ndf*8, 1, 4, 1, 0, bias=False), nn.Sigmoid()).to(dev)
    oD = torch.optim.Adam(D.parameters(), 2e-4, betas=(0.5, 0.999)); oG = torch.optim.Adam(G.parameters(), 2e-4, betas=(0.5, 0.999))
    crit = nn.BCELoss(); real = torch.rand(128, 1, 64, 64, device=dev) * 2 - 1
    def step():  # pytorch/examples dcgan main.py's loop body
        D.zero_grad(); out = D(real).view(-1); errD_real = crit(out, torch.ones_like(out)); errD_real.backward()
        fake = G(torch.randn(128, nz, 1, 1, device=dev)); out = D(fake.detach()).view(-1)
        errD_fake = crit(out, torch.zeros_like(out)); errD_fake.backward(); oD.step()
        G.zero_grad(); out = D(fake).view(-1); errG = crit(out, torch.ones_like(out)); errG.backward(); oG.step()
        (errD_real + errD_fake).item(); errG.item()  # the example prints both every step
    return time_steps(step)
print("torch", torch.__version__, torch.cuda.get_device_name())
for mode in ("fp32", "tf32", "bf16"): print(f"ref nanoGPT shakespeare_char eager {mode}: {gpt(mode):.2f} ms/step")
print(f"ref pytorch/examples dcgan 64x64 batch 128: {dcgan():.2f} ms/step")
