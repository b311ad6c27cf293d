// conformance.js — the official `replicate` npm client against mock-replicate on 127.0.0.1:
// files.create/get/list/delete, run() with a Blob (uploaded through /v1/files) and with the
// data-uri strategy, predictions.create/get/cancel, wait(), paginate(predictions.list), a
// deployment create, and a 429 the client retries. Usage: node conformance.js MOCK_BINARY.
// Exit 0 when every check passes, 1 when one fails, 77 when the npm package is missing.
"use strict";
const { spawn } = require("node:child_process");
const crypto = require("node:crypto");
const path = require("node:path");

let Replicate;
try {
  Replicate = require(path.join(__dirname, "node_modules", "replicate"));
} catch (e) {
  console.error("replicate npm package not installed (run: npm ci in tests/npm_client)");
  process.exit(77);
}

const bin = process.argv[2];
// A fresh token each run, never written anywhere: the test checks the mock never prints it.
const token = "r8_" + crypto.randomBytes(16).toString("hex");
let passed = 0, failed = 0;
function check(cond, what) {
  if (cond) passed++;
  else { failed++; console.error("check failed: " + what); }
}

function startMock() {
  return new Promise((resolve, reject) => {
    const p = spawn(bin, ["--port", "0", "--token", token, "--latency", "0.3", "--page-size", "2",
                                "--max-body", "131072"],
                    { stdio: ["ignore", "pipe", "pipe"] });
    let out = "", err = "";
    p.stderr.on("data", (d) => { err += d; });
    p.stdout.on("data", (d) => {
      out += d;
      const m = /127\.0\.0\.1:(\d+)/.exec(out);
      if (m && !p.port) { p.port = Number(m[1]); resolve(p); }
    });
    p.output = () => out + err;
    p.on("exit", (code) => { if (!p.port) reject(new Error("mock exited " + code + ": " + err)); });
  });
}

async function mockGet(base, route) {
  const r = await fetch(base + route);
  return r.json();
}

async function main() {
  const mock = await startMock();
  const base = `http://127.0.0.1:${mock.port}`;
  const timer = setTimeout(() => { console.error("timed out"); mock.kill("SIGKILL"); process.exit(1); }, 60000);
  try {
    const replicate = new Replicate({ auth: token, baseUrl: base + "/v1" });

    // Files API.
    const bytes = crypto.randomBytes(1000);
    const f = await replicate.files.create(bytes, { purpose: "conformance" });
    check(typeof f.id === "string" && f.id.length === 26, "file id " + f.id);
    check(f.size === 1000 && f.content_type === "application/octet-stream", "size/type " + f.size + " " + f.content_type);
    check(f.checksums.sha256 === crypto.createHash("sha256").update(bytes).digest("hex"), "sha256");
    check(f.metadata.purpose === "conformance", "metadata round trip");
    check(f.urls.get === `${base}/v1/files/${f.id}`, "urls.get " + f.urls.get);
    check(Date.parse(f.expires_at) - Date.parse(f.created_at) === 86400000, "expires 24 h later");
    const g = await replicate.files.get(f.id);
    check(g.id === f.id && g.name === f.name, "files.get");
    const dl = await fetch(f.urls.get + "/download", { headers: { Authorization: `Bearer ${token}` } });
    check(dl.status === 200 && Buffer.from(await dl.arrayBuffer()).equals(bytes), "download");
    const list = await replicate.files.list();
    check(list.results.some((x) => x.id === f.id), "files.list");
    check((await replicate.files.delete(f.id)) === true, "files.delete");
    let gone = 0;
    try { await replicate.files.get(f.id); } catch (e) { gone = e.response && e.response.status; }
    check(gone === 404, "deleted file: " + gone);

    // run() with a 300 KB Blob: the client uploads it through /v1/files and passes urls.get.
    const image = new Blob([crypto.randomBytes(300 * 1024)], { type: "image/png" });
    let runId = null;
    const caption = await replicate.run(
      "salesforce/blip:2e1dddc8621f72155f24cf2e0adbde548458d3cab9f00c0139eea840d0ac4746",
      { input: { image } }, (p) => { runId = p.id; });
    check(typeof caption === "string" && caption.startsWith("Caption: "), "caption " + caption);
    const facts = await mockGet(base, `/_mock/predictions/${runId}`);
    check(facts.input_kinds.image === "file", "sent via the Files API: " + JSON.stringify(facts.input_kinds));
    const stats = await mockGet(base, "/_mock/stats");
    check(stats.requests["POST /v1/files"] === 2, "two uploads: " + stats.requests["POST /v1/files"]);

    // With the Files API failing (503), the client's default strategy falls back to a data
    // URL: a small file goes inline; a 100 KB one makes a 137 KB body, over this mock's
    // --max-body of 128 KiB (set low for the client, see below), refused with 413.
    // (Not its "data-uri" strategy: replicate 1.4.0 passes the client object as the inputs
    // there; and it cannot inline more than ~100 KB: String.fromCharCode.apply overflows the stack.)
    await fetch(base + "/_mock/faults", { method: "POST", body: JSON.stringify(
      [{ method: "POST", path: "/v1/files", action: "status", status: 503, count: -1 }]) });
    let inlineId = null;
    await replicate.run("salesforce/blip:2e1dddc8621f72155f24cf2e0adbde548458d3cab9f00c0139eea840d0ac4746",
                        { input: { image: new Blob([crypto.randomBytes(10 * 1024)], { type: "image/png" }) } },
                        (p) => { inlineId = p.id; });
    const f2 = await mockGet(base, `/_mock/predictions/${inlineId}`);
    check(f2.input_kinds.image === "data_url", "sent as a data URL: " + JSON.stringify(f2.input_kinds));
    check(f2.body_bytes > 10 * 1024 * 4 / 3, "the data URL is in the body: " + f2.body_bytes);
    let tooBig = 0;
    try {
      await replicate.run("salesforce/blip:2e1dddc8621f72155f24cf2e0adbde548458d3cab9f00c0139eea840d0ac4746",
                          { input: { image: new Blob([crypto.randomBytes(100 * 1024)], { type: "image/png" }) } });
    } catch (e) { tooBig = e.response ? e.response.status : e.message; }
    check(tooBig === 413, "a 137 KB create body is refused: " + tooBig);
    await fetch(base + "/_mock/faults", { method: "DELETE" });

    // predictions.create / get / wait / cancel.
    let p = await replicate.predictions.create({ model: "black-forest-labs/flux-schnell",
                                                 input: { prompt: "a lighthouse", num_outputs: 2 } });
    check(p.status === "starting" && p.version === "hidden", "create: " + p.status);
    const got = await replicate.predictions.get(p.id);
    check(got.id === p.id, "predictions.get");
    p = await replicate.wait(p, { interval: 100 });
    check(p.status === "succeeded" && Array.isArray(p.output) && p.output.length === 2, "wait: " + p.status);
    const img = await fetch(p.output[0], { headers: { Authorization: `Bearer ${token}` } });
    check(img.status === 200 && (await img.arrayBuffer()).byteLength > 100, "output file");
    const c = await replicate.predictions.create({ model: "kwaivgi/kling-v2.1",
                                                   input: { prompt: "x", start_image: "https://example.com/a.png" } });
    const canceled = await replicate.predictions.cancel(c.id);
    check(canceled.status === "canceled", "cancel: " + canceled.status);

    // A deployment.
    const d = await replicate.deployments.predictions.create("vsc-test", "narrator",
                                                             { input: { text: "Hello there." }, wait: true });
    check(d.deployment === "vsc-test/narrator" && d.model === "jaaari/kokoro-82m", "deployment " + d.deployment);
    check(d.status === "succeeded" && d.output.startsWith(base + "/delivery/"), "deployment output " + d.status);

    // A 429 with Replicate's body on polling: the client retries GETs on 429.
    await fetch(base + "/_mock/faults", { method: "POST", body: JSON.stringify(
      [{ method: "GET", path: "/v1/predictions/*", action: "status", status: 429, retry_after: 1, count: 2 }]) });
    const again = await replicate.predictions.get(d.id);
    check(again.id === d.id, "retried through two 429s");
    const rules = await mockGet(base, "/_mock/faults");
    check(rules.rules[0].fired === 2, "both 429s were sent");

    // paginate(predictions.list): pages of 2, newest first, every prediction once.
    const ids = [];
    let pages = 0;
    for await (const page of replicate.paginate(replicate.predictions.list)) {
      pages++;
      for (const x of page) ids.push(x.id);
    }
    const total = (await mockGet(base, "/_mock/stats")).predictions;
    check(ids.length === total && new Set(ids).size === total && pages === Math.ceil(total / 2),
          `paginate: ${ids.length} ids in ${pages} pages, ${total} predictions`);
  } finally {
    clearTimeout(timer);
    mock.kill("SIGTERM");
    await new Promise((r) => mock.on("exit", r));
  }
  check(!mock.output().includes(token), "the token is never printed");
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
}

// Only the message: an ApiError carries the request, whose headers hold the token.
main().catch((e) => { console.error("error: " + (e && e.message)); process.exit(1); });
