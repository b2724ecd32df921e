# Shared by scripts/setup, scripts/start and scripts/test. Source it; do not run it.
# It decides where tools live and which Rust toolchain builds Shipshape, and
# exports the environment every build step must share (mixing toolchains in
# one target directory would rebuild everything).

set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# Tools (cargo-leptos, wasm-bindgen, the npm wasm-opt) are installed once,
# outside any checkout, and reused by every clone on the machine.
TOOLS_DIR="${SHIPSHAPE_TOOLS_DIR:-$HOME/.cache/shipshape/tools}"
# One target directory shared by clones, so a fresh clone builds incrementally.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/shipshape/target}"
# cargo-leptos sets this while compiling, and leptos reads it at compile time
# (to name the wasm file in the page); every other build must set it alike or
# share no artifacts with cargo-leptos' builds.
export LEPTOS_OUTPUT_NAME=shipshape
# Every fresh clone is a new path, so incremental caches in the shared target
# directory are never reused by CI, only piled up (tens of GB); CI builds
# without them. A developer's checkout keeps them.
if [ -n "${CI:-}" ]; then
  export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"
fi
CARGO_LEPTOS_VERSION="0.3.11"
# cargo-leptos 0.3.11's locked dependencies need this rustc or newer; a rustup
# toolchain older than that cannot install it, whatever targets it has.
MIN_RUSTC_MINOR=96
WASM_OPT_NPM_VERSION="132.0.0"
# The API conformance tester the test suite runs against the real server.
SCHEMATHESIS_VERSION="4.32.5"
SCHEMATHESIS_BIN="$TOOLS_DIR/schemathesis-$SCHEMATHESIS_VERSION/bin/schemathesis"
# Python's lock tool: upgrade PRs regenerate uv.lock with it, and the tests
# check the result with it. Linked into $TOOLS_DIR/bin, which is on PATH.
UV_VERSION="0.13.9"
UV_BIN="$TOOLS_DIR/uv-$UV_VERSION/bin/uv"

say() { printf '\033[1;34m[shipshape]\033[0m %s\n' "$*" >&2; }
fail() { printf '\033[1;31m[shipshape] error:\033[0m %s\n' "$*" >&2; exit 1; }

# Runs a command as root: directly when we are root, else through sudo.
as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@";
  elif command -v sudo >/dev/null 2>&1; then sudo "$@";
  else fail "need root to run: $* (install sudo or run as root)"; fi
}

APT_UPDATED=""
apt_install() {
  command -v apt-get >/dev/null 2>&1 || fail "cannot install $* automatically: this is not a Debian-like system; install them by hand"
  if [ -z "$APT_UPDATED" ]; then
    say "apt-get update"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
    APT_UPDATED=1
  fi
  say "apt-get install $*"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

# The wasm32 version of the wasm-bindgen crate in Cargo.lock: wasm-bindgen-cli
# must be exactly that version.
wasm_bindgen_version() {
  awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' "$REPO_ROOT/Cargo.lock"
}

# True when rustup's default rustc can build cargo-leptos.
rustup_rustc_recent_enough() {
  local minor
  minor="$(rustc --version 2>/dev/null | awk '{split($2, v, "."); print v[2]}')"
  [ -n "$minor" ] && [ "$minor" -ge "$MIN_RUSTC_MINOR" ]
}

# Chooses the toolchain and exports PATH, RUSTC, RUSTC_BOOTSTRAP and
# LEPTOS_LIB_ARGS. Sets TOOLCHAIN_ROUTE to "rustup" or "debian".
#   rustup: the ordinary route, a rustup toolchain with the wasm32 target.
#   debian: no wasm32 target from rustup (no internet); Debian's rustc-web
#           builds the standard library for wasm32 from source.
# The choice is remembered in $TOOLS_DIR/route so that every later run
# uses the same toolchain (and the same target directory stays valid).
select_toolchain() {
  local route_file="$TOOLS_DIR/route"
  mkdir -p "$TOOLS_DIR/bin"
  TOOLCHAIN_ROUTE="${TOOLCHAIN_ROUTE:-$(cat "$route_file" 2>/dev/null || true)}"
  if [ -z "$TOOLCHAIN_ROUTE" ]; then
    if command -v rustup >/dev/null 2>&1 && ! rustup_rustc_recent_enough; then
      say "rustup's $(rustc --version 2>/dev/null) is older than 1.$MIN_RUSTC_MINOR, which cargo-leptos $CARGO_LEPTOS_VERSION needs; using Debian's rustc-web"
      TOOLCHAIN_ROUTE=debian
    elif command -v rustup >/dev/null 2>&1 && rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
      TOOLCHAIN_ROUTE=rustup
    elif command -v rustup >/dev/null 2>&1 && curl -fsS --max-time 15 -o /dev/null https://static.rust-lang.org/dist/channel-rust-stable.toml.sha256 2>/dev/null \
         && timeout 600 rustup target add wasm32-unknown-unknown >&2; then
      TOOLCHAIN_ROUTE=rustup
    else
      say "rustup cannot provide the wasm32 target here; using Debian's rustc-web and building std for wasm32 from source"
      TOOLCHAIN_ROUTE=debian
    fi
    echo "$TOOLCHAIN_ROUTE" > "$route_file"
  fi

  case "$TOOLCHAIN_ROUTE" in
    rustup)
      export PATH="$TOOLS_DIR/bin:$HOME/.cargo/bin:$PATH"
      LEPTOS_LIB_ARGS=()
      ;;
    debian)
      if [ ! -x /usr/bin/rustc ] || ! /usr/bin/rustc --print target-list 2>/dev/null | grep -qx wasm32-unknown-unknown \
         || [ ! -d /usr/lib/rustlib/src/rust/library ] || [ ! -x /usr/bin/rust-lld ] || [ ! -x /usr/bin/cargo-clippy ]; then
        apt_install rustc-web cargo-web rust-web-src rust-web-llvm rust-web-clippy rustfmt-web lld-22
      fi
      # Debian's toolchain first, for every build step alike.
      export PATH="$TOOLS_DIR/bin:/usr/bin:/bin:$PATH"
      export RUSTC=/usr/bin/rustc
      # -Zbuild-std is unstable; rustc-web is a stable compiler.
      export RUSTC_BOOTSTRAP=1
      LEPTOS_LIB_ARGS=("--lib-cargo-args=-Zbuild-std=std,panic_abort")
      ;;
    *) fail "unknown toolchain route '$TOOLCHAIN_ROUTE' in $route_file (expected rustup or debian)";;
  esac
  export TOOLCHAIN_ROUTE
}

# The cargo-leptos command line for a build: `leptos_build [--release]`.
leptos_build() {
  (cd "$REPO_ROOT" && cargo leptos build "${LEPTOS_LIB_ARGS[@]}" "$@")
}

# Every fresh clone is a new path, so cargo builds the workspace's own
# crates (never their dependencies) under new names in the shared target
# directory; CI runs from fresh clones would pile those copies up until
# the disk fills. Before a CI build, the workspace crates' artifacts are
# removed: this clone builds them anew anyway, and dependencies stay.
prune_workspace_artifacts() {
  [ -d "$CARGO_TARGET_DIR" ] || return 0
  local crates=(\( -path '*/deps/*' -o -path '*/.fingerprint/*' -o -path '*/build/*' -o -path '*/incremental/*' \)
    \( -name 'shipshape*' -o -name 'libshipshape*' \))
  # Test and bench binaries are named after their files (`alerts-<hash>`,
  # about 1 GiB each with debug info); only those in deps/, with a hash.
  local binaries=(-path '*/deps/*' \( -name 'shipshape*' )
  local target
  for target in "$REPO_ROOT"/server/tests/*.rs "$REPO_ROOT"/server/benches/*.rs; do
    [ -e "$target" ] || continue
    target="$(basename "$target" .rs)"
    binaries+=(-o -name "$target-[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]*")
  done
  binaries+=(\))
  local removed
  removed="$(( $(find "$CARGO_TARGET_DIR" -maxdepth 5 "${crates[@]}" -prune -print 2>/dev/null | wc -l) + \
    $(find "$CARGO_TARGET_DIR" -maxdepth 5 "${binaries[@]}" -print 2>/dev/null | wc -l) ))"
  find "$CARGO_TARGET_DIR" -maxdepth 5 "${crates[@]}" -prune -exec rm -rf {} + 2>/dev/null || true
  find "$CARGO_TARGET_DIR" -maxdepth 5 "${binaries[@]}" -exec rm -f {} + 2>/dev/null || true
  say "removed $removed artifacts of the workspace's own crates, tests and benches from earlier clones ($(du -sh "$CARGO_TARGET_DIR" 2>/dev/null | cut -f1) left in $CARGO_TARGET_DIR)"
}
