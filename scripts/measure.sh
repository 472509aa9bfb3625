#!/usr/bin/env bash
# Measures the desktop app under Xvfb (a benchmark, not a test):
#   - time from launch to the login screen (the app logs "Login screen shown N ms after launch"; the script
#     also times it from outside, exec included), first with a fresh data dir (the Local demo creates its
#     demo data) and then with the data already there;
#   - resident memory (VmRSS) of the idle app on the login screen, 10 s after it appeared, and again in the
#     editor after logging in as alice (target < 150 MB);
#   - CPU time used while idle for 5 s (0 ticks = no continuous repainting).
#
# Needs: xvfb, xdotool (`apt-get install -y xvfb xdotool`).
# Usage: scripts/measure.sh            (release build)
#        PROFILE=dev scripts/measure.sh
set -euo pipefail

cd "$(dirname "$0")/.."
PROFILE="${PROFILE:-release}"
DISPLAY_NUM="${DISPLAY_NUM:-98}"
RUNS="${RUNS:-3}"

if [[ "$PROFILE" == release ]]; then
  cargo build --release --bin profile-editor
  BIN=target/release/profile-editor
else
  cargo build --bin profile-editor
  BIN=target/debug/profile-editor
fi

WORK="$(mktemp -d)"
XVFB_PID=""
APP_PID=""
cleanup() {
  [[ -n "$APP_PID" ]] && kill "$APP_PID" 2>/dev/null || true
  [[ -n "$XVFB_PID" ]] && kill "$XVFB_PID" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

Xvfb ":$DISPLAY_NUM" -screen 0 1280x800x24 -nolisten tcp >"$WORK/xvfb.log" 2>&1 &
XVFB_PID=$!
export DISPLAY=":$DISPLAY_NUM"
unset WAYLAND_DISPLAY
for _ in $(seq 50); do xdotool getmouselocation >/dev/null 2>&1 && break; sleep 0.1; done

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

# Starts the app with the given run dir and waits for the login screen; sets IN_APP_MS and EXTERNAL_MS.
launch() {
  local dir="$1" log="$1/app.log" start
  start="$(now_ms)"
  XDG_CONFIG_HOME="$dir/config" XDG_DATA_HOME="$dir/data" RUST_LOG=info "$BIN" >"$log" 2>&1 &
  APP_PID=$!
  for _ in $(seq 3000); do
    if grep -q "Login screen shown" "$log"; then
      EXTERNAL_MS=$(( $(now_ms) - start ))
      IN_APP_MS="$(sed -n 's/.*Login screen shown \([0-9]*\) ms after launch.*/\1/p' "$log" | head -1)"
      return 0
    fi
    sleep 0.01
  done
  echo "measure.sh: the login screen did not appear" >&2
  cat "$log" >&2
  exit 1
}

stop() {
  kill "$APP_PID" 2>/dev/null || true
  wait "$APP_PID" 2>/dev/null || true
  APP_PID=""
}

echo "binary: $BIN ($(du -h "$BIN" | cut -f1))"
for run in $(seq "$RUNS"); do
  dir="$WORK/run-$run"
  mkdir -p "$dir"
  launch "$dir"
  echo "launch to login screen, fresh data dir:    in-app ${IN_APP_MS} ms, from exec ${EXTERNAL_MS} ms"
  stop
  launch "$dir"
  echo "launch to login screen, existing data dir: in-app ${IN_APP_MS} ms, from exec ${EXTERNAL_MS} ms"
  if [[ "$run" == "$RUNS" ]]; then
    sleep 10
    rss_kb="$(awk '/VmRSS/ {print $2}' "/proc/$APP_PID/status")"
    ticks_before="$(awk '{print $14 + $15}' "/proc/$APP_PID/stat")"
    sleep 5
    ticks_after="$(awk '{print $14 + $15}' "/proc/$APP_PID/stat")"
    echo "idle on the login screen: VmRSS $((rss_kb / 1024)) MB (${rss_kb} kB); CPU ticks in 5 s idle: $((ticks_after - ticks_before)) (clock ticks of $(getconf CLK_TCK)/s)"
    # Log in as alice (the form has the focus in the identity field) and measure the idle editor too.
    wid="$(xdotool search --name '^Profile Editor$' | head -1)"
    xdotool windowfocus --sync "$wid"
    xdotool type --delay 10 "alice@example.com"
    xdotool key Tab
    xdotool type --delay 10 "alice-pass-1"
    xdotool key Return
    sleep 10
    rss_kb="$(awk '/VmRSS/ {print $2}' "/proc/$APP_PID/status")"
    ticks_before="$(awk '{print $14 + $15}' "/proc/$APP_PID/stat")"
    sleep 5
    ticks_after="$(awk '{print $14 + $15}' "/proc/$APP_PID/stat")"
    echo "idle in the editor (alice):  VmRSS $((rss_kb / 1024)) MB (${rss_kb} kB); CPU ticks in 5 s idle: $((ticks_after - ticks_before))"
  fi
  stop
done
