// Worker CPU per beacon on workerd (Miniflare): our worker against a plain-JS control.
//
// What is measured. A Worker cannot time itself (its clocks stand still while it runs), and
// workerd does not fill in its own per-invocation figure locally (a tail worker sees
// `cpuTime: 0` and `wallTime: 0` for every event), so the bench reads the kernel's counters:
// the CPU time of every thread of a workerd process (the first field of
// /proc/<pid>/task/*/schedstat, in nanoseconds), before and after each phase.
//
// Why a control. Miniflare runs, in that same process, its entry worker (each dispatchFetch
// arrives over loopback HTTP and is routed by it), the queue broker (a JS Durable Object that
// stores the messages and calls the consumer) and the runtime's own HTTP, timers and V8 work.
// Cloudflare does not bill that to the worker. So the bench starts a second Miniflare (its own
// workerd process), configured the same way (queue settings, default `request.cf`), with a
// minimal plain-JS worker that does only what the platform forces per beacon:
//   * answer with the same status, headers and 43-byte GIF as our worker (copied from our
//     worker's own warm-up answers; its 404 likewise);
//   * send one queue message of the same bytes (a beacon exactly as our worker queues it,
//     captured from its first batch) as a text message — unless the request says `DNT: 1`,
//     where our worker drops the beacon too;
//   * a consumer that joins each batch into one JSON body, POSTs it to a sink on the bench's
//     HTTP server (the one our worker's batches pass through on their way to the real
//     aggregator) and acks the batch.
// Both workers get the same requests. `ours − control`, per round and then the median, is the
// CPU attributable to our code: the Rust/WASM logic, its JS-boundary crossings, the
// workers-rs/wasm-bindgen shell, config fetches, HMAC signing. The control is the platform's
// share as Miniflare emulates it; on Cloudflare the request routing and the queue are not
// billed, so `attributable` is the closer estimate of what the worker is billed (plus the
// small part of the control that any worker pays to build a response and call send()).
//
// Phases of one round (each worker's figures come from its own process):
//   ingress   99 accepted pixel beacons (distinct client IPs, so distinct visitors): the answer
//             and the queue send, no delivery yet (batches are exactly 100, maxBatchTimeout
//             30 s);
//   total     + the 100th beacon, which completes the batch, until the bench's HTTP server has
//             seen the batch answered 2xx (for our worker by the aggregator, which stored it);
//             per beacon = all of it / 100; consumer = total − ingress;
//   no_queue  100 pixels with `DNT: 1`: our whole Rust ingress flow and the GIF, but no
//             hashing and no queue; the control only answers;
//   not_found 100 requests outside /ingress/: what invoking the worker at all costs.
// The two workers take turns in blocks of 10 requests (who starts alternates by round), so a
// change in machine load hits both alike; every reading follows a 150 ms settle so deferred
// work (acks, the broker's bookkeeping) lands in its own phase and idle ticks cancel in the
// difference. Figures are medians over rounds with p25–p75. The aggregator (SHYNET_BIN, else
// target/debug/shynet) is another process: its CPU is not counted.
//
// usage: node bench/edge_cpu.mjs [rounds=30]   after sh edge-worker/build.sh
//   EDGE_WORKER_SCRIPT=dir/index.js measures another build (e.g. an older commit's) the same
//   way. bench/edge_cpu.sh builds the release binaries, runs this and appends to RESULTS.md.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import { Miniflare, Log, LogLevel } from "miniflare";
import { startAggregator, startWorker, createService, eventually, CHROME_UA } from "../edge-worker/test/harness.mjs";

const ROUNDS = Number(process.argv[2] ?? 30);
const PER_ROUND = 100; // = the consumers' maxBatchSize: one batch per round
const BLOCK = 10;
const SETTLE_MS = 150;
const QUEUE = { maxBatchSize: PER_ROUND, maxBatchTimeout: 30 };
const CF = { country: "DE", region: "Berlin", city: "Berlin", latitude: "52.52000", longitude: "13.40500",
  timezone: "Europe/Berlin", asn: 3320, asOrganization: "Deutsche Telekom AG", colo: "TXL" };

/** workerd processes below this node process. */
function workerdPids() {
  const out = execFileSync("ps", ["-eo", "pid=,ppid=,comm="], { encoding: "utf8" });
  const rows = out.trim().split("\n").map((l) => l.trim().split(/\s+/));
  const mine = new Set([String(process.pid)]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const [pid, ppid] of rows) if (mine.has(ppid) && !mine.has(pid)) { mine.add(pid); grew = true; }
  }
  return rows.filter(([pid, , comm]) => mine.has(pid) && comm.startsWith("workerd")).map(([pid]) => pid);
}
/** CPU time (ms) of all threads of `pids`, from the scheduler's nanosecond counters. */
const cpuMs = (pids) => pids.reduce((sum, pid) => {
  for (const t of fs.readdirSync(`/proc/${pid}/task`)) {
    try { sum += Number(fs.readFileSync(`/proc/${pid}/task/${t}/schedstat`, "utf8").split(" ")[0]) / 1e6; } catch { /* thread gone */ }
  }
  return sum;
}, 0);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const quantile = (xs, q) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(q * s.length))]; };
const stats = (xs) => ({ median: +quantile(xs, 0.5).toFixed(3), p25: +quantile(xs, 0.25).toFixed(3), p75: +quantile(xs, 0.75).toFixed(3) });

// The bench's HTTP server: passes our worker's config and batch requests to the aggregator
// (counting the beacons of every 2xx batch, keeping the first beacon as the control's message)
// and is the control's sink.
const seen = { ours: 0, control: 0, sample: null };
let aggBase;
const server = http.createServer((req, res) => {
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", () => {
    const body = Buffer.concat(chunks);
    if (req.url === "/sink") {
      seen.control += JSON.parse(body).length;
      res.writeHead(200, { "content-type": "application/json" }).end('{"ok":true}');
      return;
    }
    const up = http.request(aggBase + req.url, { method: req.method, headers: req.headers }, (ur) => {
      const out = [];
      ur.on("data", (c) => out.push(c));
      ur.on("end", () => {
        if (req.url.startsWith("/ingest/v1/batch") && ur.statusCode < 300) {
          const beacons = JSON.parse(body).beacons;
          seen.sample ??= JSON.stringify(beacons[0]);
          seen.ours += beacons.length;
        }
        res.writeHead(ur.statusCode, ur.headers).end(Buffer.concat(out));
      });
    });
    up.on("error", () => res.writeHead(502).end());
    up.end(body);
  });
});

// The control: only what the platform forces per beacon.
const CONTROL = `
let pixel, notFound;
export default {
  async fetch(req, env) {
    if (!req.url.includes("/ingress/")) {
      notFound ??= new Uint8Array(env.NOT_FOUND.body);
      return new Response(notFound, { status: env.NOT_FOUND.status, headers: env.NOT_FOUND.headers });
    }
    if (req.headers.get("dnt") !== "1") await env.BEACONS.send(env.MESSAGE, { contentType: "text" });
    pixel ??= new Uint8Array(env.PIXEL.body);
    return new Response(pixel, { status: env.PIXEL.status, headers: env.PIXEL.headers });
  },
  async queue(batch, env) {
    const body = "[" + batch.messages.map((m) => m.body).join(",") + "]";
    const r = await fetch(env.SINK_URL, { method: "POST", headers: { "content-type": "application/json" }, body });
    await r.arrayBuffer();
    if (r.ok) batch.ackAll(); else batch.retryAll();
  },
};`;

/** An answer as a JSON binding: status, headers (minus the per-response ones), body bytes. */
const answerOf = ({ r, body }) => ({
  status: r.status,
  headers: Object.fromEntries([...r.headers].filter(([k]) => !["content-length", "date"].includes(k))),
  body: [...body],
});

await new Promise((r) => server.listen(0, "127.0.0.1", r));
const local = `http://127.0.0.1:${server.address().port}`;
const agg = await startAggregator();
aggBase = agg.base;
let ours, control;
try {
  ours = startWorker({ aggregatorUrl: local, vars: { CONFIG_TTL_SECS: "60" }, consumer: QUEUE, cf: CF, script: process.env.EDGE_WORKER_SCRIPT || undefined });
  await ours.ready;
  const oursPids = workerdPids();
  if (oursPids.length === 0) throw new Error("no workerd process found");
  const svc = createService(agg);
  let n = 0;
  const expected = { ours: 0, control: 0 };
  /** One request as both workers get it; `queued` says whether a beacon should be queued. */
  const request = (kind) => {
    const i = n++;
    if (kind === "not_found") return { url: "http://edge.test/nothing-here", init: {} };
    const headers = { "user-agent": CHROME_UA, "cf-connecting-ip": `198.51.${(i >> 8) & 255}.${i & 255}`, referer: `https://example.com/p/${i % 40}` };
    if (kind === "dnt") headers.dnt = "1";
    return { url: `http://edge.test/ingress/${svc}/pixel.gif`, init: { headers }, queued: kind === "beacon" };
  };
  const send = async (who, mf, { url, init, queued }) => {
    if (queued) expected[who]++;
    const r = await mf.dispatchFetch(url, init);
    const body = new Uint8Array(await r.arrayBuffer());
    return { r, body };
  };
  // Warm-up: config fetch, wasm instantiation, JIT, the first batch.
  let pixelAnswer;
  for (let i = 0; i < PER_ROUND; i++) pixelAnswer = await send("ours", ours, request("beacon"));
  if (pixelAnswer.r.status !== 200 || pixelAnswer.body.length !== 43) throw new Error(`pixel answered ${pixelAnswer.r.status}`);
  await eventually(() => seen.ours === expected.ours, { timeout: 60_000, what: "warm-up batch" });
  const notFoundAnswer = await send("ours", ours, request("not_found"));

  control = new Miniflare({
    log: new Log(LogLevel.ERROR),
    modules: true,
    script: CONTROL,
    compatibilityDate: "2026-04-20",
    bindings: { SINK_URL: `${local}/sink`, MESSAGE: seen.sample, PIXEL: answerOf(pixelAnswer), NOT_FOUND: answerOf(notFoundAnswer) },
    queueProducers: { BEACONS: { queueName: "control-beacons" } },
    queueConsumers: { "control-beacons": { ...QUEUE, maxRetries: 20 } },
    cf: CF,
  });
  await control.ready;
  const controlPids = workerdPids().filter((p) => !oursPids.includes(p));
  if (controlPids.length === 0) throw new Error("no workerd process found for the control");
  for (let i = 0; i < PER_ROUND; i++) {
    const a = await send("control", control, request("beacon"));
    if (Buffer.compare(Buffer.from(a.body), Buffer.from(pixelAnswer.body)) !== 0) throw new Error("the control answered other bytes");
  }
  await eventually(() => seen.control === expected.control, { timeout: 60_000, what: "control warm-up batch" });

  const workers = [
    { who: "ours", mf: ours, pids: oursPids, rows: [] },
    { who: "control", mf: control, pids: controlPids, rows: [] },
  ];
  /** `count` requests of `kind` to both workers, taking turns in blocks. */
  const alternate = async (count, kind, order) => {
    for (let start = 0; start < count; start += BLOCK) {
      const block = Array.from({ length: Math.min(BLOCK, count - start) }, () => request(kind));
      for (const w of order) for (const req of block) await send(w.who, w.mf, req);
    }
  };
  const reading = async () => { await sleep(SETTLE_MS); return workers.map((w) => cpuMs(w.pids)); };
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 ? [...workers].reverse() : workers;
    const t0 = await reading();
    await alternate(PER_ROUND - 1, "beacon", order);
    const t1 = await reading();
    await alternate(1, "beacon", order);
    await eventually(() => seen.ours === expected.ours && seen.control === expected.control,
      { timeout: 60_000, interval: 20, what: "round delivered" });
    const t2 = await reading();
    await alternate(PER_ROUND, "dnt", order);
    const t3 = await reading();
    await alternate(PER_ROUND, "not_found", order);
    const t4 = await reading();
    workers.forEach((w, i) => {
      const ingress = (t1[i] - t0[i]) / (PER_ROUND - 1);
      const total = (t2[i] - t0[i]) / PER_ROUND;
      w.rows.push({ total, ingress, consumer: total - ingress, no_queue: (t3[i] - t2[i]) / PER_ROUND, not_found: (t4[i] - t3[i]) / PER_ROUND });
    });
  }
  await eventually(() => Number(agg.sql(`SELECT count(*) FROM hits WHERE service_id='${svc}'`)) === seen.ours,
    { timeout: 30_000, what: "every beacon stored" });

  const [o, c] = workers;
  const phase = (k) => ({
    ours: stats(o.rows.map((r) => r[k])),
    control: stats(c.rows.map((r) => r[k])),
    attributable: stats(o.rows.map((r, i) => r[k] - c.rows[i][k])),
  });
  console.log(JSON.stringify({
    rounds: ROUNDS, beacons_per_round: PER_ROUND, message_bytes: Buffer.byteLength(seen.sample),
    worker: process.env.EDGE_WORKER_SCRIPT || "edge-worker/build/index.js",
    ms_per_beacon: Object.fromEntries(["total", "ingress", "consumer", "no_queue", "not_found"].map((k) => [k, phase(k)])),
    stored: seen.ours, control_delivered: seen.control,
  }));
} finally {
  await control?.dispose();
  await ours?.dispose();
  await agg.stop();
  server.close();
}
