#!/usr/bin/env bash
# t-SNE of 5,000 × 2,048 synthetic features: Swift (release) vs scikit-learn, time, KL and trustworthiness.
# Usage: Benchmarks/tsne-vs-sklearn.sh [--n N] [--d D] [--threads T]   (needs numpy and scikit-learn)
set -euo pipefail
cd "$(dirname "$0")/.."
exec python3 Scripts/tsne_compare.py "$@"
