#!/usr/bin/env python3
"""Developer-time: sums oneDNN's per-primitive execution times from a DNNL_VERBOSE=1 log, by primitive kind,
implementation, pass and problem shape (the source of the README's per-primitive figures).

    DNNL_VERBOSE=1 wbc bench --model resnet50 --mode train --batch 16 --size 96 --repeat 1 --warmup 1 > LOG 2>&1
    Benchmarks/verbose-profile.py LOG [--last FRACTION] [--by-shape] [--top N]

--last 0.5 keeps the last half of the executions (to skip warm-up and first-step layout set-up).
"""
import argparse
import collections

ap = argparse.ArgumentParser()
ap.add_argument("log")
ap.add_argument("--last", type=float, default=1.0)
ap.add_argument("--by-shape", action="store_true")
ap.add_argument("--top", type=int, default=25)
a = ap.parse_args()

lines = [l.rstrip("\n").split(",") for l in open(a.log, errors="replace") if l.startswith("onednn_verbose,exec")]
lines = lines[len(lines) - int(len(lines) * a.last):]
total = collections.defaultdict(float)
count = collections.Counter()
for f in lines:
    kind, impl, prop, shape, ms = f[3], f[4], f[5], f[-2], float(f[-1])
    key = (kind, impl, prop) + ((shape,) if a.by_shape else ())
    total[key] += ms
    count[key] += 1
grand = sum(total.values())
for key, ms in sorted(total.items(), key=lambda kv: -kv[1])[: a.top]:
    print(f"{ms:10.1f} ms {100 * ms / grand:5.1f} % {count[key]:6d} x  {' '.join(key)}")
print(f"{grand:10.1f} ms in {len(lines)} executions")
