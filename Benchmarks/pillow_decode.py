#!/usr/bin/env python3
"""Pillow reference for `wbc decode-bench`: read + decode + resize (BILINEAR) to SxS, images/s.

Usage: python3 Benchmarks/pillow_decode.py --list FILES.txt --size 224 [--passes 3] [--workers N] [--json]

One thread: a plain loop. All cores: a multiprocessing pool with --workers processes (default: all
cores), since Pillow decodes one image per thread of Python at a time. Developer-time tool only.
"""
import argparse
import json
import os
import statistics
import time
from multiprocessing import Pool

from PIL import Image

SIZE = 224


def work(path):
    with Image.open(path) as im:
        im = im.convert("RGB")
        im.resize((SIZE, SIZE), Image.BILINEAR)
    return 1


def init(size):
    global SIZE
    SIZE = size


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--list", required=True)
    ap.add_argument("--size", type=int, default=224)
    ap.add_argument("--passes", type=int, default=3)
    ap.add_argument("--workers", type=int, default=os.cpu_count())
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    init(args.size)
    files = [l.strip() for l in open(args.list) if l.strip()]
    for f in files:  # warm-up (page cache)
        work(f)
    single, parallel = [], []
    with Pool(args.workers, initializer=init, initargs=(args.size,)) as pool:
        pool.map(work, files[: args.workers * 4])
        for _ in range(args.passes):
            t = time.perf_counter()
            for f in files:
                work(f)
            single.append(len(files) / (time.perf_counter() - t))
            t = time.perf_counter()
            pool.map(work, files, chunksize=16)
            parallel.append(len(files) / (time.perf_counter() - t))
    result = {"files": len(files), "side": args.size, "singleThreadImagesPerSecond": statistics.median(single),
              "allCoresImagesPerSecond": statistics.median(parallel), "cores": args.workers}
    if args.json:
        print(json.dumps(result, sort_keys=True))
    else:
        print("%d files, %dx%d, Pillow: %.0f images/s on 1 thread, %.0f images/s on %d processes"
              % (len(files), args.size, args.size, result["singleThreadImagesPerSecond"],
                 result["allCoresImagesPerSecond"], args.workers))


if __name__ == "__main__":
    main()
