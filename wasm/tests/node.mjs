// Node verifies the fixtures through the wasm-bindgen build and must give
// the native verifier's verdict for every case (expected.json). Usage:
//   node wasm/tests/node.mjs FIXTURES_DIR PKG_DIR
import { readFileSync, readdirSync } from "node:fs";
import { createRequire } from "node:module";
import { join, resolve } from "node:path";
import { performance } from "node:perf_hooks";

const [fixtures, pkg] = process.argv.slice(2).map((p) => resolve(p));
const require = createRequire(import.meta.url);
const { Verifier } = require(join(pkg, "bulkhead_wasm.js"));

const read = (name) => readFileSync(join(fixtures, name));
const params = read("params.bin");
const key = read("key.bin");
const shape = read("shape.json").toString().trim();
const digest = read("digest.txt").toString().trim();
const expected = JSON.parse(read("expected.json"));
let failures = 0;
const fail = (message) => {
  console.error(`FAIL ${message}`);
  failures += 1;
};

function timed(f) {
  const start = performance.now();
  const value = f();
  return [value, performance.now() - start];
}

const [withKey, keyMs] = timed(() => Verifier.withKey(params, key, shape, digest));
const [derived, deriveMs] = timed(() => new Verifier(params, shape, digest));
console.log(`node TINY init: key from bytes ${keyMs.toFixed(1)} ms, key derived ${deriveMs.toFixed(1)} ms`);
if (withKey.vkDigest() !== digest) fail(`vkDigest ${withKey.vkDigest()} is not ${digest}`);

const names = readdirSync(join(fixtures, "cases")).map((f) => f.replace(/\.bundle$/, "")).sort();
if (names.length !== Object.keys(expected).length) fail("the cases and expected.json differ");
for (const name of names) {
  const bytes = read(join("cases", `${name}.bundle`));
  for (const [label, verifier] of [["key read", withKey], ["key derived", derived]]) {
    const [json, ms] = timed(() => verifier.verify(bytes));
    const verdict = JSON.parse(json);
    const want = expected[name];
    if (!want) {
      fail(`${name}: no expected verdict`);
      continue;
    }
    for (const field of ["accepted", "code", "label"]) {
      if (verdict[field] !== want[field]) {
        fail(`${name} (${label}): ${field} ${JSON.stringify(verdict[field])}, native ${JSON.stringify(want[field])}`);
      }
    }
    if (label === "key read") console.log(`node TINY verify ${name}: ${verdict.label}, ${ms.toFixed(1)} ms`);
  }
}

// Setup refusals are JS errors that say why, never a crash.
const throws = (what, f, needle) => {
  try {
    f();
    fail(`${what}: accepted`);
  } catch (error) {
    if (!String(error.message).includes(needle)) fail(`${what}: ${error.message}`);
  }
};
const otherDigest = (digest[0] === "0" ? "1" : "0") + digest.slice(1);
throws("another digest", () => Verifier.withKey(params, key, shape, otherDigest), "is not the registered");
throws("a bad digest", () => Verifier.withKey(params, key, shape, "zz"), "64 hex digits");
throws("truncated key", () => Verifier.withKey(params, key.subarray(0, key.length - 1), shape, digest), "verifying key");
throws("truncated params", () => Verifier.withKey(params.subarray(0, 100), key, shape, digest), "parameters");
throws("a bad shape", () => Verifier.withKey(params, key, "{", digest), "shape");

if (failures > 0) {
  console.error(`${failures} failure(s)`);
  process.exit(1);
}
console.log(`node: ${names.length} cases, verdicts equal to the native verifier's`);
