#!/usr/bin/env bash
# Renders a small sweep's charts and HTML report in headless Chromium and writes screenshots (in
# colour and in grayscale) for a person to look at: the check that the charts read well on a real
# page. Not part of `npm test`: it needs Debian's `chromium` (and ImageMagick's `convert` for the
# grayscale copy). Usage: scripts/screenshot-report.sh [OUT_DIR]   (default /tmp/tailsim-screens)
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
out="$(mkdir -p "${1:-/tmp/tailsim-screens}" && cd "${1:-/tmp/tailsim-screens}" && pwd)"
tailsim() { node "$here/bin/run.js" "$@"; }
browser="$(command -v chromium || command -v chromium-browser || true)"
if [ -z "$browser" ]; then
  echo "screenshot-report: chromium is not installed (Debian: apt-get install chromium)" >&2
  exit 69
fi
rm -rf "$out/results" "$out/charts"
tailsim compare synthetic:exp:10us synthetic:bimodal1:10us --policies zygos,ix:batch=1,shinjuku,linux-floating \
  --loads 0.3,0.5,0.7 --requests 20000 --replications 2 --slo p99.9:300us --out "$out/results/" --progress none > "$out/compare.txt"
tailsim report "$out/results/" --charts "$out/charts/" --png --pdf --html "$out/report.html" --title "tailsim: screenshot check" --force > /dev/null
"$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=1280,3200 \
  --screenshot="$out/report.png" "file://$out/report.html" 2> /dev/null
if command -v convert > /dev/null && convert -version 2> /dev/null | grep -q ImageMagick; then
  convert "$out/report.png" -colorspace Gray "$out/report-gray.png"
fi
ls -1 "$out"/report*.png "$out"/charts/*.png
