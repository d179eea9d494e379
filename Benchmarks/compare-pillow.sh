#!/usr/bin/env bash
# Decode + resize speed, wbc (TurboJPEG + Swift antialiased bilinear) against Pillow (decode + BILINEAR),
# on the same files, alternating A B A B in one run; prints medians and the ratio.
#
#   Benchmarks/compare-pillow.sh [DATA_DIR] [SIZE] [FILES] [ROUNDS]
#
# Defaults: the Kaggle TRAIN folder, 224, 400 files, 5 rounds. Builds wbc in release first.
set -euo pipefail
cd "$(dirname "$0")/.."
DATA="${1:-/work/shared/data/blood-cells/dataset2-master/images/TRAIN}"
SIZE="${2:-224}"
FILES="${3:-400}"
ROUNDS="${4:-5}"
SCRATCH="${SCRATCH:-.build}"

nice -n 15 swift build -c release -j 1 --scratch-path "$SCRATCH" --product wbc >/dev/null
WBC="$SCRATCH/release/wbc"
LIST="$(mktemp)"
trap 'rm -f "$LIST"' EXIT

# Writes the file list once (and warms the page cache).
"$WBC" decode-bench --data "$DATA" --size "$SIZE" --limit "$FILES" --passes 1 --list-out "$LIST" --json >/dev/null

swift_1=(); swift_n=(); pil_1=(); pil_n=()
for round in $(seq 1 "$ROUNDS"); do
  s=$("$WBC" decode-bench --data "$DATA" --size "$SIZE" --limit "$FILES" --passes 1 --json)
  p=$(python3 Benchmarks/pillow_decode.py --list "$LIST" --size "$SIZE" --passes 1 --json)
  swift_1+=("$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["singleThreadImagesPerSecond"])' "$s")")
  swift_n+=("$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["allCoresImagesPerSecond"])' "$s")")
  pil_1+=("$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["singleThreadImagesPerSecond"])' "$p")")
  pil_n+=("$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["allCoresImagesPerSecond"])' "$p")")
  echo "round $round: wbc ${swift_1[-1]%.*}/${swift_n[-1]%.*}  pillow ${pil_1[-1]%.*}/${pil_n[-1]%.*}  (images/s, 1 thread / all cores)"
done

python3 - "$SIZE" "$FILES" "${swift_1[*]}" "${swift_n[*]}" "${pil_1[*]}" "${pil_n[*]}" <<'PY'
import statistics, sys
size, files = sys.argv[1], sys.argv[2]
s1, sn, p1, pn = ([float(x) for x in a.split()] for a in sys.argv[3:7])
m = statistics.median
print(f"{files} files -> {size}x{size}, medians over {len(s1)} alternating rounds:")
print(f"  1 thread : wbc {m(s1):7.0f} img/s   Pillow {m(p1):7.0f} img/s   ratio {m(s1) / m(p1):.2f}x")
print(f"  all cores: wbc {m(sn):7.0f} img/s   Pillow {m(pn):7.0f} img/s   ratio {m(sn) / m(pn):.2f}x")
PY
