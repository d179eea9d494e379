#!/usr/bin/env bash
# Direct vs Winograd for the 3x3 stride-1 convolutions of ResNet (batch 16), per pass: the measurements
# behind ConvolutionOps.winogradMinimumSide. Developer-time; needs a C compiler and libdnnl-dev.
#   Benchmarks/conv-algorithms.sh [batch=16]
set -euo pipefail
cd "$(dirname "$0")"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
cc -O2 -o "$out/conv-algorithms" conv-algorithms.c -ldnnl
for shape in "64 56" "128 28" "256 14" "512 7" "64 16" "128 8" "256 6" "256 4" "512 3"; do
  "$out/conv-algorithms" "${1:-16}" $shape
done
