// The page's logic: load the wasm verifier and the registered key from
// keys/ (params.bin, key.bin, shape.json, digest.txt, as `bulkhead keys`
// writes them), then judge every bundle dropped or chosen.
import init, { Verifier } from "./pkg/bulkhead_wasm.js";

const status = document.getElementById("status");
const drop = document.getElementById("drop");
const file = document.getElementById("file");
const verdictBox = document.getElementById("verdict");
let verifier = null;

async function fetchBytes(path) {
  const response = await fetch(path);
  if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

async function fetchText(path) {
  const response = await fetch(path);
  if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
  return (await response.text()).trim();
}

async function start() {
  try {
    await init();
    const [params, key, shape, digest] = await Promise.all([
      fetchBytes("keys/params.bin"),
      fetchBytes("keys/key.bin"),
      fetchText("keys/shape.json"),
      fetchText("keys/digest.txt"),
    ]);
    const started = performance.now();
    verifier = Verifier.withKey(params, key, shape, digest);
    const ms = Math.round(performance.now() - started);
    const s = JSON.parse(shape);
    const named = `D=${s.accounts_depth} S=${s.silo_depth} L=${s.lanes_depth} N=${s.batch_size}, ${s.poseidon_chips} Poseidon chips`;
    status.textContent = `Ready: verifying key ${digest.slice(0, 16)}… of shape ${named} (set up in ${ms} ms).`;
    status.dataset.ready = "true";
  } catch (error) {
    status.textContent = `The verifier could not start: ${error.message ?? error}`;
    status.dataset.ready = "error";
  }
}

function show(name, verdict, ms) {
  verdictBox.replaceChildren();
  const title = document.createElement("h2");
  title.textContent = verdict.accepted ? `Accepted: ${name}` : `Refused: ${name}`;
  const reason = document.createElement("p");
  reason.textContent = verdict.reason;
  const details = document.createElement("dl");
  const rows = verdict.accepted
    ? [["from segment", verdict.src], ["to segment", verdict.dst], ["asset", verdict.asset],
       ["epoch", verdict.epoch], ["exits", verdict.exits], ["total", verdict.total],
       ["first sequence", verdict.first_seq], ["verifying key", verdict.vk_digest]]
    : [["rule", verdict.label], ["code", verdict.code]];
  rows.push(["checked in", `${ms} ms`]);
  for (const [term, value] of rows) {
    const dt = document.createElement("dt");
    dt.textContent = term;
    const dd = document.createElement("dd");
    dd.textContent = String(value);
    details.append(dt, dd);
  }
  verdictBox.append(title, reason, details);
  verdictBox.dataset.file = name;
  verdictBox.dataset.code = String(verdict.code);
  verdictBox.dataset.label = verdict.label;
  verdictBox.dataset.accepted = String(verdict.accepted);
}

async function judge(input) {
  if (!verifier) return;
  const bytes = new Uint8Array(await input.arrayBuffer());
  const started = performance.now();
  const verdict = JSON.parse(verifier.verify(bytes));
  show(input.name, verdict, Math.round(performance.now() - started));
}

file.addEventListener("change", () => {
  if (file.files.length > 0) judge(file.files[0]);
  file.value = "";
});
drop.addEventListener("dragover", (event) => {
  event.preventDefault();
  drop.classList.add("over");
});
drop.addEventListener("dragleave", () => drop.classList.remove("over"));
drop.addEventListener("drop", (event) => {
  event.preventDefault();
  drop.classList.remove("over");
  const dropped = event.dataTransfer?.files?.[0];
  if (dropped) judge(dropped);
});

start();
