#!/usr/bin/env bash
# One-step set-up for wbc-cluster on Debian 12 with the Swift toolchain on the PATH.
#   Scripts/setup.sh run    install what is missing, build, run the main job on synthetic data
#   Scripts/setup.sh test   install what is missing, build, run the test suite
set -euo pipefail
cd "$(dirname "$0")/.."

needed=(libdnnl-dev libturbojpeg0-dev libpng-dev pkg-config)
# The report's screenshot test renders RUN/report.html in headless Chromium, and the serve page test drives it
# over WebDriver (chromium-driver); both skip where Chromium is absent.
[ "${1:-run}" = "test" ] && needed+=(chromium chromium-driver)
missing=()
for p in "${needed[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  sudo_cmd=""; [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${missing[@]}"
fi

case "${1:-run}" in
  run)
    shift || true
    swift build -c release --product wbc
    .build/release/wbc run "$@"
    ;;
  test)
    shift || true
    # Release build: the numeric Swift loops (optimizers, k-means, t-SNE) are 10-50x slower in debug.
    swift build -c release --build-tests -Xswiftc -enable-testing
    swift test -c release -Xswiftc -enable-testing --skip-build "$@"
    ;;
  *)
    echo "usage: Scripts/setup.sh run|test [extra arguments]" >&2; exit 2 ;;
esac
