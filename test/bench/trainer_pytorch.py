"""PyTorch side of test/bench/trainer.ts: the same GPT-2 (configs A, B, C), the same initial weights
(init.safetensors written by our side), the same token batches and the same step (mean token
cross-entropy, clip_grad_norm_, AdamW with decay on matrices only). Prints one RESULT JSON line.

Run by `npm run bench:trainer` with Debian's python3-torch (apt: python3-torch libopenblas0-openmp),
with LD_LIBRARY_PATH selecting the OpenMP OpenBLAS build; the BLAS libraries this process actually
mapped are reported (blasMapped) so the bench can refuse a run on the wrong one.
"""
import json
import math
import os
import resource
import struct
import sys
import time

import torch
import torch.nn.functional as F


def load_safetensors(path):
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, meta in header.items():
        if name == "__metadata__":
            continue
        start, end = meta["data_offsets"]
        assert meta["dtype"] == "F32"
        out[name] = torch.frombuffer(bytearray(data[start:end]), dtype=torch.float32).reshape(meta["shape"])
    return out


def gelu_new(x):
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))


class Gpt2(torch.nn.Module):
    """HF GPT2LMHeadModel's computation with Conv1D weights [in, out], tied head, no dropout."""

    def __init__(self, cfg, weights):
        super().__init__()
        self.cfg = cfg
        self.names = list(weights.keys())
        self.params = torch.nn.ParameterList([torch.nn.Parameter(weights[n].clone()) for n in self.names])
        self.w = {n: p for n, p in zip(self.names, self.params)}
        t = cfg["n_positions"]
        self.register_buffer("mask", torch.triu(torch.full((t, t), -1e9), diagonal=1))

    def forward(self, ids):
        w, cfg = self.w, self.cfg
        b, t = ids.shape
        h, nh = cfg["n_embd"], cfg["n_head"]
        hd = h // nh
        eps = cfg["layer_norm_epsilon"]
        x = w["transformer.wte.weight"][ids] + w["transformer.wpe.weight"][:t]
        for i in range(cfg["n_layer"]):
            p = f"transformer.h.{i}."
            a = F.layer_norm(x, (h,), w[p + "ln_1.weight"], w[p + "ln_1.bias"], eps)
            qkv = a @ w[p + "attn.c_attn.weight"] + w[p + "attn.c_attn.bias"]
            q, k, v = qkv.split(h, dim=2)
            q, k, v = (z.view(b, t, nh, hd).transpose(1, 2) for z in (q, k, v))
            scores = (q / math.sqrt(hd)) @ k.transpose(-1, -2) + self.mask[:t, :t]
            o = (scores.softmax(-1) @ v).transpose(1, 2).reshape(b, t, h)
            x = x + o @ w[p + "attn.c_proj.weight"] + w[p + "attn.c_proj.bias"]
            m = F.layer_norm(x, (h,), w[p + "ln_2.weight"], w[p + "ln_2.bias"], eps)
            m = gelu_new(m @ w[p + "mlp.c_fc.weight"] + w[p + "mlp.c_fc.bias"])
            x = x + m @ w[p + "mlp.c_proj.weight"] + w[p + "mlp.c_proj.bias"]
        x = F.layer_norm(x, (h,), w["transformer.ln_f.weight"], w["transformer.ln_f.bias"], eps)
        return x @ w["transformer.wte.weight"].t()


def main():
    d = sys.argv[1]
    run = json.load(open(os.path.join(d, "run.json")))
    cfg, train, B, T = run["config"], run["train"], run["batch"], run["seq"]
    torch.set_num_threads(run.get("threads") or os.cpu_count() or 1)
    torch.manual_seed(0)
    tokens = torch.frombuffer(bytearray(open(os.path.join(d, "tokens.bin"), "rb").read()), dtype=torch.int32)
    rows = tokens.numel() // (T + 1)
    tokens = tokens.reshape(rows, T + 1).long()
    model = Gpt2(cfg, load_safetensors(os.path.join(d, "init.safetensors")))
    decay = [p for n, p in zip(model.names, model.params) if p.dim() >= 2]
    no_decay = [p for n, p in zip(model.names, model.params) if p.dim() < 2]
    opt = torch.optim.AdamW(
        [{"params": decay, "weight_decay": train["weightDecay"]}, {"params": no_decay, "weight_decay": 0.0}],
        lr=train["lr"], betas=(train["beta1"], train["beta2"]), eps=train["eps"],
    )

    def step(i):
        idx = torch.tensor([(i * B + r) % rows for r in range(B)])
        batch = tokens[idx]
        ids, targets = batch[:, :T], batch[:, 1:]
        logits = model(ids)
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), train["maxGradNorm"])
        opt.step()
        return loss.item()

    warm, steps = run["warmup"], run["steps"]
    losses = [step(i) for i in range(warm)]
    r0 = resource.getrusage(resource.RUSAGE_SELF)
    t0 = time.perf_counter()
    losses += [step(warm + i) for i in range(steps)]
    seconds = time.perf_counter() - t0
    r1 = resource.getrusage(resource.RUSAGE_SELF)
    cpu_ms = (r1.ru_utime - r0.ru_utime + r1.ru_stime - r0.ru_stime) * 1000 / steps
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    with open("/proc/self/maps") as maps:
        mapped = sorted({line.split()[-1] for line in maps if "blas" in line.split()[-1]})
    print("RESULT " + json.dumps({
        "engine": "pytorch",
        "tokensPerSecond": steps * B * T / seconds,
        "secondsPerStep": seconds / steps,
        "peakRssMiB": peak,
        "losses": losses,
        "cpuMsPerStep": cpu_ms,
        "blasMapped": mapped,
        "detail": f"torch {torch.__version__}, {torch.get_num_threads()} threads, BLAS {', '.join(os.path.basename(x) for x in mapped) or 'none'}; "
        f"{sum(p.numel() for p in model.params)} params; {steps} timed steps after {warm} warm-up",
    }))


if __name__ == "__main__":
    main()
