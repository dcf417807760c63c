// The edge worker on the real workerd runtime (Miniflare), feeding a real aggregator (the
// `shynet` binary with its embedded Postgres) through the local queue. Build first:
//   sh edge-worker/build.sh && cargo build -p aggregator --bin shynet
//   node --test edge-worker/test/*.test.mjs
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import {
  startAggregator, startProxy, startWorker, createService, signature, eventually, delivered,
  CHROME_UA, IPHONE_UA, GOOGLEBOT_UA,
} from "./harness.mjs";

let agg, proxy, mf;

before(async () => {
  agg = await startAggregator();
  proxy = await startProxy(agg.base);
  mf = startWorker({ aggregatorUrl: proxy.url });
  await mf.ready;
});

after(async () => {
  await mf?.dispose();
  await proxy?.close();
  await agg?.stop();
});

const count = (sql) => Number(agg.sql(sql));
const hits = (svc) => count(`SELECT count(*) FROM hits WHERE service_id = '${svc}'`);
const sessions = (svc) => count(`SELECT count(*) FROM sessions WHERE service_id = '${svc}'`);

async function pixel(svc, { ip = "198.51.100.7", ua = CHROME_UA, page = "https://example.com/", headers = {}, cf, method = "GET" } = {}) {
  const r = await mf.dispatchFetch(`http://edge.test/ingress/${svc}/pixel.gif`, {
    method,
    headers: { "user-agent": ua, "cf-connecting-ip": ip, referer: page, ...headers },
    ...(cf ? { cf } : {}),
  });
  const body = Buffer.from(await r.arrayBuffer());
  return { r, body };
}

async function script(svc, payload, { ip = "198.51.100.8", ua = IPHONE_UA, headers = {}, cf, ident = "" } = {}) {
  const r = await mf.dispatchFetch(`http://edge.test/ingress/${svc}${ident ? "/" + ident : ""}/script.js`, {
    method: "POST",
    headers: { "user-agent": ua, "cf-connecting-ip": ip, "content-type": "text/plain;charset=UTF-8", origin: "https://example.com", ...headers },
    body: JSON.stringify(payload),
    ...(cf ? { cf } : {}),
  });
  return { r, text: await r.text() };
}

// A service created a moment ago, once the edge knows it (it refreshes its config for an
// unknown id at most once a second): its script is served instead of a 404. Fetching the
// script records nothing.
async function newService(settings) {
  const id = createService(agg, settings);
  await eventually(async () => {
    const r = await mf.dispatchFetch(`http://edge.test/ingress/${id}/script.js`);
    await r.arrayBuffer();
    return r.status === 200;
  }, { interval: 250, what: "the edge to know the new service" });
  return id;
}

test("pixel and script beacons land as hits and sessions with cf geography, classified UA, no IP", async () => {
  const svc = await newService();
  const px = await pixel(svc, { page: "https://example.com/home" });
  assert.equal(px.r.status, 200);
  assert.equal(px.r.headers.get("content-type"), "image/gif");
  assert.equal(px.r.headers.get("cache-control"), "no-cache, no-store, must-revalidate");
  assert.equal(px.body.length, 43);
  assert.equal(px.body.subarray(0, 6).toString(), "GIF89a");
  // Same bytes and headers as the aggregator's direct ingest.
  const other = createService(agg); // the aggregator's own answer, on a service we do not count
  const direct = await fetch(`${agg.base}/ingress/${other}/pixel.gif`, { headers: { "user-agent": CHROME_UA, referer: "https://example.com/x" } });
  assert.deepEqual(Buffer.from(await direct.arrayBuffer()), px.body);
  for (const h of ["content-type", "cache-control", "access-control-allow-origin", "access-control-allow-methods", "access-control-allow-headers"]) {
    assert.equal(px.r.headers.get(h), direct.headers.get(h), h);
  }

  const js = await script(svc, { idempotency: "pv-1", referrer: "https://www.google.com/", location: "https://example.com/pricing", loadTime: 321 },
    { cf: { country: "JP", region: "Tokyo", city: "Tokyo", latitude: "35.68950", longitude: "139.69171", timezone: "Asia/Tokyo", asn: 2516, asOrganization: "KDDI CORPORATION", colo: "NRT" } });
  assert.equal(js.r.status, 200);
  assert.equal(js.text, '{"status": "OK"}');
  assert.equal(js.r.headers.get("access-control-allow-origin"), "https://example.com");
  // A heartbeat (same token) is not a new hit.
  await script(svc, { idempotency: "pv-1", referrer: "https://www.google.com/", location: "https://example.com/pricing", loadTime: 321 },
    { cf: { country: "JP", colo: "NRT" } });

  // All three beacons (pixel, page view, heartbeat) delivered and acknowledged: nothing more
  // can arrive.
  await eventually(() => delivered(proxy, svc, ["https://example.com/home", "https://example.com/pricing"]) &&
    proxy.state.exchanges.flatMap((e) => (e.status === 200 && e.body ? e.body.beacons : [])).filter((b) => b.service === svc).length >= 3,
  { what: "3 beacons delivered" });
  assert.equal(hits(svc), 2);
  assert.equal(agg.sql(`SELECT string_agg(tracker || ':' || heartbeats, ',' ORDER BY tracker) FROM hits WHERE service_id='${svc}'`), "JS:1,PIXEL:0");
  assert.equal(sessions(svc), 2);
  const rows = agg.sql(`SELECT h.tracker, s.country, s.region, s.city, round(s.latitude::numeric,2), round(s.longitude::numeric,2), s.time_zone, s.asn, s.as_org,
      s.browser, s.os, s.device_type, s.ip IS NULL, s.user_agent, h.location, h.referrer, h.load_time
    FROM hits h JOIN sessions s ON s.id = h.session_id WHERE h.service_id = '${svc}' ORDER BY h.tracker`).split("\n").map((l) => l.split("|"));
  assert.deepEqual(rows[0], ["JS", "JP", "Tokyo", "Tokyo", "35.69", "139.69", "Asia/Tokyo", "2516", "KDDI CORPORATION",
    "Mobile Safari", "iOS", "PHONE", "t", "", "https://example.com/pricing", "https://www.google.com/", "321"]);
  assert.deepEqual(rows[1], ["PIXEL", "DE", "Berlin", "Berlin", "52.52", "13.41", "Europe/Berlin", "3320", "Deutsche Telekom AG",
    "Chrome", "Windows", "DESKTOP", "t", "", "https://example.com/home", "", ""]);
  assert.equal(count(`SELECT count(*) FROM sessions WHERE service_id='${svc}' AND ip IS NOT NULL`), 0);
});

test("a service that collects IPs gets them; identifiers, HEAD and preflight work as on the aggregator", async () => {
  const svc = await newService({ collect_ips: true });
  const head = await pixel(svc, { method: "HEAD", ip: "203.0.113.50" });
  assert.equal(head.r.status, 200);
  const ident = await script(svc, { idempotency: "i-1", location: "https://example.com/a" }, { ident: "user%2042", ip: "203.0.113.51" });
  assert.equal(ident.r.status, 200);
  const pre = await mf.dispatchFetch(`http://edge.test/ingress/${svc}/script.js`, {
    method: "OPTIONS", headers: { origin: "https://example.com", "access-control-request-method": "POST" },
  });
  assert.equal(pre.status, 204);
  assert.equal(pre.headers.get("access-control-max-age"), "86400");
  assert.equal(pre.headers.get("access-control-allow-origin"), "https://example.com");
  await pre.arrayBuffer();
  const bad = await script(svc, "not an object");
  assert.equal(bad.r.status, 400);
  assert.match(bad.text, /JSON object/);
  const post = await mf.dispatchFetch(`http://edge.test/ingress/${svc}/pixel.gif`, { method: "POST" });
  assert.equal(post.status, 405);
  assert.equal(post.headers.get("allow"), "GET, HEAD, OPTIONS");
  await post.arrayBuffer();
  const unknown = await pixel("00000000-0000-4000-8000-000000000000");
  assert.equal(unknown.r.status, 404);

  await eventually(() => hits(svc) === 2, { what: "2 hits" });
  assert.equal(agg.sql(`SELECT string_agg(host(ip) || '/' || identifier, ',' ORDER BY host(ip)) FROM sessions WHERE service_id='${svc}'`),
    "203.0.113.50/,203.0.113.51/user 42");
});

test("the script served at the edge is the aggregator's, byte for byte, and posts back to the edge", async () => {
  const svc = await newService();
  const edge = await mf.dispatchFetch(`http://edge.test/ingress/${svc}/script.js`);
  const direct = await fetch(`${agg.base}/ingress/${svc}/script.js`, { headers: { "accept-encoding": "identity" } });
  assert.equal(edge.status, 200);
  assert.equal(await edge.text(), await direct.text());
  for (const h of ["content-type", "cache-control", "etag"]) assert.equal(edge.headers.get(h), direct.headers.get(h), h);
  const again = await mf.dispatchFetch(`http://edge.test/ingress/${svc}/script.js`, { headers: { "if-none-match": edge.headers.get("etag") } });
  assert.equal(again.status, 304);
  await again.arrayBuffer();
});

test("DNT, ignored IPs and robots are dropped at the edge; settings changes arrive within the TTL", async () => {
  const svc = await newService({ ignore_robots: true, ignored_ips: "192.0.2.0/24" });
  assert.equal((await pixel(svc, { headers: { dnt: "1" }, page: "https://example.com/dnt" })).r.status, 200);
  assert.equal((await pixel(svc, { headers: { "sec-gpc": "1" }, page: "https://example.com/gpc" })).r.status, 200);
  assert.equal((await pixel(svc, { ip: "192.0.2.9", page: "https://example.com/ignored" })).r.status, 200);
  assert.equal((await pixel(svc, { ua: GOOGLEBOT_UA, page: "https://example.com/bot" })).r.status, 200);
  assert.equal((await pixel(svc, { page: "https://example.com/ok" })).r.status, 200);
  await eventually(() => hits(svc) === 1, { what: "the one tracked hit" });

  // Owner turns DNT respect off and moves the ignored network; within the TTL (2 s here,
  // at most 60 s in production) the edge follows.
  agg.sql(`UPDATE services SET respect_dnt = false, ignored_ips = '198.51.100.0/24' WHERE id = '${svc}'`);
  const changedAt = Date.now();
  await eventually(async () => {
    await pixel(svc, { ip: "192.0.2.10", headers: { dnt: "1" }, page: "https://example.com/after" });
    return count(`SELECT count(*) FROM hits WHERE service_id='${svc}' AND location='https://example.com/after'`) > 0;
  }, { timeout: 15_000, interval: 500, what: "DNT change to reach the edge" });
  assert.ok(Date.now() - changedAt < 2_000 + 5_000, "within TTL + queue delivery");
  // A beacon from the newly ignored network, then one that is tracked: once the second was
  // delivered, the first (queued before it, had it been queued) would have been too.
  await pixel(svc, { ip: "198.51.100.77", page: "https://example.com/now-ignored" });
  await pixel(svc, { ip: "203.0.113.77", page: "https://example.com/marker" });
  await eventually(() => delivered(proxy, svc, ["https://example.com/marker"]), { what: "the marker beacon" });
  const sent = proxy.state.exchanges.flatMap((e) => (e.body ? e.body.beacons : [])).map((b) => b.location);
  assert.ok(!sent.includes("https://example.com/now-ignored"), "the newly ignored network is dropped at the edge");
  assert.equal(count(`SELECT count(*) FROM hits WHERE service_id='${svc}' AND location='https://example.com/now-ignored'`), 0);
});

test("beacons dropped at the edge reach the dropped-traffic report, counted once", async () => {
  // Its script is refused without an allowed origin, so wait for the edge to know it with a
  // tracked page view (one hit) instead of the script.
  const svc = createService(agg, { ignore_robots: true, ignored_ips: "192.0.2.0/24", origins: "https://example.com" });
  await eventually(async () => (await pixel(svc, { page: "https://example.com/known" })).r.status === 200,
    { interval: 250, what: "the edge to know the new service" });
  assert.equal((await pixel(svc, { headers: { dnt: "1" } })).r.status, 200);
  assert.equal((await pixel(svc, { headers: { dnt: "1" } })).r.status, 200);
  assert.equal((await pixel(svc, { headers: { "sec-gpc": "1" } })).r.status, 200);
  assert.equal((await pixel(svc, { ip: "192.0.2.9" })).r.status, 200);
  assert.equal((await pixel(svc, { ua: GOOGLEBOT_UA })).r.status, 200);
  assert.equal((await script(svc, {}, { headers: { origin: "https://evil.example" } })).r.status, 403);
  // The counters travel as their own queue messages in batches without beacons; the
  // aggregator writes them with its maintenance pass (every 10 s).
  const report = () => Object.fromEntries(agg.sql(
    `SELECT reason, count FROM dropped_beacons WHERE service_id = '${svc}' ORDER BY reason`,
  ).split("\n").filter(Boolean).map((l) => l.split("|")).map(([k, v]) => [k, Number(v)]));
  await eventually(() => report().origin === 1 && report().dnt === 2, { timeout: 30_000, interval: 500, what: "the edge's drops in the report" });
  assert.deepEqual(report(), { bot: 1, dnt: 2, gpc: 1, ignored_ip: 1, origin: 1 });
  const dropBatches = proxy.state.exchanges.filter((e) => e.body && e.body.drops && e.body.drops.some((d) => d.service === svc));
  assert.ok(dropBatches.length >= 1 && dropBatches.every((e) => e.body.beacons.length === 0), "drops travel in batches of their own");
  await eventually(() => hits(svc) === 1, { what: "the one tracked page view" });
});

test("a tampered or stale batch is rejected and the same batch twice is stored once", async () => {
  const svc = await newService();
  const beacon = (n) => ({
    service: svc, time_ms: Date.now(), tracker: "PIXEL", location: `https://example.com/direct-${n}`,
    user_agent: CHROME_UA, visitor: "ab".repeat(16), geo: { country: "FR" },
  });
  const body = JSON.stringify({ batch_id: `manual-${svc}`, beacons: [beacon(1), beacon(2)] });
  const post = (b, sig) => fetch(`${agg.base}/ingest/v1/batch`, { method: "POST", headers: { "x-shynet-signature": sig }, body: b });
  const tampered = body.replace("direct-1", "direct-9");
  let r = await post(tampered, signature({ body }));
  assert.equal(r.status, 401);
  assert.match(await r.text(), /does not match/);
  r = await post(body, signature({ body, t: Math.floor(Date.now() / 1000) - 301 }));
  assert.equal(r.status, 401);
  assert.match(await r.text(), /window/);
  r = await post(body, signature({ body, secret: "wrong-secret" }));
  assert.equal(r.status, 401);
  await r.text();
  // Signed for the config GET: not a batch signature.
  r = await post(body, signature({ body, method: "GET", path: "/ingest/v1/config" }));
  assert.equal(r.status, 401);
  await r.text();
  // The same batch twice, each time signed afresh (as the edge re-sends): stored once.
  for (const expectApplied of [true, false]) {
    r = await post(body, signature({ body }));
    assert.equal(r.status, 200);
    assert.equal((await r.json()).applied, expectApplied);
  }
  // The exact request again (same signature, same nonce): a replay, refused.
  const captured = signature({ body });
  assert.equal((await post(body, captured)).status, 200);
  r = await post(body, captured);
  assert.equal(r.status, 401);
  assert.match(await r.text(), /nonce already used/);
  assert.equal(hits(svc), 2);
});

test("aggregator answering 503, then losing acks, then down: retries deliver every beacon exactly once", async () => {
  const svc = await newService();
  // Warm the config, then fail the next 3 batch deliveries outright.
  await pixel(svc, { page: "https://example.com/warm" });
  await eventually(() => hits(svc) === 1, { what: "warm-up hit" });

  const postsBefore = proxy.state.batchPosts.length;
  proxy.state.mode = "fail";
  proxy.state.failBatches = 3;
  for (let i = 0; i < 10; i++) await pixel(svc, { ip: `198.51.100.${100 + i}`, page: `https://example.com/fail-${i}` });
  await eventually(() => hits(svc) === 11, { timeout: 30_000, what: "all 10 beacons after 503s" });
  assert.ok(proxy.state.batchPosts.slice(postsBefore).filter((s) => s === 503).length >= 3, JSON.stringify(proxy.state.batchPosts));

  // The aggregator commits but the edge never hears it (a bare 503): the edge re-sends the
  // beacons fenced on that batch id, and the aggregator recognises them.
  const posts2 = proxy.state.batchPosts.length;
  proxy.state.mode = "lose-ack";
  proxy.state.failBatches = 2;
  for (let i = 0; i < 10; i++) await pixel(svc, { ip: `198.51.100.${120 + i}`, page: `https://example.com/lost-${i}` });
  await eventually(() => proxy.state.failBatches === 0 && proxy.state.batchPosts.slice(posts2).some((s) => s === 200),
    { timeout: 30_000, what: "lost acks and redelivery" });
  const lost = Array.from({ length: 10 }, (_, i) => `https://example.com/lost-${i}`);
  await eventually(() => delivered(proxy, svc, lost), { timeout: 30_000, what: "every beacon of the lost batches acknowledged" });
  assert.equal(hits(svc), 21, "no beacon applied twice");
  assert.ok(proxy.state.fencedPosts >= 1, "beacons of the lost batches were re-sent with fences");
  // Every batch names each beacon's queue message, and a re-sent copy keeps its first message
  // id (so a redelivery in any grouping is recognised per beacon, even without the fence).
  // (Batches of drop counters carry no beacons and no message ids.)
  const bodies = proxy.state.batchBodies.filter((b) => b.beacons.length > 0);
  for (const b of bodies) assert.equal(b.message_ids?.length, b.beacons.length, "message ids per beacon");
  const fenced = bodies.filter((b) => b.fences?.some((f) => f.length > 0));
  assert.ok(fenced.length >= 1);
  for (const b of fenced) {
    b.fences.forEach((f, i) => {
      if (f.length === 0) return;
      const earlier = bodies.find((o) => o.batch_id === f[f.length - 1]);
      assert.ok(earlier, "the fenced batch was posted before");
      assert.ok(earlier.message_ids.includes(b.message_ids[i]), "a re-sent beacon keeps its first message id");
    });
  }
  assert.equal(count(`SELECT count(DISTINCT location) FROM hits WHERE service_id='${svc}'`), 21);

  // Aggregator unreachable: the edge keeps answering from its last good config and the queue
  // holds the beacons until it is back.
  // Beacons are sent until the edge has tried (and failed) to refresh its config past the
  // TTL; every one is answered from the last good copy.
  proxy.state.mode = "down";
  const configGets = proxy.state.configGets;
  const down = [];
  await eventually(async () => {
    const page = `https://example.com/down-${down.length}`;
    const { r } = await pixel(svc, { ip: `198.51.100.${140 + (down.length % 100)}`, page });
    assert.equal(r.status, 200, "served from the last good config");
    down.push(page);
    return down.length >= 5 && proxy.state.configGets > configGets;
  }, { timeout: 20_000, interval: 250, what: "a failed config refresh during the outage" });
  // A delivery was attempted and failed: nothing landed while the aggregator was away.
  await eventually(() => proxy.state.batchBodies.some((b) => b.beacons?.some((x) => x.location === down[0])),
    { what: "a delivery attempt during the outage" });
  assert.equal(hits(svc), 21);
  proxy.state.mode = "pass";
  await eventually(() => delivered(proxy, svc, down), { timeout: 30_000, what: "beacons held during the outage" });
  assert.equal(hits(svc), 21 + down.length);
  // Batches that never reached the aggregator were fenced when their beacons came back.
  assert.ok(count("SELECT count(*) FROM ingest_batches WHERE beacons = -1") >= 1);
  assert.equal(count(`SELECT count(DISTINCT location) FROM hits WHERE service_id='${svc}'`), 21 + down.length);
});

test("AGGREGATOR_URL must be https unless it is local or insecure transport is explicitly allowed", async () => {
  const svc = await newService();
  // Every fetch the worker makes goes through here (recorded), and on to the local aggregator.
  const seen = [];
  const outboundService = async (req) => {
    seen.push(`${req.method} ${req.url}`);
    const u = new URL(req.url);
    const headers = {};
    for (const h of ["x-shynet-signature", "content-type"]) if (req.headers.get(h)) headers[h] = req.headers.get(h);
    const body = req.method === "GET" ? undefined : Buffer.from(await req.arrayBuffer());
    return fetch(`${agg.base}${u.pathname}${u.search}`, { method: req.method, headers, body });
  };
  const script = async (w) => {
    const r = await w.dispatchFetch(`http://edge.test/ingress/${svc}/script.js`);
    await r.arrayBuffer();
    return r.status;
  };
  const cases = [
    // Refused: the config (salts) and the batches (visitors' data) would cross the network
    // in the clear. The worker makes no request at all and has no config to serve with.
    { url: "http://aggregator.example.com", vars: {}, status: 503, fetched: [] },
    { url: "http://127.0.0.1.example.com:8080", vars: {}, status: 503, fetched: [] },
    { url: "http://localhost@aggregator.example.com", vars: {}, status: 503, fetched: [] },
    { url: "http://aggregator.example.com", vars: { ALLOW_INSECURE_AGGREGATOR: "yes" }, status: 503, fetched: [] },
    // The operator's explicit opt-in, and https.
    { url: "http://aggregator.example.com", vars: { ALLOW_INSECURE_AGGREGATOR: "1" }, status: 200,
      fetched: ["GET http://aggregator.example.com/ingest/v1/config"] },
    { url: "https://aggregator.example.com/", vars: {}, status: 200, fetched: ["GET https://aggregator.example.com/ingest/v1/config"] },
  ];
  for (const c of cases) {
    seen.length = 0;
    const w = startWorker({ aggregatorUrl: c.url, vars: c.vars, outboundService });
    try {
      await w.ready;
      assert.equal(await script(w), c.status, `${c.url} ${JSON.stringify(c.vars)}`);
      assert.deepEqual(seen, c.fetched, `${c.url} ${JSON.stringify(c.vars)}`);
    } finally {
      await w.dispose();
    }
  }
});

test("a cold edge during an aggregator outage answers 503 at once, then recovers", async () => {
  const svc = await newService();
  proxy.state.mode = "down";
  const cold = startWorker({ aggregatorUrl: proxy.url });
  try {
    await cold.ready;
    const hit = async () => {
      const r = await cold.dispatchFetch(`http://edge.test/ingress/${svc}/pixel.gif`, { headers: { "user-agent": CHROME_UA, referer: "https://example.com/cold" } });
      await r.arrayBuffer();
      return r.status;
    };
    assert.equal(await hit(), 503);
    const started = Date.now();
    assert.equal(await hit(), 503);
    assert.ok(Date.now() - started < 500, "no config fetch while backing off");
    proxy.state.mode = "pass";
    await eventually(async () => (await hit()) === 200, { timeout: 10_000, interval: 300, what: "recovery" });
    await eventually(() => hits(svc) >= 1, { what: "the first beacon after recovery" });
  } finally {
    proxy.state.mode = "pass";
    await cold.dispose();
  }
});

test("beacons queued as JSON objects by an earlier worker version are still delivered (upgrade)", async () => {
  const svc = await newService();
  const queue = await mf.getQueueProducer("BEACONS");
  const old = (n) => ({
    service: svc, time_ms: Date.now(), tracker: "PIXEL", location: `https://example.com/upgrade-${n}`,
    user_agent: CHROME_UA, visitor: "cd".repeat(16), geo: { country: "FR" },
  });
  await queue.send(old(1), { contentType: "json" });
  await pixel(svc, { page: "https://example.com/upgrade-2" }); // a text message beside it
  await eventually(() => hits(svc) === 2, { what: "both beacons" });
  assert.equal(agg.sql(`SELECT string_agg(location || ' ' || coalesce(country, ''), ',' ORDER BY location)
    FROM hits h JOIN sessions s ON s.id = h.session_id WHERE h.service_id='${svc}'`),
    "https://example.com/upgrade-1 FR,https://example.com/upgrade-2 DE");
});

test("a message that is not a beacon is retried alone; the beacons beside it are delivered once", async () => {
  const svc = await newService();
  const logs = [];
  const w = startWorker({ aggregatorUrl: proxy.url, consumer: { maxBatchTimeout: 2, maxRetries: 1 }, onLog: (l) => { logs.push(l.message); } });
  try {
    await w.ready;
    const posts = proxy.state.batchPosts.length;
    const queue = await w.getQueueProducer("BEACONS");
    await queue.send("not a beacon", { contentType: "text" });
    for (let i = 0; i < 3; i++) {
      const r = await w.dispatchFetch(`http://edge.test/ingress/${svc}/pixel.gif`, {
        headers: { "user-agent": CHROME_UA, "cf-connecting-ip": `198.51.100.${60 + i}`, referer: `https://example.com/mixed-${i}` },
      });
      assert.equal(r.status, 200);
      await r.arrayBuffer();
    }
    await eventually(() => hits(svc) === 3, { what: "the 3 beacons" });
    // The garbage message was offered twice (once plus its one retry), then dead-lettered: the
    // consumer said so each time.
    await eventually(() => logs.filter((m) => m.includes("is not a beacon")).length >= 2, { what: "the garbage message's retry" });
    assert.equal(hits(svc), 3);
    assert.deepEqual(proxy.state.batchPosts.slice(posts), [200], "one delivery, acknowledged");
  } finally {
    await w.dispose();
  }
});
