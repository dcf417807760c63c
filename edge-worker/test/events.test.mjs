// Custom events through the edge worker on workerd (Miniflare), into a real aggregator: both
// event routes with the aggregator's rules and answers, exactly once through the signed batch
// endpoint (also when an acknowledgement is lost), auto.js served byte for byte as the
// aggregator serves it, and no events queued for an aggregator that predates them. Build first:
//   sh edge-worker/build.sh && cargo build --bin shynet
//   node --test edge-worker/test/*.test.mjs
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import {
  startAggregator, startProxy, startWorker, createService, eventually, CHROME_UA, GOOGLEBOT_UA,
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
const events = (svc) => count(`SELECT count(*) FROM events WHERE service_id = '${svc}'`);

// A service the edge already knows (its config is refreshed for an unknown id).
async function newService(settings, worker = mf) {
  const id = createService(agg, settings);
  await eventually(async () => {
    const r = await worker.dispatchFetch(`http://edge.test/ingress/${id}/script.js`);
    await r.arrayBuffer();
    return r.status === 200;
  }, { interval: 250, what: "the edge to know the new service" });
  return id;
}

function send(worker, url, { method = "POST", body, ip = "198.51.100.31", ua = CHROME_UA, headers = {} } = {}) {
  return worker.dispatchFetch(url, {
    method,
    headers: { "user-agent": ua, "cf-connecting-ip": ip, origin: "https://example.com", "content-type": "text/plain;charset=UTF-8", ...headers },
    ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }),
  });
}

// Every delivered batch's event beacons of a service (as the edge sent them, answered 200).
const deliveredEvents = (svc) => proxy.state.exchanges
  .filter((e) => e.status === 200 && e.body)
  .flatMap((e) => e.body.beacons)
  .filter((b) => b.service === svc && b.event);

test("events at the edge land once, bound to their page view, with the aggregator's answers", async () => {
  const svc = await newService();
  const base = `http://edge.test/ingress/${svc}`;
  const pv = await send(mf, `${base}/script.js`, { body: { idempotency: "pv-e", location: "https://example.com/pricing" } });
  assert.equal(pv.status, 200);
  await pv.text();
  await eventually(() => count(`SELECT count(*) FROM hits WHERE service_id = '${svc}'`) === 1, { what: "the page view" });

  const body = { name: "Signup", props: { plan: "pro" }, page: "pv-e", idempotency: "e-1", location: "https://example.com/pricing" };
  const r = await send(mf, `${base}/event`, { body });
  assert.equal(r.status, 200);
  assert.equal(await r.text(), '{"status": "OK"}');
  assert.equal(r.headers.get("access-control-allow-origin"), "https://example.com");
  // The client's re-send with the same token, and the no-script form.
  await (await send(mf, `${base}/event`, { body })).text();
  const gif = await send(mf, `${base}/event.gif?name=404&p.path=%2Fgone`, { method: "GET", headers: { referer: "https://example.com/gone" } });
  assert.equal(gif.status, 200);
  assert.equal(gif.headers.get("content-type"), "image/gif");
  const bytes = Buffer.from(await gif.arrayBuffer());
  const other = createService(agg);
  const direct = await fetch(`${agg.base}/ingress/${other}/pixel.gif`, { headers: { "user-agent": CHROME_UA } });
  assert.deepEqual(bytes, Buffer.from(await direct.arrayBuffer()), "the aggregator's pixel");

  // All three delivered: the re-send was stored once.
  await eventually(() => deliveredEvents(svc).length >= 3, { what: "3 events delivered" });
  assert.equal(events(svc), 2);
  assert.equal(agg.sql(`SELECT string_agg(e.name || ':' || coalesce(e.props->>'plan', e.props->>'path') || ':' || (e.hit_id IS NOT DISTINCT FROM h.id) || ':' || (e.session_id = h.session_id), ',' ORDER BY e.name)
    FROM events e JOIN hits h ON h.service_id = e.service_id WHERE e.service_id = '${svc}'`),
  "404:/gone:false:true,Signup:pro:true:true");
  // An event is no page view; the event's page comes from Referer when the query has none.
  assert.equal(count(`SELECT count(*) FROM hits WHERE service_id = '${svc}'`), 1);
  assert.equal(agg.sql(`SELECT location FROM events WHERE service_id = '${svc}' AND name = '404'`), "https://example.com/gone");
  // The queued beacons carried the event as the aggregator reads it.
  const sent = deliveredEvents(svc).find((b) => b.event.name === "Signup");
  assert.deepEqual(sent.event, { name: "Signup", props: { plan: "pro" }, token: "e-1", page: "pv-e" });
  assert.equal(sent.idempotency ?? null, null, "an event carries no page-view token of its own");
});

test("bad events get the aggregator's 400 and reason at the edge; DNT and robots drop them", async () => {
  const svc = await newService({ ignore_robots: true });
  const base = `http://edge.test/ingress/${svc}`;
  const many = Object.fromEntries(Array.from({ length: 31 }, (_, i) => [`k${i}`, "v"]));
  for (const [body, reason] of [
    [{ name: "a", props: { n: 1 } }, "props: values must be strings"],
    [{ name: "a", props: many }, "props: at most 30 pairs"],
    [{ name: "Sign\u0007up" }, "name: no control characters"],
    [{ props: {} }, "name: required"],
  ]) {
    const r = await send(mf, `${base}/event`, { body });
    const direct = await fetch(`${agg.base}/ingress/${svc}/event`, {
      method: "POST", headers: { origin: "https://example.com" }, body: JSON.stringify(body),
    });
    assert.equal(r.status, 400);
    const text = await r.text();
    assert.equal(text, await direct.text(), "the aggregator's answer, byte for byte");
    assert.equal(JSON.parse(text).reason, reason);
  }
  const wrong = await send(mf, `${base}/event`, { method: "GET" });
  assert.equal(wrong.status, 405);
  assert.equal(wrong.headers.get("allow"), "POST, OPTIONS");
  await wrong.arrayBuffer();
  // Dropped with the usual answer, never queued.
  for (const o of [{ headers: { dnt: "1" } }, { headers: { "sec-gpc": "1" } }, { ua: GOOGLEBOT_UA }]) {
    const r = await send(mf, `${base}/event`, { body: { name: "Dropped" }, ...o });
    assert.equal(r.status, 200);
    await r.text();
  }
  const marker = await send(mf, `${base}/event`, { body: { name: "Marker" } });
  assert.equal(marker.status, 200);
  await marker.text();
  await eventually(() => deliveredEvents(svc).some((b) => b.event.name === "Marker"), { what: "the marker event" });
  assert.ok(!deliveredEvents(svc).some((b) => b.event.name === "Dropped"), "dropped at the edge");
  assert.equal(events(svc), 1);
});

test("auto.js at the edge is the aggregator's, byte for byte, one variant per feature set", async () => {
  const svc = await newService();
  const edge = await mf.dispatchFetch(`http://edge.test/ingress/${svc}/auto.js?f=outbound,404`);
  const direct = await fetch(`${agg.base}/ingress/${svc}/auto.js?f=outbound,404`, { headers: { "accept-encoding": "identity" } });
  assert.equal(edge.status, 200);
  const text = await edge.text();
  assert.equal(text, await direct.text());
  assert.ok(text.includes("Outbound Link: Click"));
  for (const h of ["content-type", "cache-control", "etag"]) assert.equal(edge.headers.get(h), direct.headers.get(h), h);
  const again = await mf.dispatchFetch(`http://edge.test/ingress/${svc}/auto.js?f=404,outbound`, { headers: { "if-none-match": edge.headers.get("etag") } });
  assert.equal(again.status, 304);
  await again.arrayBuffer();
});

test("an event whose delivery lost its acknowledgement is stored once", async () => {
  const svc = await newService();
  const base = `http://edge.test/ingress/${svc}`;
  const posts = proxy.state.batchPosts.length;
  proxy.state.mode = "lose-ack";
  proxy.state.failBatches = 1;
  try {
    const r = await send(mf, `${base}/event`, { body: { name: "Signup", props: { plan: "free" } } });
    assert.equal(r.status, 200);
    await r.text();
    await eventually(() => proxy.state.failBatches === 0 && proxy.state.batchPosts.slice(posts).some((s) => s === 200),
      { timeout: 30_000, what: "the lost acknowledgement and the re-send" });
    await eventually(() => deliveredEvents(svc).length >= 1, { timeout: 30_000, what: "the event acknowledged" });
  } finally {
    proxy.state.mode = "pass";
  }
  assert.ok(proxy.state.batchPosts.slice(posts).some((s) => s < 0), "the aggregator's answer was lost once");
  assert.equal(events(svc), 1, "applied once");
});

test("in front of an aggregator that predates events the edge refuses them and queues nothing", async () => {
  // The config as an older aggregator sends it: no `protocol`.
  const outboundService = async (req) => {
    const u = new URL(req.url);
    const headers = {};
    for (const h of ["x-shynet-signature", "content-type"]) if (req.headers.get(h)) headers[h] = req.headers.get(h);
    const body = req.method === "GET" ? undefined : Buffer.from(await req.arrayBuffer());
    const r = await fetch(`${proxy.url}${u.pathname}${u.search}`, { method: req.method, headers, body });
    if (!u.pathname.endsWith("/config")) return r;
    const cfg = await r.json();
    delete cfg.protocol;
    return new Response(JSON.stringify(cfg), { status: r.status, headers: { "content-type": "application/json" } });
  };
  const old = startWorker({ aggregatorUrl: "http://aggregator.test", vars: { ALLOW_INSECURE_AGGREGATOR: "1" }, outboundService });
  try {
    await old.ready;
    const svc = await newService({}, old);
    const base = `http://edge.test/ingress/${svc}`;
    const r = await send(old, `${base}/event`, { body: { name: "Signup" } });
    assert.equal(r.status, 404);
    assert.equal(JSON.parse(await r.text()).reason, "no such ingress route");
    const gif = await send(old, `${base}/event.gif?name=404`, { method: "GET" });
    assert.equal(gif.status, 404);
    await gif.arrayBuffer();
    // Page views still flow.
    const pv = await send(old, `${base}/script.js`, { body: { idempotency: "old-1", location: "https://example.com/old" } });
    assert.equal(pv.status, 200);
    await pv.text();
    await eventually(() => count(`SELECT count(*) FROM hits WHERE service_id = '${svc}'`) === 1, { what: "the page view" });
    assert.equal(deliveredEvents(svc).length, 0);
    assert.equal(events(svc), 0);
  } finally {
    await old.dispose();
  }
});
