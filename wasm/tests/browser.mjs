// The web page in headless Chromium (Debian's, driven by playwright-core):
// the page loads the verifier and the registered key, every fixture is
// chosen through the file input (one is dropped on the drop zone), and
// the verdict shown must be the native verifier's. Screenshots of an
// accepted and a refused bundle are saved. Usage:
//   node wasm/tests/browser.mjs WWW_DIR FIXTURES_DIR OUT_DIR
import { createServer } from "node:http";
import { readFileSync, readdirSync, existsSync } from "node:fs";
import { extname, join, normalize, resolve, sep } from "node:path";
import { chromium } from "playwright-core";

const [www, fixtures, out] = process.argv.slice(2).map((p) => resolve(p));
const types = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript",
  ".wasm": "application/wasm",
  ".json": "application/json",
  ".txt": "text/plain",
  ".bin": "application/octet-stream",
};

// / serves the page, /keys/ the fixtures' key material; nothing outside.
function fileFor(url) {
  const path = decodeURIComponent(new URL(url, "http://x").pathname);
  const [root, rest] = path.startsWith("/keys/") ? [fixtures, path.slice("/keys/".length)] : [www, path.slice(1) || "index.html"];
  const full = normalize(join(root, rest));
  return full.startsWith(root + sep) ? full : null;
}

const server = createServer((request, response) => {
  const file = fileFor(request.url);
  if (!file || !existsSync(file)) {
    response.writeHead(404).end();
    return;
  }
  response.writeHead(200, { "content-type": types[extname(file)] ?? "application/octet-stream" });
  response.end(readFileSync(file));
});
await new Promise((ready) => server.listen(0, "127.0.0.1", ready));
const base = `http://127.0.0.1:${server.address().port}/`;

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
let failures = 0;
const fail = (message) => {
  console.error(`FAIL ${message}`);
  failures += 1;
};
try {
  const page = await browser.newPage({ viewport: { width: 900, height: 760 } });
  page.on("pageerror", (error) => fail(`page error: ${error.message}`));
  await page.goto(base);
  await page.waitForSelector('#status[data-ready="true"]', { timeout: 120_000 });
  console.log(`chromium: ${await page.textContent("#status")}`);

  const expected = JSON.parse(readFileSync(join(fixtures, "expected.json")));
  const names = readdirSync(join(fixtures, "cases")).map((f) => f.replace(/\.bundle$/, "")).sort();
  const shown = async (name) => {
    await page.waitForFunction((file) => document.getElementById("verdict").dataset.file === file, `${name}.bundle`, { timeout: 120_000 });
    return page.$eval("#verdict", (box) => ({ ...box.dataset }));
  };
  const check = (name, seen) => {
    const want = expected[name];
    if (seen.accepted !== String(want.accepted) || seen.code !== String(want.code) || seen.label !== want.label) {
      fail(`${name}: page shows ${JSON.stringify(seen)}, native ${JSON.stringify(want)}`);
    }
  };
  for (const name of names) {
    await page.setInputFiles("#file", join(fixtures, "cases", `${name}.bundle`));
    const seen = await shown(name);
    check(name, seen);
    console.log(`chromium ${name}: ${seen.label}`);
    if (name === "signature-flipped") await page.screenshot({ path: join(out, "wasm-www-refused.png") });
  }

  // The drop path: a real drop event carrying the file.
  const dropped = "accepted-0";
  const bytes = [...readFileSync(join(fixtures, "cases", `${dropped}.bundle`))];
  await page.evaluate(([name, data]) => {
    const transfer = new DataTransfer();
    transfer.items.add(new File([new Uint8Array(data)], name));
    document.getElementById("drop").dispatchEvent(new DragEvent("drop", { dataTransfer: transfer, bubbles: true, cancelable: true }));
  }, [`${dropped}.bundle`, bytes]);
  check(dropped, await shown(dropped));
  await page.screenshot({ path: join(out, "wasm-www-accepted.png") });
  console.log(`chromium: screenshots in ${out}`);
} finally {
  await browser.close();
  server.close();
}
if (failures > 0) {
  console.error(`${failures} failure(s)`);
  process.exit(1);
}
console.log("chromium: every verdict shown equals the native verifier's");
