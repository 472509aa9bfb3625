#!/usr/bin/env bash
# Takes the README screenshots in the real window under Xvfb:
#   login.png                  the login screen (System theme, dark under Xvfb)
#   editor-field-error.png     alice tries to take bob's email: Backendless 3018 at the identity field
#   editor-light-non-latin.png the Light theme, bob's profile with his name in Japanese (山田 太郎)
#   users-inspector.png        the admin's Users view (names in Japanese, Arabic, Devanagari, Greek) with the
#                              record inspector open
#
# No position is written down: every click goes to a control found by its accessible role and name (the
# app's AccessKit tree, read over AT-SPI by scripts/a11y_find.py), and the rest is typed. So the script keeps
# working when the layout changes, and it fails loudly (naming the control) when a control is renamed.
# The names in other scripts are set through the emulator's own REST API before the app opens the store.
#
# Needs: xvfb, xdotool, imagemagick, at-spi2-core, python3-pyatspi, dbus, curl
#   (`apt-get install -y xvfb xdotool imagemagick at-spi2-core python3-pyatspi dbus curl`).
# Usage: scripts/screenshots.sh                  (debug build)
#        PROFILE=release scripts/screenshots.sh  (release build)
#        KEEP=1 scripts/screenshots.sh           (keeps the work dir; every shot also goes to /tmp/pe-step-N.png)
#        NO_BUILD=1 scripts/screenshots.sh       (uses the binary already built)
#        DISPLAY_NUM=96 (the Xvfb display used)
set -euo pipefail

cd "$(dirname "$0")/.."

# A private D-Bus session for the accessibility bus; nothing of a desktop session is used or needed.
if [[ -z "${SCREENSHOTS_PRIVATE_BUS:-}" ]]; then
  command -v dbus-run-session >/dev/null || { echo "screenshots.sh: dbus-run-session is missing (apt-get install -y dbus)" >&2; exit 1; }
  SCREENSHOTS_PRIVATE_BUS=1 exec dbus-run-session -- bash "$0" "$@"
fi

PROFILE="${PROFILE:-dev}"
DISPLAY_NUM="${DISPLAY_NUM:-96}"
WIDTH=1100
HEIGHT=760
OUT=assets/screenshots
APP_ID=D3A0C0DE-0000-4000-8000-000000000001
API_KEY=D3A0C0DE-0000-4000-8000-000000000002
ATSPI_LAUNCHER=/usr/libexec/at-spi-bus-launcher
PY=/usr/bin/python3

for tool in Xvfb xdotool import curl "$PY"; do
  command -v "$tool" >/dev/null || { echo "screenshots.sh: $tool is missing (see the header for the packages)" >&2; exit 1; }
done
[[ -x "$ATSPI_LAUNCHER" ]] || { echo "screenshots.sh: $ATSPI_LAUNCHER is missing (apt-get install -y at-spi2-core)" >&2; exit 1; }
"$PY" -c 'import pyatspi' 2>/dev/null || { echo "screenshots.sh: pyatspi is missing (apt-get install -y python3-pyatspi)" >&2; exit 1; }

if [[ "$PROFILE" == release ]]; then
  [[ -n "${NO_BUILD:-}" ]] || cargo build --release --bin profile-editor
  BIN=target/release/profile-editor
else
  [[ -n "${NO_BUILD:-}" ]] || cargo build --bin profile-editor
  BIN=target/debug/profile-editor
fi

# A fresh config and data dir, so the demo data is new and no remembered session or theme interferes.
WORK="$(mktemp -d)"
DATA="$WORK/data/profileeditor/emulator" # where the app's Local demo keeps its store (XDG_DATA_HOME)
XVFB_PID=""
APP_PID=""
SERVE_PID=""
ATSPI_PID=""
cleanup() {
  for pid in "$APP_PID" "$SERVE_PID" "$ATSPI_PID" "$XVFB_PID"; do
    [[ -n "$pid" ]] && kill "$pid" 2>/dev/null || true
  done
  [[ -n "${KEEP:-}" ]] && echo "work dir kept: $WORK" || rm -rf "$WORK"
}
trap cleanup EXIT

json_field() { # field: reads JSON on stdin
  "$PY" -c 'import json, sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"
}

# --- 1. The demo store, with some names in other scripts (through the emulator's REST API). ---------------
"$BIN" serve --demo --demo-users 40 --data "$DATA" --listen 127.0.0.1:0 >"$WORK/serve.log" 2>&1 &
SERVE_PID=$!
ORIGIN=""
for _ in $(seq 300); do
  ORIGIN="$(grep -o 'http://127\.0\.0\.1:[0-9]*' "$WORK/serve.log" | head -1 || true)"
  [[ -n "$ORIGIN" ]] && break
  sleep 0.1
done
[[ -n "$ORIGIN" ]] || { echo "screenshots.sh: the emulator did not start" >&2; cat "$WORK/serve.log" >&2; exit 1; }
API="$ORIGIN/$APP_ID/$API_KEY"
rename() { # identity password new-name
  local reply token id
  reply="$(curl -sf -X POST -H 'Content-Type: application/json' \
    -d "{\"login\": \"$1\", \"password\": \"$2\"}" "$API/users/login")"
  token="$(json_field user-token <<<"$reply")"
  id="$(json_field objectId <<<"$reply")"
  curl -sf -X PUT -H 'Content-Type: application/json' -H "user-token: $token" \
    -d "{\"name\": \"$3\"}" "$API/users/$id" >/dev/null
  curl -sf -X GET -H "user-token: $token" "$API/users/logout" >/dev/null || true
}
rename bob@example.com bob-pass-1 "山田 太郎"
rename user00001@example.com generated-pass-1 "عمر الفاروق"
rename user00002@example.com generated-pass-1 "प्रिया शर्मा"
rename user00003@example.com generated-pass-1 "Ελένη Παπαδοπούλου"
kill "$SERVE_PID"
wait "$SERVE_PID" 2>/dev/null || true
SERVE_PID=""

# --- 2. Xvfb and the accessibility bus. --------------------------------------------------------------------
Xvfb ":$DISPLAY_NUM" -screen 0 "${WIDTH}x${HEIGHT}x24" -nolisten tcp >"$WORK/xvfb.log" 2>&1 &
XVFB_PID=$!
export DISPLAY=":$DISPLAY_NUM"
unset WAYLAND_DISPLAY
for _ in $(seq 50); do xdotool getmouselocation >/dev/null 2>&1 && break; sleep 0.1; done
"$ATSPI_LAUNCHER" --launch-immediately >"$WORK/atspi.log" 2>&1 &
ATSPI_PID=$!
sleep 1
# AccessKit exposes the app's tree only when assistive technology is said to be on.
dbus-send --session --print-reply --dest=org.a11y.Bus /org/a11y/bus org.freedesktop.DBus.Properties.Set \
  string:org.a11y.Status string:IsEnabled variant:boolean:true >/dev/null

launch() {
  XDG_CONFIG_HOME="$WORK/config" XDG_DATA_HOME="$WORK/data" RUST_LOG=info "$BIN" >>"$WORK/app.log" 2>&1 &
  APP_PID=$!
  local wid=""
  for _ in $(seq 150); do
    wid="$(xdotool search --onlyvisible --name '^Profile Editor$' 2>/dev/null | head -1 || true)"
    [[ -n "$wid" ]] && break
    sleep 0.2
  done
  [[ -n "$wid" ]] || { echo "screenshots.sh: the window did not appear" >&2; cat "$WORK/app.log" >&2; exit 1; }
  # There is no window manager under Xvfb: place the window, and give it the keyboard.
  xdotool windowmove "$wid" 0 0 windowsize "$wid" "$WIDTH" "$HEIGHT"
  for _ in $(seq 50); do xdotool windowfocus --sync "$wid" 2>/dev/null && break; sleep 0.2; done
}
quit() {
  kill "$APP_PID"
  wait "$APP_PID" 2>/dev/null || true
  APP_PID=""
}
find_control() { # role name [timeout] [--contains]: prints "X Y"
  "$PY" scripts/a11y_find.py "$@" || { echo "screenshots.sh: see $WORK/app.log" >&2; exit 1; }
}
click() { # role name [timeout] [--contains]
  local pos
  pos="$(find_control "$@")"
  # shellcheck disable=SC2086
  xdotool mousemove $pos click 1
  sleep 0.3
}
step=0
shot() { # file
  # Move the pointer out of the way so no hover highlight or tooltip shows.
  xdotool mousemove "$((WIDTH - 2))" "$((HEIGHT - 2))"
  sleep "${SETTLE:-1}"
  import -window root "$1"
  step=$((step + 1))
  [[ -z "${KEEP:-}" ]] || cp "$1" "/tmp/pe-step-$step.png"
}
log_in() { # identity password
  click entry Identity 60
  xdotool key ctrl+a
  xdotool type --delay 20 "$1"
  click "password text" Password
  xdotool type --delay 20 "$2"
  xdotool key Return
}

mkdir -p "$OUT"

# --- 3. Login, then alice takes bob's email: 3018 at the field. ---------------------------------------------
launch
click entry Identity 60
xdotool type --delay 20 "alice@example.com"
shot "$OUT/login.png"
click "password text" Password
xdotool type --delay 20 "alice-pass-1"
xdotool key Return
click entry email 60
xdotool key ctrl+a
xdotool type --delay 20 "bob@example.com"
xdotool key ctrl+s
find_control "push button" "Confirm save" >/dev/null
xdotool key Return # Enter confirms the review
find_control label "already" 30 --contains >/dev/null
shot "$OUT/editor-field-error.png"
quit

# --- 4. The Light theme (remembered), and bob's name in Japanese. -------------------------------------------
launch
click "toggle button" Light 60
log_in bob@example.com bob-pass-1
find_control entry name 60 >/dev/null
shot "$OUT/editor-light-non-latin.png"
quit

# --- 5. The admin's Users view with the record inspector open (back to Dark). -------------------------------
launch
click "toggle button" Dark 60
log_in admin@example.com admin-pass-1
click "toggle button" Users 60
find_control label "山田 太郎" 60 >/dev/null
click label "Alice Liddell" 30
find_control "push button" "Copy as JSON" 30 >/dev/null
shot "$OUT/users-inspector.png"
quit

echo "wrote $OUT/login.png, $OUT/editor-field-error.png, $OUT/editor-light-non-latin.png and $OUT/users-inspector.png"
