#!/usr/bin/env bash
# Runs the real app in a virtual X display (Xvfb, Mesa software rendering) and writes
# screenshots for the README into docs/screenshots/. Usage: scripts/screenshots.sh [outdir]
# Needs: xvfb imagemagick xdotool (installed here if missing and apt is available).
set -euo pipefail
cd "$(dirname "$0")/.."
OUT="${1:-docs/screenshots}"
mkdir -p "$OUT"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/convex-nn-explorer/target}"
need=()
for t in Xvfb:xvfb import:imagemagick xdotool:xdotool; do
  command -v "${t%%:*}" >/dev/null || need+=("${t##*:}")
done
if [ ${#need[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO apt-get update -qq && $SUDO apt-get install -y -qq "${need[@]}"
fi
cargo build --quiet
BIN="$CARGO_TARGET_DIR/debug/convex-nn-explorer"
DISP=":$((90 + RANDOM % 9))"
TMP="$(mktemp -d)"; chmod 700 "$TMP"
Xvfb "$DISP" -screen 0 1400x800x24 -nolisten tcp >/dev/null 2>&1 &
XPID=$!
APID=""
cleanup() { [ -n "$APID" ] && kill "$APID" 2>/dev/null; kill "$XPID" 2>/dev/null; rm -rf "$TMP"; }
trap cleanup EXIT
sleep 1
export DISPLAY="$DISP" XDG_RUNTIME_DIR="$TMP" XDG_STATE_HOME="$TMP/state"

shoot() { # shoot NAME SESSION_OR_CSV SECONDS [xdotool key... | click:X,Y | hover:X,Y | size:W,H ...]
  local name="$1" file="$2" wait="$3"; shift 3
  "$BIN" --open "$file" >"$TMP/app.log" 2>&1 &
  APID=$!
  local wid="" tries=0
  # Bounded wait for the window (xdotool's --sync can wait forever on a missed map event).
  while [ -z "$wid" ] && [ "$tries" -lt 60 ]; do
    sleep 0.5; tries=$((tries + 1))
    wid="$(xdotool search --name '^convex-nn-explorer$' 2>/dev/null | head -1 || true)"
  done
  [ -n "$wid" ] || { echo "no window for $file (see $TMP/app.log)" >&2; cat "$TMP/app.log" >&2; return 1; }
  sleep "$wait"
  for k in "$@"; do
    case "$k" in
      size:*) local wh="${k#size:}"
              xdotool windowsize "$wid" "${wh%,*}" "${wh#*,}"
              # The pointer off the plots (where the window appeared it raised a tooltip).
              xdotool mousemove --window "$wid" 150 5 ;;
      hover:*) local xy="${k#hover:}"
               xdotool mousemove --window "$wid" "${xy%,*}" "${xy#*,}" ;;
      click:*) local xy="${k#click:}"
               xdotool mousemove --window "$wid" "${xy%,*}" "${xy#*,}" click 1
               xdotool mousemove --window "$wid" 150 5 ;;
      *) xdotool key --window "$wid" "$k" ;;
    esac
    sleep 1
  done
  import -window "$wid" "$OUT/$name.png"
  kill "$APID"; wait "$APID" 2>/dev/null || true; APID=""
  echo "wrote $OUT/$name.png"
}

shoot spiral assets/sessions/spiral.json 25
shoot log_gap assets/sessions/xor_log_gap.json 25
shoot light_regression assets/sessions/sine_light.json 25
shoot linespace assets/sessions/xor_linespace.json 25
shoot poly_xor assets/sessions/poly_xor.json 25
shoot poly_spiral3 assets/sessions/poly_spiral3.json 25
shoot gated_spiral assets/sessions/gated_spiral.json 25
shoot robust_xor assets/sessions/robust_xor.json 25
# the objective plot clicked at round 2: the regions that round priced in
shoot spiral_working_set assets/sessions/spiral_working_set.json 20 click:502,600
# laptop screens: nothing clipped (narrow plots fold their buttons into a menu, the neuron table
# scrolls sideways, the scrubber takes its own row)
shoot laptop_1366x768 assets/sessions/spiral.json 20 size:1366,768
shoot laptop_1024x700 assets/sessions/spiral.json 20 size:1024,700
# the program's terms linked to the plots: the cone constraint of the largest neuron hovered
# (the points where it is tight ringed on its line)
shoot formula_hover assets/sessions/sine_light.json 20 hover:80,601
