#!/usr/bin/env bash
# Builds and installs llama-cpp-python (the local CPU model server) for a fixed, portable CPU
# baseline: never for the build machine's own CPU (-march=native). A native build on a CPU that
# advertises AMX inside a VM that does not enable it dies on its first completion (ldtilecfg).
#
#   scripts/install_llama_cpp.sh PYTHON [VERSION]
#   scripts/install_llama_cpp.sh --native DIR PYTHON [VERSION]   # benchmarks only (see below)
#
# x86-64: the x86-64-v3 baseline (AVX2, FMA, F16C, BMI2), with AVX-512, AVX-VNNI and AMX off;
# a CPU without AVX2 gets the SSE-only baseline. aarch64: armv8-a without native tuning.
# The wheel is built once per (version, flags) into .whl/ and installed from there, so pip's
# cache never hands back a build made on another CPU or with other flags.
#
# --native DIR builds for this machine's CPU and installs it into DIR (pip --target), never into
# the venv: benchmarks/bench_decode.py measures the portable build against it.
set -euo pipefail
NATIVE_DIR=""
if [[ "${1:-}" == "--native" ]]; then
    NATIVE_DIR=${2:?--native needs a folder}
    shift 2
fi
PY=${1:?usage: install_llama_cpp.sh [--native DIR] PYTHON [VERSION]}
VERSION=${2:-0.3.36}
cd "$(dirname "$0")/.."

common="-DGGML_NATIVE=OFF -DLLAVA_BUILD=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF"
common="$common -DLLAMA_BUILD_TOOLS=OFF -DLLAMA_BUILD_SERVER=OFF"
off="-DGGML_AVX512=OFF -DGGML_AVX512_VBMI=OFF -DGGML_AVX512_VNNI=OFF -DGGML_AVX512_BF16=OFF"
off="$off -DGGML_AVX_VNNI=OFF -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF"
case "$(uname -m)" in
    x86_64 | amd64)
        flags=$(grep -m1 '^flags' /proc/cpuinfo 2>/dev/null || true)
        if [[ " $flags " == *" avx2 "* && " $flags " == *" fma "* && " $flags " == *" f16c "* \
              && " $flags " == *" bmi2 "* ]]; then
            baseline="x86-64-v3"
            isa="-DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON"
        else
            baseline="x86-64-v2"
            isa="-DGGML_AVX=OFF -DGGML_AVX2=OFF -DGGML_FMA=OFF -DGGML_F16C=OFF -DGGML_BMI2=OFF"
        fi
        args="$common $isa $off"
        ;;
    *)
        baseline="$(uname -m)-generic"
        args="$common"
        ;;
esac

if [[ -n "$NATIVE_DIR" ]]; then
    baseline="native-$(uname -m)"
    args="$common -DGGML_NATIVE=ON"
    # A native build belongs to this CPU: its flags are part of the cache key.
    cpu=$(grep -m1 '^flags' /proc/cpuinfo 2>/dev/null || uname -m)
    args_key="$args $cpu"
fi

key=$(printf '%s %s' "$VERSION" "${args_key:-$args}" | sha256sum | cut -c1-12)
dir=".whl/llama-cpp-python-$VERSION-$baseline-$key"
if ! ls "$dir"/llama_cpp_python-*.whl >/dev/null 2>&1; then
    echo "building llama-cpp-python $VERSION for $baseline (portable; a few minutes on 2 cores)"
    mkdir -p "$dir.tmp"
    CMAKE_ARGS="$args" CMAKE_BUILD_PARALLEL_LEVEL="$(nproc)" "$PY" -m pip wheel -q --no-deps \
        --no-cache-dir --no-binary llama-cpp-python -w "$dir.tmp" "llama-cpp-python==$VERSION"
    rm -rf "$dir" && mv "$dir.tmp" "$dir"
fi
if [[ -n "$NATIVE_DIR" ]]; then
    rm -rf "$NATIVE_DIR"
    "$PY" -m pip install -q --no-deps --target "$NATIVE_DIR" "$dir"/llama_cpp_python-*.whl
    exit 0
fi
"$PY" -m pip install -q --force-reinstall --no-deps "$dir"/llama_cpp_python-*.whl
echo "$baseline $args" >"$("$PY" -c 'import pathlib, sysconfig; print(pathlib.Path(sysconfig.get_paths()["purelib"]) / "llama_cpp" / "lib")')/llmops-build-flags.txt"
