#!/usr/bin/env bash
# The AVX-512 implementations oneDNN offers for ResNet-50's inference convolutions at 224² (batch 2: one
# inference chunk), timed in the order wbc considers them (Winograd's first on 3x3 stride-1 layers, then
# direct's; each in oneDNN's order): the measurements behind ConvolutionImplementation. The first line of each
# shape is what `WBC_CONV_IMPL=onednn` runs (where it is AVX-512; the slower AVX2/SSE4.1, gemm and reference
# kernels are left out); `WBC_CONV_IMPL=jit` runs the first `jit_1x1`, `jit` or `jit_wino_4x3` line.
# Developer-time; needs a C compiler and libdnnl-dev.
#   Benchmarks/conv-implementations.sh [batch=2]
set -euo pipefail
cd "$(dirname "$0")"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
cc -O2 -o "$out/conv-implementations" conv-implementations.c -ldnnl
# in out side kernel stride (every distinct ResNet-50 convolution but the 7x7 stem)
for shape in "64 64 56 1 1" "64 64 56 3 1" "64 256 56 1 1" "256 64 56 1 1" "256 128 56 1 1" "128 128 56 3 2" \
             "256 512 56 1 2" "128 512 28 1 1" "512 128 28 1 1" "128 128 28 3 1" "512 256 28 1 1" "256 256 28 3 2" \
             "512 1024 28 1 2" "256 1024 14 1 1" "1024 256 14 1 1" "256 256 14 3 1" "1024 512 14 1 1" "512 512 14 3 2" \
             "1024 2048 14 1 2" "512 2048 7 1 1" "2048 512 7 1 1" "512 512 7 3 1"; do
  "$out/conv-implementations" "${1:-2}" $shape | grep -v ':avx2\|:sse41\|gemm\|ref'
done
