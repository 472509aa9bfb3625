#!/usr/bin/env bash
# Builds the Debian package (cargo deb, metadata in Cargo.toml [package.metadata.deb]) and checks it:
#   - installs the pinned cargo-deb into target/tools (once) and, when missing, the checkers with apt
#     (desktop-file-utils, appstream, imagemagick, dpkg);
#   - makes the hicolor icons from the one source image, assets/icon.png;
#   - validates the desktop entry (desktop-file-validate) and the AppStream metainfo (appstreamcli validate);
#   - builds the .deb (a release build), lists its contents and checks the expected files are in it;
#   - runs the packaged binary from an extracted copy: `--version` (version and commit), and
#     `serve --memory --demo` answering `info`.
# Prints the .deb's path and how long it took. Usage: bash scripts/package.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=never

CARGO_DEB_VERSION=3.8.0
TOOLS="target/tools"
ICON_SOURCE="assets/icon.png"
APP_ID="dev.profile_editor.ProfileEditor"
ICON_SIZES=(16 24 32 48 64 128 256)
DEMO_APP_ID="D3A0C0DE-0000-4000-8000-000000000001"
DEMO_API_KEY="D3A0C0DE-0000-4000-8000-000000000002"
SERVE_START_TIMEOUT_S=30

start=$(date +%s)
step() { echo "== package.sh: $*"; }
fail() { echo "package.sh: $*" >&2; exit 1; }

# -- tools ---------------------------------------------------------------------------------------------
missing=()
command -v desktop-file-validate >/dev/null || missing+=(desktop-file-utils)
command -v appstreamcli >/dev/null || missing+=(appstream)
command -v convert >/dev/null || missing+=(imagemagick)
command -v dpkg-deb >/dev/null || missing+=(dpkg)
if ((${#missing[@]})); then
  if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
    step "installing ${missing[*]} (apt)"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    fail "missing tools; install them with: sudo apt-get install -y ${missing[*]}"
  fi
fi
if ! "$TOOLS/bin/cargo-deb" --version 2>/dev/null | grep -q " $CARGO_DEB_VERSION\b"; then
  step "installing cargo-deb $CARGO_DEB_VERSION into $TOOLS"
  cargo install --locked cargo-deb --version "$CARGO_DEB_VERSION" --root "$TOOLS"
fi
"$TOOLS/bin/cargo-deb" --version

# -- icons from the one source image ---------------------------------------------------------------
step "icons from $ICON_SOURCE: ${ICON_SIZES[*]}"
for size in "${ICON_SIZES[@]}"; do
  dir="target/package/icons/${size}x${size}"
  mkdir -p "$dir"
  convert "$ICON_SOURCE" -resize "${size}x${size}" -strip -define png:exclude-chunks=date,time \
    "$dir/$APP_ID.png"
  got="$(identify -format '%wx%h' "$dir/$APP_ID.png")"
  [[ "$got" == "${size}x${size}" ]] || fail "icon $size is $got"
done

# -- metadata checks -----------------------------------------------------------------------------------
step "desktop-file-validate packaging/$APP_ID.desktop"
desktop-file-validate "packaging/$APP_ID.desktop"
step "appstreamcli validate packaging/$APP_ID.metainfo.xml"
appstreamcli validate --no-net "packaging/$APP_ID.metainfo.xml"

# -- the package ---------------------------------------------------------------------------------------
step "cargo deb (release build)"
build_start=$(date +%s)
# --strip: the release profile keeps line tables for backtraces, which cargo-deb would otherwise ship
# (a ~200 MB binary instead of ~30 MB).
deb="$("$TOOLS/bin/cargo-deb" --locked --strip | tail -1)"
build_s=$(( $(date +%s) - build_start ))
[[ -f "$deb" ]] || fail "cargo deb did not name a .deb (got: $deb)"
step "built $deb in ${build_s} s ($(du -h "$deb" | cut -f1))"
dpkg-deb --info "$deb" | sed -n '/Package:/,$p'
step "contents"
contents="$(dpkg-deb --contents "$deb")"
echo "$contents"
expected=(
  ./usr/bin/profile-editor
  "./usr/share/applications/$APP_ID.desktop"
  "./usr/share/metainfo/$APP_ID.metainfo.xml"
  ./usr/share/doc/profile-editor/README.md
  ./usr/share/doc/profile-editor/copyright
)
for size in "${ICON_SIZES[@]}"; do
  expected+=("./usr/share/icons/hicolor/${size}x${size}/apps/$APP_ID.png")
done
for path in "${expected[@]}"; do
  grep -q " $path\$" <<<"$contents" || fail "$path is not in the package"
done
if grep -q "usr/bin/loadgen" <<<"$contents"; then fail "the loadgen bench binary is in the package"; fi

# -- the packaged binary, from an extracted copy -------------------------------------------------------
extracted="$(mktemp -d)"
serve_pid=""
cleanup() {
  [[ -n "$serve_pid" ]] && kill "$serve_pid" 2>/dev/null || true
  rm -rf "$extracted"
}
trap cleanup EXIT
dpkg-deb -x "$deb" "$extracted"
bin="$extracted/usr/bin/profile-editor"
desktop-file-validate "$extracted/usr/share/applications/$APP_ID.desktop"

step "$bin --version"
version="$("$bin" --version)"
echo "$version"
commit="$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)"
want="profile-editor $(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1) (commit $commit)"
[[ "$version" == "$want" ]] || fail "--version says \"$version\", expected \"$want\""

step "$bin serve --memory --demo, then GET info"
out="$extracted/serve.out"
HOME="$extracted" XDG_DATA_HOME="$extracted/data" "$bin" serve --memory --demo --listen 127.0.0.1:0 \
  >"$out" 2>"$extracted/serve.err" &
serve_pid=$!
origin=""
for _ in $(seq $((SERVE_START_TIMEOUT_S * 10))); do
  origin="$(sed -n 's/^listening on \(http:[^ ]*\)$/\1/p' "$out" | head -1)"
  [[ -n "$origin" ]] && break
  kill -0 "$serve_pid" 2>/dev/null || { cat "$extracted/serve.err" >&2; fail "serve exited early"; }
  sleep 0.1
done
[[ -n "$origin" ]] || fail "serve printed no 'listening on' line in ${SERVE_START_TIMEOUT_S} s"
echo "listening on $origin"
info="$(curl -fsS "$origin/$DEMO_APP_ID/$DEMO_API_KEY/info")"
echo "info: $info"
grep -q '"name":"Profile Editor emulator"' <<<"$info" || fail "unexpected info answer: $info"
kill -TERM "$serve_pid"
serve_status=0
wait "$serve_pid" || serve_status=$?
serve_pid=""
[[ $serve_status == 0 ]] || fail "serve exited $serve_status on SIGTERM"

echo "package.sh: $deb checked in $(( $(date +%s) - start )) s (cargo deb ${build_s} s)"
