// What the wasm-bindgen module costs in Node at any shape: set-up (key
// read, and key derived) and each verification. A measurement, not a test:
//   node wasm/tests/cost.mjs KEYS_DIR PKG_DIR BUNDLE...
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join, resolve } from "node:path";
import { performance } from "node:perf_hooks";

const [keys, pkg, ...bundles] = process.argv.slice(2).map((p) => resolve(p));
const { Verifier } = createRequire(import.meta.url)(join(pkg, "bulkhead_wasm.js"));
const read = (name) => readFileSync(join(keys, name));
const params = read("params.bin");
const key = read("key.bin");
const shape = read("shape.json").toString().trim();
const digest = read("digest.txt").toString().trim();
const timed = (what, f) => {
  const start = performance.now();
  const value = f();
  console.log(JSON.stringify({ what, ms: +(performance.now() - start).toFixed(1) }));
  return value;
};
const verifier = timed("init_key_read", () => Verifier.withKey(params, key, shape, digest));
for (const bundle of bundles) {
  const verdict = JSON.parse(timed(`verify ${bundle}`, () => verifier.verify(readFileSync(bundle))));
  if (!verdict.accepted) console.log(JSON.stringify(verdict));
}
if (process.env.DERIVE) timed("init_key_derived", () => new Verifier(params, shape, digest));
