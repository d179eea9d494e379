#!/usr/bin/env bash
# ResNet parity with torchvision (developer-time; needs python3 with torch, torchvision, safetensors).
#   Benchmarks/resnet-parity.sh [resnet18|resnet50] [size] [batch]
# Writes a random torchvision model and reference outputs to a temp folder, then runs the Swift parity test
# against them: eval pooled features and logits within 1e-4 relative L2 per image; one training step's loss
# and per-parameter gradient norms within 1e-3.
set -euo pipefail
cd "$(dirname "$0")/.."
arch=${1:-resnet50}; size=${2:-224}; batch=${3:-4}
dir=$(mktemp -d /tmp/wbc-parity.XXXXXX)
python3 Scripts/resnet_parity.py "$dir" --arch "$arch" --size "$size" --batch "$batch"
WBC_PARITY_DIR="$dir" WBC_PARITY_ARCH="$arch" swift test -c release -Xswiftc -enable-testing --filter ResNetParity
rm -rf "$dir"
