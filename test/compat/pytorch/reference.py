"""Plain-PyTorch reference forward/backward for Tuneplane's GPT-2 and Llama models.

Written from Hugging Face's modeling_gpt2.py / modeling_llama.py (eager attention path) without the
transformers package, which Debian does not ship. Reads a model folder written by the TypeScript
side (config.json + model.safetensors) and batch.json, and writes out.safetensors with the logits,
the cross-entropy loss and the gradient of the loss with respect to every weight ("grad/<name>").
For a "dpo" batch the loss is TRL's sigmoid DPO loss (label-smoothed: cDPO) over preference pairs.
A Llama config with num_local_experts runs Mixtral's sparse MoE block (modeling_mixtral.py's
MixtralSparseMoeBlock) and adds load_balancing_loss_func's aux loss to the LM loss, as
MixtralForCausalLM does; "aux" holds that loss before weighting.

Usage: python3 reference.py <folder>
"""
import json
import math
import struct
import sys

import numpy as np
import torch
import torch.nn.functional as F


def read_safetensors(path):
    """Minimal safetensors reader (F32 only): 8-byte LE header length, JSON header, raw LE data."""
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + n])
    assert header.get("__metadata__", {}).get("format") == "pt", "transformers requires format=pt metadata"
    base = 8 + n
    out = {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        assert e["dtype"] == "F32", e["dtype"]
        begin, end = e["data_offsets"]
        arr = np.frombuffer(raw[base + begin : base + end], dtype="<f4").reshape(e["shape"]).copy()
        out[name] = torch.from_numpy(arr)
    return out


def write_safetensors(path, tensors):
    header, blobs, offset = {"__metadata__": {"format": "pt"}}, [], 0
    for name, t in tensors.items():
        a = np.ascontiguousarray(t.detach().cpu().numpy().astype("<f4"))
        b = a.tobytes()
        header[name] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [offset, offset + len(b)]}
        offset += len(b)
        blobs.append(b)
    hj = json.dumps(header).encode()
    hj += b" " * ((8 - len(hj) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(hj)))
        f.write(hj)
        for b in blobs:
            f.write(b)


def attention_type(cfg):
    return cfg.get("attention_type") or ("sliding_window" if cfg.get("sliding_window") else "full")


def position_type(cfg):
    return cfg.get("position_embedding_type") or ("absolute" if cfg["model_type"] == "gpt2" else "rope")


def alibi_slopes(n):
    """As in the ALiBi paper's code and HF BLOOM's build_alibi_tensor."""
    closest = 2 ** math.floor(math.log2(n))
    base = 2 ** (-(2 ** -(math.log2(closest) - 3)))
    slopes = [base**i for i in range(1, closest + 1)]
    if closest != n:
        extra = 2 ** (-(2 ** -(math.log2(2 * closest) - 3)))
        slopes += [extra**i for i in range(1, 1 + 2 * min(closest, n - closest), 2)]
    return torch.tensor(slopes)


def attend(cfg, q, k, v):
    """q [b, nh, t, hd], k/v [b, nkv, t, hd] (positions already applied) -> [b, t, nh*hd]."""
    b, nh, t, hd = q.shape
    k = k.repeat_interleave(nh // k.shape[1], dim=1)  # repeat_kv
    v = v.repeat_interleave(nh // v.shape[1], dim=1)
    kind = attention_type(cfg)
    i = torch.arange(t)[:, None]
    j = torch.arange(t)[None, :]
    visible = j <= i
    if kind == "linear":  # Katharopoulos et al. 2020, written quadratically: phi(q_i).phi(k_j) for j <= i
        fq, fk = F.elu(q) + 1, F.elu(k) + 1
        a = (fq @ fk.transpose(-1, -2)) * visible
        o = (a @ v) / (a.sum(-1, keepdim=True) + 1e-6)
        return o.transpose(1, 2).reshape(b, t, nh * hd)
    if kind == "sliding_window":  # Mistral: a query sees itself and the sliding_window - 1 before it
        visible = visible & (i - j < cfg["sliding_window"])
    att = (q @ k.transpose(-1, -2)) / math.sqrt(hd)
    if position_type(cfg) == "alibi":
        att = att - alibi_slopes(nh)[:, None, None] * (i - j)
    att = att.masked_fill(~visible, torch.finfo(att.dtype).min).softmax(-1)
    return (att @ v).transpose(1, 2).reshape(b, t, nh * hd)


def rope_cos_sin(cfg, t, hd):
    freqs = torch.outer(torch.arange(t).float(), llama_inv_freq(cfg, hd))
    emb = torch.cat((freqs, freqs), dim=-1)
    return emb.cos(), emb.sin()


def gelu_new(x):
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))


def gpt2_hidden(cfg, w, ids):
    b, t = ids.shape
    h, nh = cfg["n_embd"], cfg["n_head"]
    hd = h // nh
    eps = cfg.get("layer_norm_epsilon", 1e-5)
    act = {"gelu_new": gelu_new, "gelu_pytorch_tanh": gelu_new, "gelu": F.gelu, "relu": F.relu, "silu": F.silu}[
        cfg.get("activation_function", "gelu_new")
    ]
    x = w["transformer.wte.weight"][ids]
    if position_type(cfg) == "absolute":
        x = x + w["transformer.wpe.weight"][torch.arange(t)]
    cos, sin = rope_cos_sin(cfg, t, hd)
    for i in range(cfg["n_layer"]):
        p = f"transformer.h.{i}."
        a = F.layer_norm(x, (h,), w[p + "ln_1.weight"], w[p + "ln_1.bias"], eps)
        qkv = a @ w[p + "attn.c_attn.weight"] + w[p + "attn.c_attn.bias"]  # Conv1D: weight [in, out]
        q, k, v = (z.view(b, t, nh, hd).transpose(1, 2) for z in qkv.split(h, dim=2))
        if position_type(cfg) == "rope":
            q = q * cos + rotate_half(q) * sin
            k = k * cos + rotate_half(k) * sin
        o = attend(cfg, q, k, v)
        x = x + o @ w[p + "attn.c_proj.weight"] + w[p + "attn.c_proj.bias"]
        m = F.layer_norm(x, (h,), w[p + "ln_2.weight"], w[p + "ln_2.bias"], eps)
        m = act(m @ w[p + "mlp.c_fc.weight"] + w[p + "mlp.c_fc.bias"])
        x = x + m @ w[p + "mlp.c_proj.weight"] + w[p + "mlp.c_proj.bias"]
    return F.layer_norm(x, (h,), w["transformer.ln_f.weight"], w["transformer.ln_f.bias"], eps)


def rms_norm(x, weight, eps):
    variance = x.pow(2).mean(-1, keepdim=True)
    return weight * (x * torch.rsqrt(variance + eps))


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


def llama_inv_freq(cfg, hd):
    inv = 1.0 / (cfg.get("rope_theta", 10000.0) ** (torch.arange(0, hd, 2, dtype=torch.int64).float() / hd))
    s = cfg.get("rope_scaling") or {}
    kind = s.get("rope_type", s.get("type", "default"))
    if kind == "linear":
        return inv / s["factor"]
    if kind == "llama3":  # transformers.modeling_rope_utils._compute_llama3_parameters
        factor, low, high = s["factor"], s["low_freq_factor"], s["high_freq_factor"]
        old = s["original_max_position_embeddings"]
        low_wavelen, high_wavelen = old / low, old / high
        wavelen = 2 * math.pi / inv
        inv_l = torch.where(wavelen > low_wavelen, inv / factor, inv)
        smooth = (old / wavelen - low) / (high - low)
        smoothed = (1 - smooth) * inv_l / factor + smooth * inv_l
        medium = ~(wavelen < high_wavelen) * ~(wavelen > low_wavelen)
        return torch.where(medium, smoothed, inv_l)
    return inv


def mixtral_moe(cfg, w, p, x, router_logits_out):
    """MixtralSparseMoeBlock.forward (no jitter): softmax, top-k, renormalise, experts by index_add_."""
    b, t, h = x.shape
    n_experts, top_k = cfg["num_local_experts"], cfg.get("num_experts_per_tok", 2)
    hs = x.view(-1, h)
    router_logits = hs @ w[p + "block_sparse_moe.gate.weight"].T
    routing_weights = F.softmax(router_logits, dim=1, dtype=torch.float)
    routing_weights, selected = torch.topk(routing_weights, top_k, dim=-1)
    routing_weights = routing_weights / routing_weights.sum(dim=-1, keepdim=True)
    final = torch.zeros_like(hs)
    expert_mask = F.one_hot(selected, num_classes=n_experts).permute(2, 1, 0)
    for e in range(n_experts):
        idx, top_x = torch.where(expert_mask[e])
        cur = hs[None, top_x].reshape(-1, h)
        q = f"{p}block_sparse_moe.experts.{e}."
        y = (F.silu(cur @ w[q + "w1.weight"].T) * (cur @ w[q + "w3.weight"].T)) @ w[q + "w2.weight"].T
        final.index_add_(0, top_x, y * routing_weights[top_x, idx, None])
    router_logits_out.append(router_logits)
    return final.view(b, t, h)


def load_balancing_loss(gate_logits, num_experts, top_k, attention_mask=None):
    """transformers' load_balancing_loss_func (Switch Transformer eq. 4-6), with its attention_mask branch."""
    concatenated = torch.cat(gate_logits, dim=0)
    routing_weights = F.softmax(concatenated, dim=-1)
    _, selected_experts = torch.topk(routing_weights, top_k, dim=-1)
    expert_mask = F.one_hot(selected_experts, num_experts)
    if attention_mask is None:
        tokens_per_expert = torch.mean(expert_mask.float(), dim=0)
        router_prob_per_expert = torch.mean(routing_weights, dim=0)
    else:
        batch_size, sequence_length = attention_mask.shape
        layers = concatenated.shape[0] // (batch_size * sequence_length)
        expert_attention_mask = (
            attention_mask[None, :, :, None, None]
            .expand((layers, batch_size, sequence_length, top_k, num_experts))
            .reshape(-1, top_k, num_experts)
        )
        tokens_per_expert = torch.sum(expert_mask.float() * expert_attention_mask, dim=0) / torch.sum(
            expert_attention_mask, dim=0
        )
        router_mask = (
            attention_mask[None, :, :, None]
            .expand((layers, batch_size, sequence_length, num_experts))
            .reshape(-1, num_experts)
        )
        router_prob_per_expert = torch.sum(routing_weights * router_mask, dim=0) / torch.sum(router_mask, dim=0)
    return torch.sum(tokens_per_expert * router_prob_per_expert.unsqueeze(0)) * num_experts


def llama_hidden(cfg, w, ids, router_logits_out=None):
    b, t = ids.shape
    h, nh = cfg["hidden_size"], cfg["num_attention_heads"]
    nkv = cfg.get("num_key_value_heads") or nh
    hd = cfg.get("head_dim") or h // nh
    eps = cfg.get("rms_norm_eps", 1e-6)
    cos, sin = rope_cos_sin(cfg, t, hd)
    x = w["model.embed_tokens.weight"][ids]
    if position_type(cfg) == "absolute":
        x = x + w["model.embed_positions.weight"][torch.arange(t)]
    for i in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{i}."
        a = rms_norm(x, w[p + "input_layernorm.weight"], eps)
        q = (a @ w[p + "self_attn.q_proj.weight"].T).view(b, t, nh, hd).transpose(1, 2)
        k = (a @ w[p + "self_attn.k_proj.weight"].T).view(b, t, nkv, hd).transpose(1, 2)
        v = (a @ w[p + "self_attn.v_proj.weight"].T).view(b, t, nkv, hd).transpose(1, 2)
        if position_type(cfg) == "rope":
            q = q * cos + rotate_half(q) * sin
            k = k * cos + rotate_half(k) * sin
        o = attend(cfg, q, k, v)
        x = x + o @ w[p + "self_attn.o_proj.weight"].T
        m = rms_norm(x, w[p + "post_attention_layernorm.weight"], eps)
        if cfg.get("num_local_experts"):
            x = x + mixtral_moe(cfg, w, p, m, router_logits_out)
            continue
        m = F.silu(m @ w[p + "mlp.gate_proj.weight"].T) * (m @ w[p + "mlp.up_proj.weight"].T)
        x = x + m @ w[p + "mlp.down_proj.weight"].T
    return rms_norm(x, w["model.norm.weight"], eps)


def dpo_loss(logits, batch):
    """TRL DPOTrainer, loss_type "sigmoid" with label_smoothing: rows are k chosen then k rejected."""
    targets = torch.tensor(batch["targets"], dtype=torch.long)
    mask = torch.tensor(batch["mask"], dtype=torch.float32)
    per_token = torch.gather(logits.log_softmax(-1), 2, targets.unsqueeze(-1)).squeeze(-1)
    logps = (per_token * mask).sum(-1)  # completion tokens only
    ref = torch.tensor(batch["reference"], dtype=torch.float32)
    chosen, rejected = logps.chunk(2)
    ref_chosen, ref_rejected = ref.chunk(2)
    beta, eps = batch["beta"], batch["label_smoothing"]
    z = beta * ((chosen - ref_chosen) - (rejected - ref_rejected))
    return (-F.logsigmoid(z) * (1 - eps) - F.logsigmoid(-z) * eps).mean()


def main(folder):
    torch.set_num_threads(1)
    with open(f"{folder}/config.json") as f:
        cfg = json.load(f)
    with open(f"{folder}/batch.json") as f:
        batch = json.load(f)
    w = read_safetensors(f"{folder}/model.safetensors")
    for t in w.values():
        t.requires_grad_(True)
    ids = torch.tensor(batch["ids"], dtype=torch.long)
    router_logits = []
    if cfg["model_type"] == "gpt2":
        hidden = gpt2_hidden(cfg, w, ids)
    else:
        hidden = llama_hidden(cfg, w, ids, router_logits)
    if batch["task"] == "dpo":
        embed = "transformer.wte.weight" if cfg["model_type"] == "gpt2" else "model.embed_tokens.weight"
        logits = hidden @ w.get("lm_head.weight", w[embed]).T
        loss = dpo_loss(logits, batch)
    elif batch["task"] == "classify":
        last = torch.tensor(batch["last_index"], dtype=torch.long)
        logits = hidden[torch.arange(ids.shape[0]), last] @ w["score.weight"].T
        loss = F.cross_entropy(logits, torch.tensor(batch["labels"], dtype=torch.long))
    else:
        embed = "transformer.wte.weight" if cfg["model_type"] == "gpt2" else "model.embed_tokens.weight"
        head = w.get("lm_head.weight", w[embed])
        logits = hidden @ head.T
        v = logits.shape[-1]
        loss = F.cross_entropy(logits[:, :-1].reshape(-1, v), ids[:, 1:].reshape(-1))
    out = {"logits": logits}
    if router_logits:
        mask = batch.get("attention_mask")
        aux = load_balancing_loss(
            router_logits,
            cfg["num_local_experts"],
            cfg.get("num_experts_per_tok", 2),
            None if mask is None else torch.tensor(mask, dtype=torch.float32),
        )
        # MixtralForCausalLM adds it when output_router_logits; absent means on in Tuneplane's configs.
        if cfg.get("output_router_logits", True):
            loss = loss + cfg.get("router_aux_loss_coef", 0.001) * aux
        out["aux"] = aux.reshape(1)
    loss.backward()
    out["loss"] = loss.reshape(1)
    for name, t in w.items():
        out[f"grad/{name}"] = t.grad if t.grad is not None else torch.zeros_like(t)
    write_safetensors(f"{folder}/out.safetensors", out)


if __name__ == "__main__":
    main(sys.argv[1])
