#!/bin/bash
# Coverage-guided fuzzing of wbc's readers with libFuzzer (developer tool; clang's runtime ships with Swift).
#
#   Scripts/fuzz.sh TARGET SECONDS     fuzz one reader (jpeg png bmp safetensors pth labels folder)
#   Scripts/fuzz.sh --all SECONDS      give every reader an equal share of SECONDS
#
# Builds .build/fuzz (release, -sanitize=fuzzer,address, linked by lld: gold fails on the instrumented objects).
# Each run starts from seeds generated afresh into .build/fuzz-seeds/TARGET (`wbc-fuzz --make-corpus`; the
# .pth seeds are the PyTorch-written fixtures of Tests/ModelsTests/Fixtures) plus what earlier runs found
# (.build/fuzz-work/TARGET), with the target's dictionary, 1 s per input, 2 GB of memory and 2 GB per
# allocation. A crash, hang or over-allocation leaves its input in .build/fuzz-work/findings/TARGET: fix it,
# and add a unit test beside the reader that builds that input (the repository keeps no fuzz inputs).
set -euo pipefail
cd "$(dirname "$0")/.."
CORPUS=.build/fuzz-seeds
TARGETS="jpeg png bmp safetensors pth labels folder"

usage() { sed -n '4,5p' "$0" | sed 's/^# //'; exit 2; }

[ $# -eq 2 ] || usage
SECONDS_GIVEN=$2
case "$SECONDS_GIVEN" in '' | *[!0-9]*) echo "SECONDS must be a whole number (got '$SECONDS_GIVEN')"; exit 2 ;; esac
if [ "$1" = "--all" ]; then
    RUN_TARGETS=$TARGETS
    SHARE=$((SECONDS_GIVEN / 7))
else
    case " $TARGETS " in *" $1 "*) ;; *) echo "unknown target '$1'; choose one of: $TARGETS"; exit 2 ;; esac
    RUN_TARGETS=$1
    SHARE=$SECONDS_GIVEN
fi

swift build -c release --product wbc-fuzz --build-path .build/fuzz \
    -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING \
    -Xswiftc -Xclang-linker -Xswiftc -fuse-ld=lld -Xlinker --export-dynamic-symbol=LLVMFuzzerRunDriver 2>&1 | grep -E "error|warning: unre|Compiling|Build" || true
BIN=.build/fuzz/release/wbc-fuzz
[ -x "$BIN" ] || { echo "the fuzzing build failed"; exit 1; }

swift build -c release --product wbc-fuzz 2>&1 | grep -E "error" || true
rm -rf "$CORPUS"
.build/release/wbc-fuzz --make-corpus "$CORPUS" > /dev/null
cp Tests/ModelsTests/Fixtures/tiny_f32.pth Tests/ModelsTests/Fixtures/tiny_bf16.pth Tests/ModelsTests/Fixtures/shared_views.pth \
    Tests/ModelsTests/Fixtures/tiny_checkpoint.pth Tests/ModelsTests/Fixtures/legacy.pth "$CORPUS/pth/"

for t in $RUN_TARGETS; do
    WORK=.build/fuzz-work/$t
    FINDINGS=.build/fuzz-work/findings/$t
    mkdir -p "$WORK" "$FINDINGS"
    echo "== $t: $SHARE s"
    status=0
    WBC_FUZZ_TARGET=$t "$BIN" "$WORK" "$CORPUS/$t" -dict="$CORPUS/$t.dict" -max_total_time="$SHARE" \
        -timeout=1 -rss_limit_mb=2048 -malloc_limit_mb=2048 -max_len=65536 -artifact_prefix="$FINDINGS/" \
        -print_final_stats=1 > ".build/fuzz-work/$t.log" 2>&1 || status=$?
    grep -E "DONE|stat::number_of_executed_units|stat::peak_rss|ERROR|SUMMARY|Test unit written" ".build/fuzz-work/$t.log" | tail -6
    if [ $status -ne 0 ]; then
        echo "!! $t: a finding (exit $status); its input is in $FINDINGS, the log in .build/fuzz-work/$t.log"
        FOUND=1
    fi
done
[ -z "${FOUND:-}" ] || exit 1
