#!/usr/bin/env bash
# Renders the sample report (synthetic data; real BCCD crops as thumbnails when /work/shared/data is present)
# and screenshots it with headless Chromium. Skips with a message when Chromium is absent.
#
#   Scripts/screenshot-report.sh [OUTPUT_DIR]     (default: .build-report/sample-report)
#   WBC_REPORT_SAMPLE_KIND=edge Scripts/screenshot-report.sh   the edge-case sample (unlabelled, 10,000 points, …)
#   REPORT_HEIGHT=5200 Scripts/screenshot-report.sh            a taller window, to see the whole report
#
# Writes OUTPUT_DIR/report.html and OUTPUT_DIR/report.png (1400×3000 window, full report height if taller).
set -euo pipefail
cd "$(dirname "$0")/.."

out="${1:-.build-report/sample-report}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"
scratch="${SCRATCH_PATH:-.build-report}"
images="${WBC_REPORT_SAMPLE_IMAGES:-/work/shared/data/bccd-cropped}"

browser=""
for candidate in chromium chromium-browser google-chrome; do
    if command -v "$candidate" >/dev/null 2>&1; then browser="$(command -v "$candidate")"; break; fi
done

echo "Writing the sample report to $out/report.html"
if [ -d "$images" ]; then export WBC_REPORT_SAMPLE_IMAGES="$images"; else unset WBC_REPORT_SAMPLE_IMAGES; fi
WBC_REPORT_SAMPLE="$out/report.html" nice -n 15 swift test -j 1 --scratch-path "$scratch" \
    --filter 'ReportTests.ScreenshotTests/writeSampleReport' >"$out/swift-test.log" 2>&1 \
    || { tail -30 "$out/swift-test.log"; echo "error: writing the sample report failed (log: $out/swift-test.log)" >&2; exit 1; }
[ -s "$out/report.html" ] || { echo "error: $out/report.html was not written (log: $out/swift-test.log)" >&2; exit 1; }

if [ -z "$browser" ]; then
    echo "skipped: no chromium on the PATH (Debian: apt-get install -y chromium); the report is at $out/report.html"
    exit 0
fi

height="${REPORT_HEIGHT:-3000}"
echo "Screenshotting with $browser (1400×$height)"
# --no-sandbox: Chromium refuses to run as root otherwise (CI containers).
"$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars \
    --user-data-dir="$out/chromium-profile" \
    --screenshot="$out/report.png" --window-size="1400,$height" "file://$out/report.html" \
    >"$out/chromium.log" 2>&1 || { tail -20 "$out/chromium.log"; echo "error: chromium failed" >&2; exit 1; }
rm -rf "$out/chromium-profile"
size=$(stat -c %s "$out/report.png")
echo "Screenshot: $out/report.png ($size bytes)"
