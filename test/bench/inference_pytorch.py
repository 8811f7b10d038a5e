"""PyTorch side of bench:inference: greedy decoding with a KV cache (past keys and values
concatenated per layer), written from HF's GPT2Attention with use_cache, torch.no_grad, float32.
Reads <dir>/spec.json and the model folder the bench wrote; prints one RESULT line (JSON).
Run by `npm run bench:inference` on Debian's OpenMP OpenBLAS (LD_LIBRARY_PATH), and it reports the
BLAS it mapped so the bench can refuse another."""
import json
import math
import os
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "compat", "pytorch"))
from reference import gelu_new, read_safetensors  # noqa: E402


def step(cfg, w, ids, past):
    """ids [1, t] at position len(past[0][0]) → (logits of the last position, updated past)."""
    h, nh = cfg["n_embd"], cfg["n_head"]
    hd = h // nh
    eps = cfg.get("layer_norm_epsilon", 1e-5)
    t = ids.shape[1]
    start = 0 if past[0] is None else past[0][0].shape[2]
    x = w["transformer.wte.weight"][ids] + w["transformer.wpe.weight"][start : start + t]
    for i in range(cfg["n_layer"]):
        p = f"transformer.h.{i}."
        a = F.layer_norm(x, (h,), w[p + "ln_1.weight"], w[p + "ln_1.bias"], eps)
        qkv = torch.addmm(w[p + "attn.c_attn.bias"], a.view(-1, h), w[p + "attn.c_attn.weight"]).view(1, t, 3 * h)
        q, k, v = (z.view(1, t, nh, hd).transpose(1, 2) for z in qkv.split(h, dim=2))
        if past[i] is not None:
            k = torch.cat([past[i][0], k], dim=2)
            v = torch.cat([past[i][1], v], dim=2)
        past[i] = (k, v)
        att = (q @ k.transpose(-1, -2)) / math.sqrt(hd)
        if t > 1:
            mask = torch.ones(t, k.shape[2], dtype=torch.bool).tril(k.shape[2] - t)
            att = att.masked_fill(~mask, torch.finfo(att.dtype).min)
        o = (att.softmax(-1) @ v).transpose(1, 2).reshape(t, h)
        x = x + torch.addmm(w[p + "attn.c_proj.bias"], o, w[p + "attn.c_proj.weight"]).view(1, t, h)
        m = F.layer_norm(x, (h,), w[p + "ln_2.weight"], w[p + "ln_2.bias"], eps)
        m = gelu_new(torch.addmm(w[p + "mlp.c_fc.bias"], m.view(-1, h), w[p + "mlp.c_fc.weight"]))
        x = x + torch.addmm(w[p + "mlp.c_proj.bias"], m, w[p + "mlp.c_proj.weight"]).view(1, t, h)
    last = F.layer_norm(x[0, -1], (h,), w["transformer.ln_f.weight"], w["transformer.ln_f.bias"], eps)
    return last @ w["transformer.wte.weight"].T, past


def main(folder):
    with open(f"{folder}/spec.json") as f:
        spec = json.load(f)
    with open(f"{folder}/config.json") as f:
        cfg = json.load(f)
    torch.set_num_threads(spec["threads"])
    w = read_safetensors(f"{folder}/model.safetensors")
    ttft, tps, tokens = [], [], []
    with torch.no_grad():
        for r in range(spec["rounds"] + 1):
            past = [None] * cfg["n_layer"]
            t0 = time.perf_counter()
            logits, past = step(cfg, w, torch.tensor([spec["prompt"]]), past)
            ids = [int(torch.argmax(logits))]
            first = time.perf_counter()
            for _ in range(spec["newTokens"] - 1):
                logits, past = step(cfg, w, torch.tensor([[ids[-1]]]), past)
                ids.append(int(torch.argmax(logits)))
            end = time.perf_counter()
            if r == 0:
                continue
            ttft.append((first - t0) * 1000)
            tps.append((spec["newTokens"] - 1) / (end - first))
            tokens = ids
    with open("/proc/self/maps") as maps:
        mapped = sorted({line.split()[-1] for line in maps if "blas" in line.split()[-1]})
    median = lambda xs: sorted(xs)[len(xs) // 2]  # noqa: E731
    print("RESULT " + json.dumps({
        "engine": "pytorch",
        "detail": f"PyTorch {torch.__version__}, {torch.get_num_threads()} threads, KV cache by concatenation",
        "ttftMs": median(ttft),
        "decodeTokensPerSecond": median(tps),
        "tokens": tokens,
        "blasMapped": mapped,
    }))


if __name__ == "__main__":
    main(sys.argv[1])
