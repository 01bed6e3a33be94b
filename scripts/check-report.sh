#!/usr/bin/env bash
# Renders a run's report.html in headless Chromium and fails on a broken page or chart: an XML
# parse error, an SVG attribute Chromium rejects (NaN or malformed coordinates), fewer charts than
# expected, or an empty screenshot. Writes the screenshot next to the report (report.png).
#
#   scripts/check-report.sh RUN_DIR [EXPECTED_CHARTS]
set -euo pipefail
run=${1:?run directory}; expected=${2:-1}
page="$(cd "$run" && pwd)/report.html"
chromium=$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)
[ -n "$chromium" ] || { echo "check-report: no Chromium (apt-get install chromium)" >&2; exit 2; }
flags=(--headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=800,4000)
log=$(mktemp); dom=$(mktemp)
trap 'rm -f "$log" "$dom"' EXIT
"$chromium" "${flags[@]}" --enable-logging=stderr --v=0 --dump-dom "file://$page" >"$dom" 2>"$log" || { cat "$log" >&2; exit 1; }
if grep -q "parsererror" "$dom"; then echo "check-report: $page does not parse:" >&2; grep -o "<parsererror.*</parsererror>" "$dom" | head -3 >&2; exit 1; fi
if grep -E "Error: <(svg|rect|line|polyline|circle|text)" "$log" >&2; then echo "check-report: $page has malformed SVG" >&2; exit 1; fi
charts=$(grep -o "<svg " "$dom" | wc -l)
[ "$charts" -ge "$expected" ] || { echo "check-report: $charts charts rendered, expected $expected" >&2; exit 1; }
"$chromium" "${flags[@]}" --screenshot="$(dirname "$page")/report.png" "file://$page" >/dev/null 2>&1
size=$(stat -c %s "$(dirname "$page")/report.png")
[ "$size" -gt 20000 ] || { echo "check-report: the screenshot is nearly empty ($size bytes)" >&2; exit 1; }
echo "check-report: $page: $charts charts, no parse or SVG errors, screenshot $(dirname "$page")/report.png ($size bytes)"
