#!/usr/bin/env bash
# Builds Bulkhead's wasm verifier; prints the path of what it built last.
#
#   wasm/build.sh contract   the contract-host module (no imports):
#                            target/wasm-contract/.../bulkhead_wasm.wasm
#   wasm/build.sh web        the wasm-bindgen module, then its JS glue for
#                            Node (target/wasm-pkg/node) and for the web
#                            page (wasm/www/pkg); needs wasm-bindgen-cli
#                            at the crate's version (the test script
#                            installs it)
#
# Each flavour has a target directory of its own: the getrandom backend is
# a compiler flag (contract: "unsupported", so the module imports nothing
# and anything asking for randomness gets an error; web: the JS backend via
# the crate's `web` feature), and a separate directory keeps the two
# builds from invalidating each other or waiting on another cargo.
set -euo pipefail
cd "$(dirname "$0")/.."
flavour=${1:?usage: wasm/build.sh contract|web}
target=wasm32-unknown-unknown
rustup target add "$target" >/dev/null 2>&1 || true
case "$flavour" in
contract)
    RUSTFLAGS='--cfg getrandom_backend="unsupported"' \
        cargo build --quiet --release -p bulkhead-wasm --target "$target" \
        --target-dir target/wasm-contract
    echo "target/wasm-contract/$target/release/bulkhead_wasm.wasm"
    ;;
web)
    RUSTFLAGS='' cargo build --quiet --release -p bulkhead-wasm --features web \
        --target "$target" --target-dir target/wasm-web
    module="target/wasm-web/$target/release/bulkhead_wasm.wasm"
    wasm-bindgen --target nodejs --out-dir target/wasm-pkg/node "$module"
    wasm-bindgen --target web --out-dir wasm/www/pkg "$module"
    echo "$module"
    ;;
*)
    echo "unknown flavour $flavour (contract or web)" >&2
    exit 2
    ;;
esac
