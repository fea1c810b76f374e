"""Checks gen's transformers folders with transformers and tokenizers (see transformers_python.sh).

For each model: AutoModelForCausalLM.from_pretrained(DIR) loads offline as GPT2LMHeadModel with
no missing, unexpected or mismatched key and returns gen's logits for the probe's tokens (max
abs diff <= 1e-4); AutoTokenizer.from_pretrained(DIR) encodes the prompt, generate(do_sample=False)
continues it and the decoded text equals `gen sample --temperature 0`; the char tokenizer's ids
are gen's vocabulary in order. Then broken folders must fail: a renamed weight, a Conv1D weight
left in Linear's layout, two swapped tokenizer ids.
"""
import json
import os
import shutil
import sys
import tempfile

import torch
from safetensors import safe_open
from safetensors.torch import load_file, save_file
from transformers import AutoModelForCausalLM, AutoTokenizer

torch.set_num_threads(2)
os.environ["HF_HUB_OFFLINE"] = "1"


def load(folder, problems):
    try:
        model, info = AutoModelForCausalLM.from_pretrained(folder, output_loading_info=True, local_files_only=True)
    except Exception as e:  # a shape mismatch raises
        problems.append(f"{folder}: from_pretrained fails: {str(e)[:200]}")
        return None, None
    for what in ("missing_keys", "unexpected_keys", "mismatched_keys", "error_msgs"):
        if info.get(what):
            problems.append(f"{folder}: from_pretrained reports {what}: {list(info[what])[:3]}")
    if type(model).__name__ != "GPT2LMHeadModel":
        problems.append(f"{folder}: loads as {type(model).__name__}, not GPT2LMHeadModel")
    tokenizer = AutoTokenizer.from_pretrained(folder, local_files_only=True)
    return model.eval(), tokenizer


def check(root, name, problems, folder=None):
    folder = folder or os.path.join(root, name)
    model, tokenizer = load(folder, problems)
    if model is None:
        return
    probe = torch.load(os.path.join(root, name + ".probe.pt"), weights_only=True)["model"]
    with torch.no_grad():
        logits = model(probe["input"]).logits
    diff = (logits - probe["logits"]).abs().max().item()
    print(f"{name}: GPT2LMHeadModel logits vs gen's: max abs diff {diff:.2e}")
    if not diff <= 1e-4:
        problems.append(f"{name}: logits differ from gen's by {diff:.3e} (> 1e-4)")

    prompt = open(os.path.join(root, name + ".prompt.txt"), encoding="utf-8").read()
    expected = open(os.path.join(root, name + ".greedy.txt"), encoding="utf-8").read()
    ids = tokenizer(prompt, return_tensors="pt").input_ids
    # gen sample --tokens N (transformers_python.sh); as many new ids, not the whole text's ids
    # re-encoded: a BPE may encode the continued text differently.
    new_tokens = int(open(os.path.join(root, name + ".new_tokens.txt")).read())
    with torch.no_grad():
        out = model.generate(ids, attention_mask=torch.ones_like(ids), do_sample=False, max_new_tokens=new_tokens,
                             pad_token_id=0)
    text = tokenizer.decode(out[0])
    print(f"{name}: greedy {new_tokens} tokens: transformers {text!r}, gen {expected!r}")
    if text != expected:
        problems.append(f"{name}: transformers' greedy text {text!r} is not gen's {expected!r}")

    with safe_open(os.path.join(folder, "model.safetensors"), "pt") as f:
        meta = f.metadata()
    if meta.get("gen.tokenizer") == "char":
        vocab = meta["gen.vocabulary"]
        tokens = tokenizer.convert_ids_to_tokens(list(range(len(vocab))))
        if tokens != list(vocab) or tokenizer.encode(vocab) != list(range(len(vocab))):
            problems.append(f"{name}: tokenizer ids are not gen's vocabulary in order")


def main():
    root, names = sys.argv[1], sys.argv[2:]
    problems = []
    for name in names:
        check(root, name, problems)
    with tempfile.TemporaryDirectory() as tmp:
        cases = []
        broken = os.path.join(tmp, "renamed")  # a renamed weight: missing and unexpected keys
        shutil.copytree(os.path.join(root, "char"), broken)
        path = os.path.join(broken, "model.safetensors")
        tensors = load_file(path)
        tensors["transformer.h.0.mlp.c_fc.weightx"] = tensors.pop("transformer.h.0.mlp.c_fc.weight")
        save_file(tensors, path, metadata={"format": "pt"})
        cases.append(("a renamed weight", broken))
        broken = os.path.join(tmp, "linear")  # c_fc.weight as a Linear's (out, in): not Conv1D's layout
        shutil.copytree(os.path.join(root, "char"), broken)
        path = os.path.join(broken, "model.safetensors")
        tensors = load_file(path)
        key = "transformer.h.0.mlp.c_fc.weight"
        tensors[key] = tensors[key].t().contiguous()
        save_file(tensors, path, metadata={"format": "pt"})
        cases.append(("a weight in Linear's layout", broken))
        broken = os.path.join(tmp, "swapped")  # two tokenizer ids swapped
        shutil.copytree(os.path.join(root, "char"), broken)
        path = os.path.join(broken, "tokenizer.json")
        spec = json.load(open(path, encoding="utf-8"))
        vocab = spec["model"]["vocab"]
        vocab["i"], vocab["t"] = vocab["t"], vocab["i"]
        json.dump(spec, open(path, "w", encoding="utf-8"))
        cases.append(("two swapped tokenizer ids", broken))
        for what, folder in cases:
            found = []
            check(root, "char", found, folder)
            if not found:
                problems.append(f"a broken folder ({what}) passed the checks")
            else:
                print(f"broken folder ({what}) fails as it should: {found[0][:160]}")
    for p in problems:
        print("FAIL:", p)
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
