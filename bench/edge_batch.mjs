// Batch endpoint throughput: signed batches of 100 beacons (the queue consumer's shape) POSTed
// to `POST /ingest/v1/batch` of a real `shynet serve` with its embedded Postgres on this
// machine, several in flight, each request signed afresh (new nonce) as the edge does.
// Reports beacons persisted per second, counted in Postgres.
//
// usage: node bench/edge_batch.mjs [batches=2000] [concurrency=8] [batch size=100]
//   SHYNET_BIN=target/release/shynet (default; build it with cargo build --release -p aggregator)
import http from "node:http";
import path from "node:path";
import { randomUUID } from "node:crypto";
import { startAggregator, createService, signature, ROOT, CHROME_UA, IPHONE_UA } from "../edge-worker/test/harness.mjs";

const BATCHES = Number(process.argv[2] ?? 2000);
const CONCURRENCY = Number(process.argv[3] ?? 8);
const SIZE = Number(process.argv[4] ?? 100);
const bin = process.env.SHYNET_BIN ?? path.join(ROOT, "target/release/shynet");

const agg = await startAggregator({ bin });
try {
  const services = [createService(agg), createService(agg, { collect_ips: true }), createService(agg, { ignore_robots: true })];
  const uas = [CHROME_UA, IPHONE_UA];
  const hex = (n) => n.toString(16).padStart(32, "0");
  let seq = 0;
  // Visitors drawn from a pool (VISITORS, default 20k: heavy reuse, so sessions are both
  // created and extended and concurrent batches contend for the same session rows); a third
  // of the beacons are script page views with tokens, some of them heartbeats.
  const POOL = Number(process.env.VISITORS ?? 20_000);
  function makeBatch() {
    const beacons = [];
    for (let i = 0; i < SIZE; i++) {
      const n = seq++;
      const v = Math.floor(Math.random() * POOL);
      const js = n % 3 === 0;
      beacons.push({
        service: services[v % services.length], time_ms: Date.now(), tracker: js ? "JS" : "PIXEL",
        idempotency: js ? `pv-${v}-${Math.floor(n / 3000)}` : null,
        location: `https://example.com/page/${n % 50}`, referrer: js ? "https://www.google.com/" : "",
        load_time: js ? 250 : null, user_agent: uas[v % 2], visitor: hex(v),
        ip: "203.0.113." + (v % 250),
        geo: { country: "DE", region: "Berlin", city: "Berlin", latitude: 52.52, longitude: 13.4, time_zone: "Europe/Berlin", asn: 3320, as_org: "DTAG", colo: "TXL" },
      });
    }
    // As the edge consumer sends them: each beacon's queue message id, recorded for exactly-once.
    const message_ids = beacons.map(() => randomUUID().replaceAll("-", ""));
    return JSON.stringify({ batch_id: randomUUID(), beacons, message_ids });
  }
  const bodies = Array.from({ length: BATCHES }, makeBatch);
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const url = new URL("/ingest/v1/batch", agg.base);
  function post(body) {
    return new Promise((resolve, reject) => {
      const req = http.request(url, { method: "POST", agent, headers: { "x-shynet-signature": signature({ body }), "content-type": "application/json" } }, (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode));
      });
      req.on("error", reject);
      req.end(body);
    });
  }
  // Warm-up (service cache, UA cache, prepared statements), not counted.
  for (let i = 0; i < 5; i++) await post(makeBatch());
  const before = Number(agg.sql("SELECT count(*) FROM hits")) + Number(agg.sql("SELECT coalesce(sum(heartbeats),0) FROM hits"));
  let next = 0, failed = 0;
  const started = process.hrtime.bigint();
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (next < bodies.length) {
      const status = await post(bodies[next++]);
      if (status !== 200) failed++;
    }
  }));
  const secs = Number(process.hrtime.bigint() - started) / 1e9;
  const after = Number(agg.sql("SELECT count(*) FROM hits")) + Number(agg.sql("SELECT coalesce(sum(heartbeats),0) FROM hits"));
  const persisted = after - before;
  console.log(JSON.stringify({
    batches: BATCHES, batch_size: SIZE, concurrency: CONCURRENCY, failed,
    beacons_sent: BATCHES * SIZE, beacons_persisted: persisted, seconds: +secs.toFixed(2),
    beacons_per_second: Math.round(persisted / secs), batches_per_second: Math.round(BATCHES / secs),
    visitors: POOL, binary: path.relative(ROOT, bin),
  }));
  agent.destroy();
} finally {
  await agg.stop();
}
