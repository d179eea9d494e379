#!/usr/bin/env bash
# Side-by-side throughput of `wbc bench` and PyTorch on the same configurations, alternated in one run
# (A B A B …) so machine noise hits both; prints medians and the ratio wbc / PyTorch.
# Developer-time: needs python3 with torch and torchvision.
#   Benchmarks/compare-pytorch.sh [rounds=3]
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}
swift build -c release --product wbc >/dev/null
wbc=.build/release/wbc
threads=$(nproc)

configs=(
  "--model resnet50 --mode forward --batch 16 --size 224"
  "--model resnet50 --mode train --batch 16 --size 96"
)
printf '%-52s %10s %10s %10s %8s\n' "configuration ($threads threads)" "wbc" "torch" "torch CL" "ratio*"
for c in "${configs[@]}"; do
  w=(); p=(); q=()
  for ((r = 0; r < rounds; r++)); do
    w+=("$($wbc bench $c --threads "$threads" --repeat 5 --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["images_per_second"])')")
    p+=("$(python3 Benchmarks/pytorch_bench.py $c --threads "$threads" --repeat 5 | python3 -c 'import json,sys; print(json.load(sys.stdin)["images_per_second"])')")
    q+=("$(python3 Benchmarks/pytorch_bench.py $c --threads "$threads" --repeat 5 --channels-last | python3 -c 'import json,sys; print(json.load(sys.stdin)["images_per_second"])')")
  done
  python3 - "$c" "${w[*]}" "${p[*]}" "${q[*]}" <<'PY'
import sys, statistics as st
c, w, p, q = sys.argv[1], *[list(map(float, s.split())) for s in sys.argv[2:]]
mw, mp, mq = st.median(w), st.median(p), st.median(q)
print(f"{c:<52} {mw:10.2f} {mp:10.2f} {mq:10.2f} {mw / max(mp, mq):7.2f}x")
PY
done
echo "images/s, medians of $rounds alternated rounds; ratio* = wbc / the faster PyTorch layout"
