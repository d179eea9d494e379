#!/usr/bin/env bash
# Side-by-side throughput of `wbc bench` and PyTorch on the same configurations, alternated in one run
# (A B A B …) so machine noise hits both; prints medians, the ratio wbc / PyTorch, and wbc's convolution
# rate as a share of this CPU's fp32 FMA peak (`wbc bench --mode peak`).
# Developer-time: needs python3 with torch and torchvision.
#   Benchmarks/compare-pytorch.sh [rounds=3]
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}
swift build -c release --product wbc >/dev/null
wbc=.build/release/wbc
threads=$(nproc)

# EfficientNet-Lite's PyTorch side is the efficientnet-lite-pytorch package (the reference for its weights).
ref=.build/efficientnet-ref
if [ ! -d "$ref/efficientnet_lite_pytorch" ]; then
  mkdir -p "$ref" && pip download --quiet --no-deps -d "$ref" efficientnet-lite-pytorch==0.1.0 && (cd "$ref" && unzip -o -q ./*.whl)
fi
export WBC_EFFICIENTNET_REF=$ref

configs=(
  "--model resnet50 --mode forward --batch 16 --size 224"
  "--model efficientnet-lite0 --mode forward --batch 16 --size 224"
  "--model resnet50 --mode train --batch 16 --size 96"
  "--model resnet18 --width 32 --mode contrastive --batch 256 --size 64"
  "--model resnet18 --width 64 --mode contrastive --batch 256 --size 64"
)
# The peak is a best case (wbc reports the best repetition); 15 half-second repetitions, because 5 once all
# landed in a noisy moment and halved it.
peak=$($wbc bench --mode peak --threads "$threads" --repeat 15 --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["gflops_per_second"])')
echo "CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); fp32 FMA peak on $threads threads: $peak GFLOP/s"
printf '%-52s %10s %10s %10s %8s %8s\n' "configuration ($threads threads)" "wbc" "torch" "torch CL" "ratio*" "% peak"
for c in "${configs[@]}"; do
  w=(); g=(); p=(); q=()
  for ((r = 0; r < rounds; r++)); do
    read -r ips gf < <($wbc bench $c --threads "$threads" --repeat 5 --json | python3 -c 'import json,sys; j=json.load(sys.stdin); print(j["images_per_second"], j["gflops_per_second"])')
    w+=("$ips"); g+=("$gf")
    p+=("$(python3 Benchmarks/pytorch_bench.py $c --threads "$threads" --repeat 5 | python3 -c 'import json,sys; print(json.load(sys.stdin)["images_per_second"])')")
    q+=("$(python3 Benchmarks/pytorch_bench.py $c --threads "$threads" --repeat 5 --channels-last | python3 -c 'import json,sys; print(json.load(sys.stdin)["images_per_second"])')")
  done
  python3 - "$c" "$peak" "${w[*]}" "${g[*]}" "${p[*]}" "${q[*]}" <<'PY'
import sys, statistics as st
c, peak = sys.argv[1], float(sys.argv[2])
w, g, p, q = [list(map(float, s.split())) for s in sys.argv[3:]]
mw, mp, mq = st.median(w), st.median(p), st.median(q)
print(f"{c:<52} {mw:10.2f} {mp:10.2f} {mq:10.2f} {mw / max(mp, mq):7.2f}x {100 * st.median(g) / peak:7.0f}%")
PY
done
echo "images/s, medians of $rounds alternated rounds; ratio* = wbc / the faster PyTorch layout;"
echo "% peak = wbc's convolution GFLOP/s (train: 3x the forward's less the stem's input gradient; contrastive: that for both views) / the FMA peak; the FLOPs are direct"
echo "convolution's, so where Winograd runs (3x3 stride-1 layers) this is an effective rate and may pass 100%"
