#!/usr/bin/env bash
# The AVX-512 implementations oneDNN offers for each of ResNet-50's convolutions, timed in the order wbc
# considers them (Winograd's first on 3x3 stride-1 layers, then direct's; each in oneDNN's order): the
# measurements behind ConvolutionImplementation. The slower AVX2/SSE4.1, gemm and reference kernels are left out.
# - inference (default; batch 2, one inference chunk at 224²): the first line of each shape is what
#   `WBC_CONV_IMPL=onednn` runs; `WBC_CONV_IMPL=jit` runs the first `jit_1x1`, `jit` or `jit_wino_4x3` line.
# - training, backward-data, backward-weights (e.g. batch 16 at 96², the training benchmark): oneDNN 2.6.3
#   offers one AVX-512 kernel per pass and shape there (plus Winograd's), so wbc leaves the choice to oneDNN;
#   the figures show how close each runs to the FMA peak in isolation.
# Developer-time; needs a C compiler and libdnnl-dev.
#   Benchmarks/conv-implementations.sh [batch=2] [pass=inference] [image side=224]
set -euo pipefail
cd "$(dirname "$0")"
batch=${1:-2}; pass=${2:-inference}; image=${3:-224}
# The sides below are scaled from 224²; that gives ResNet's real map sides only for multiples of 32.
(( image % 32 == 0 )) || { echo "image side must be a multiple of 32 (got $image)" >&2; exit 2; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
cc -O2 -o "$out/conv-implementations" conv-implementations.c -ldnnl
# in out side-at-224² kernel stride: every distinct ResNet-50 convolution (the stem's input gradient is never
# computed, so backward-data skips it)
shapes=("3 64 224 7 2" "64 64 56 1 1" "64 64 56 3 1" "64 256 56 1 1" "256 64 56 1 1" "256 128 56 1 1" "128 128 56 3 2"
        "256 512 56 1 2" "128 512 28 1 1" "512 128 28 1 1" "128 128 28 3 1" "512 256 28 1 1" "256 256 28 3 2"
        "512 1024 28 1 2" "256 1024 14 1 1" "1024 256 14 1 1" "256 256 14 3 1" "1024 512 14 1 1" "512 512 14 3 2"
        "1024 2048 14 1 2" "512 2048 7 1 1" "2048 512 7 1 1" "512 512 7 3 1")
for shape in "${shapes[@]}"; do
  read -r ic oc side k s <<<"$shape"
  [[ $pass == backward-data && $ic == 3 ]] && continue
  "$out/conv-implementations" "$batch" "$ic" "$oc" $((side * image / 224)) "$k" "$s" "$pass" | grep -v ':avx2\|:sse41\|gemm\|ref'
done
