#!/usr/bin/env bash
# Takes the README screenshots under Xvfb: the login screen, and the editor showing a field error (alice
# tries to take bob's email: Backendless 3018 at the identity field).
#
# Needs: xvfb, xdotool, imagemagick (`apt-get install -y xvfb xdotool imagemagick`).
# Usage: scripts/screenshots.sh            (release build)
#        PROFILE=dev scripts/screenshots.sh (debug build, quicker to compile)
# Writes assets/screenshots/login.png and assets/screenshots/editor-field-error.png.
#
# The clicks are at fixed positions in a 1100x760 window with egui's default font; if the layout changes,
# run with KEEP=1 and look at /tmp (every step is also saved there as pe-step-*.png).
set -euo pipefail

cd "$(dirname "$0")/.."
PROFILE="${PROFILE:-release}"
DISPLAY_NUM="${DISPLAY_NUM:-99}"
WIDTH=1100
HEIGHT=760
OUT=assets/screenshots

for tool in Xvfb xdotool import; do
  command -v "$tool" >/dev/null || { echo "screenshots.sh: $tool is missing (apt-get install -y xvfb xdotool imagemagick)" >&2; exit 1; }
done

if [[ "$PROFILE" == release ]]; then
  cargo build --release --bin profile-editor
  BIN=target/release/profile-editor
else
  cargo build --bin profile-editor
  BIN=target/debug/profile-editor
fi

# A fresh config and data dir, so the demo data is new and no remembered session or theme interferes.
WORK="$(mktemp -d)"
XVFB_PID=""
APP_PID=""
cleanup() {
  [[ -n "$APP_PID" ]] && kill "$APP_PID" 2>/dev/null || true
  [[ -n "$XVFB_PID" ]] && kill "$XVFB_PID" 2>/dev/null || true
  [[ -n "${KEEP:-}" ]] || rm -rf "$WORK"
}
trap cleanup EXIT

Xvfb ":$DISPLAY_NUM" -screen 0 "${WIDTH}x${HEIGHT}x24" -nolisten tcp >"$WORK/xvfb.log" 2>&1 &
XVFB_PID=$!
export DISPLAY=":$DISPLAY_NUM"
unset WAYLAND_DISPLAY
for _ in $(seq 50); do xdotool getmouselocation >/dev/null 2>&1 && break; sleep 0.1; done

XDG_CONFIG_HOME="$WORK/config" XDG_DATA_HOME="$WORK/data" RUST_LOG=info "$BIN" >"$WORK/app.log" 2>&1 &
APP_PID=$!

# Wait for the window, then make it fill the screen (there is no window manager under Xvfb).
WID=""
for _ in $(seq 100); do
  WID="$(xdotool search --name '^Profile Editor$' 2>/dev/null | head -1 || true)"
  [[ -n "$WID" ]] && break
  sleep 0.2
done
[[ -n "$WID" ]] || { echo "screenshots.sh: the window did not appear" >&2; cat "$WORK/app.log" >&2; exit 1; }
xdotool windowmove "$WID" 0 0 windowsize "$WID" "$WIDTH" "$HEIGHT"
# Without a window manager nobody gives the window the keyboard focus.
xdotool windowfocus --sync "$WID"

wait_for_log() { # pattern, what
  for _ in $(seq 300); do grep -q "$1" "$WORK/app.log" && return 0; sleep 0.1; done
  echo "screenshots.sh: timed out waiting for $2" >&2; cat "$WORK/app.log" >&2; exit 1
}
step=0
shot() { # file
  sleep "${SETTLE:-0.8}"
  import -window root "$1"
  step=$((step + 1))
  [[ -z "${KEEP:-}" ]] || cp "$1" "/tmp/pe-step-$step.png"
}

mkdir -p "$OUT"
wait_for_log "Login screen shown" "the login screen"
# The login form puts the focus into the identity field; the click makes sure.
xdotool mousemove "${IDENTITY_X:-480}" "${IDENTITY_Y:-310}" click 1
xdotool type --delay 20 "alice@example.com"
shot "$OUT/login.png"

xdotool key Tab
xdotool type --delay 20 "alice-pass-1"
xdotool key Return
sleep 2
shot "$WORK/editor.png"

# The email field is the first row of the grid: replace it with bob's address, then Ctrl+S opens the
# review and "Confirm save" (centred in the window) sends it.
xdotool mousemove "${EMAIL_X:-600}" "${EMAIL_Y:-154}" click --repeat 3 1
xdotool key ctrl+a
xdotool type --delay 20 "bob@example.com"
xdotool key ctrl+s
sleep 1
shot "$WORK/review.png"
xdotool mousemove "${CONFIRM_X:-417}" "${CONFIRM_Y:-431}" click 1
sleep 2
# Move the pointer out of the way so no hover highlight or tooltip shows.
xdotool mousemove "$((WIDTH - 5))" "$((HEIGHT - 5))"
shot "$OUT/editor-field-error.png"

echo "wrote $OUT/login.png and $OUT/editor-field-error.png"
