// Soak-test edge traffic: signed batches of 100 beacons, as the edge queue consumer sends them,
// POSTed to a running `shynet serve` at a fixed rate for a fixed time. Prints one JSON line:
// batches sent, non-200 answers, p99 latency in ms, the largest backlog of batches due but not
// yet sent.
//
// Visitors come and go as on a real site: at any moment CONCURRENT visitors are on the site,
// each beacon is from one of them at random, and each visit lasts VISIT_SECS (the visits
// staggered, so some visitor leaves and a new one arrives every few milliseconds). A visitor
// who never left would keep one session open for the whole run, re-marking its start hour
// dirty in every batch, which no real traffic does.
//
// usage: node edge_feed.mjs BASE_URL SERVICE_ID SECRET BEACONS_PER_SECOND SECONDS
import http from "node:http";
import { randomUUID } from "node:crypto";
import { signature, CHROME_UA, IPHONE_UA } from "../../edge-worker/test/harness.mjs";

const [base, service, secret, rateArg, secsArg] = process.argv.slice(2);
const SIZE = 100;
const perSecond = Math.max(1, Math.round(Number(rateArg) / SIZE));
const until = Date.now() + Number(secsArg) * 1000;
const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
const url = new URL("/ingest/v1/batch", base);
const hex = (n) => n.toString(16).padStart(32, "0");
const CONCURRENT = 50_000;
const VISIT_SECS = 240;

/** The visitor on `slot` now: a new one every VISIT_SECS, the slots' changes spread evenly. */
function visitorOn(slot) {
  const visit = Math.floor((Date.now() / 1000 + (slot * VISIT_SECS) / CONCURRENT) / VISIT_SECS);
  return visit * CONCURRENT + slot;
}
let seq = Number(process.env.SOAK_SEQ ?? 0);

function batch() {
  const beacons = [];
  for (let i = 0; i < SIZE; i++) {
    const n = seq++;
    const v = visitorOn(Math.floor(Math.random() * CONCURRENT));
    const js = n % 3 === 0;
    beacons.push({
      service, time_ms: Date.now(), tracker: js ? "JS" : "PIXEL",
      idempotency: js ? `pv-${v}-${Math.floor(n / 3000)}` : null,
      location: `https://example.com/page/${n % 50}`, referrer: js ? "https://www.google.com/" : "",
      load_time: js ? 250 : null, user_agent: v % 2 ? CHROME_UA : IPHONE_UA, visitor: hex(v),
      ip: "203.0.113." + (v % 250),
      geo: { country: "DE", region: "Berlin", city: "Berlin", latitude: 52.52, longitude: 13.4, time_zone: "Europe/Berlin", asn: 3320, as_org: "DTAG", colo: "TXL" },
    });
  }
  const message_ids = beacons.map(() => randomUUID().replaceAll("-", ""));
  return JSON.stringify({ batch_id: randomUUID(), beacons, message_ids });
}

function post(body) {
  const t0 = process.hrtime.bigint();
  return new Promise((resolve) => {
    const req = http.request(url, { method: "POST", agent, headers: { "x-shynet-signature": signature({ body, secret }), "content-type": "application/json" } }, (res) => {
      res.resume();
      res.on("end", () => resolve([res.statusCode, Number(process.hrtime.bigint() - t0) / 1e6]));
    });
    req.on("error", () => resolve([0, Number(process.hrtime.bigint() - t0) / 1e6]));
    req.end(body);
  });
}

// At most IN_FLIGHT batches at once, like the edge consumer; a batch is built and signed when
// it is sent, so a server that falls behind shows as latency and backlog, never as signatures
// gone stale in the feed's own queue.
const IN_FLIGHT = 8;
const results = [];
const queue = [];
let inflight = 0;
let sent = 0;
let maxBacklog = 0;
let drained;
const allDone = new Promise((r) => { drained = r; });
let ticking = true;
function pump() {
  while (inflight < IN_FLIGHT && queue.length) {
    queue.shift();
    inflight++;
    post(batch()).then((r) => {
      results.push(r);
      inflight--;
      pump();
      if (!ticking && inflight === 0 && queue.length === 0) drained();
    });
  }
}
while (Date.now() < until) {
  const tick = Date.now();
  maxBacklog = Math.max(maxBacklog, queue.length); // left over from the second before
  for (let i = 0; i < perSecond; i++) { queue.push(1); sent++; }
  pump();
  await new Promise((r) => setTimeout(r, Math.max(0, 1000 - (Date.now() - tick))));
}
ticking = false;
if (inflight > 0 || queue.length > 0) await allDone;
const lat = results.map(([, ms]) => ms).sort((a, b) => a - b);
const p99 = lat.length ? lat[Math.min(lat.length - 1, Math.floor(lat.length * 0.99))] : 0;
console.log(JSON.stringify({ batches: sent, failed: results.filter(([s]) => s !== 200).length, p99_ms: +p99.toFixed(1), max_backlog: maxBacklog }));
agent.destroy();
