#!/usr/bin/env bash
# The wasm verifier in Node and in a web page in headless Chromium, judged
# against the native verifier (the wasmi contract host runs under
# `cargo test`). Installs what it needs when missing: the wasm32 target,
# wasm-bindgen-cli at the crate's version (crates.io), Debian's chromium,
# and playwright-core (npm). Screenshots go to target/wasm-www/.
set -euo pipefail
cd "$(dirname "$0")/../.."

bindgen_version=$(sed -n '/^name = "wasm-bindgen"$/{n;s/^version = "\(.*\)"$/\1/p}' Cargo.lock)
if [ "$(wasm-bindgen --version 2>/dev/null | cut -d' ' -f2)" != "$bindgen_version" ]; then
    # Not --locked: the CLI's lock file names a webpki-roots release that
    # crates.io no longer serves.
    cargo install --quiet wasm-bindgen-cli --version "$bindgen_version"
fi
if [ ! -x /usr/bin/chromium ]; then
    if [ "$(id -u)" = 0 ]; then sudo=""; else sudo="sudo"; fi
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >/dev/null
fi
(cd wasm/tests && npm install --silent --no-audit --no-fund)

wasm/build.sh web >/dev/null
fixtures=target/wasm-fixtures
cargo run --quiet --release -p bulkhead-wasm-host --bin wasm-fixtures -- "$fixtures" >/dev/null
mkdir -p target/wasm-www
node wasm/tests/node.mjs "$fixtures" target/wasm-pkg/node
node wasm/tests/browser.mjs wasm/www "$fixtures" target/wasm-www
