"""Greedy decoding reference in plain PyTorch: at every step the whole sequence goes through
reference.py's forward (no cache), so it checks our KV-cache decoder against an independent
computation. Reads <folder>/config.json, model.safetensors and prompt.json ({"prompt": [...],
"steps": N}); writes <folder>/generated.json (the tokens) and generated.safetensors ("logits",
[steps, vocab]: each step's logits at the last position, before choosing its token).

Usage: python3 generate_reference.py <folder>
"""
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from reference import gpt2_hidden, llama_hidden, read_safetensors, write_safetensors  # noqa: E402


def main(folder):
    torch.set_num_threads(1)
    with open(f"{folder}/config.json") as f:
        cfg = json.load(f)
    with open(f"{folder}/prompt.json") as f:
        spec = json.load(f)
    w = read_safetensors(f"{folder}/model.safetensors")
    embed = "transformer.wte.weight" if cfg["model_type"] == "gpt2" else "model.embed_tokens.weight"
    head = w.get("lm_head.weight", w[embed])
    forward = gpt2_hidden if cfg["model_type"] == "gpt2" else llama_hidden
    ids = list(spec["prompt"])
    steps, tokens = [], []
    with torch.no_grad():
        for _ in range(spec["steps"]):
            hidden = forward(cfg, w, torch.tensor([ids], dtype=torch.long))
            logits = hidden[0, -1] @ head.T
            steps.append(logits)
            token = int(torch.argmax(logits))  # the first of equal maxima, as ours
            tokens.append(token)
            ids.append(token)
    write_safetensors(f"{folder}/generated.safetensors", {"logits": torch.stack(steps)})
    with open(f"{folder}/generated.json", "w") as f:
        json.dump({"tokens": tokens}, f)


if __name__ == "__main__":
    main(sys.argv[1])
