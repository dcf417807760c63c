// Plausible's Events API at the edge (workerd via Miniflare), into a real aggregator: a body as
// Plausible documents it, addressed by the service id, lands as a page view or a custom event;
// the edge's rules apply (DNT, foreign origins) and answers take Plausible's shape. Build first:
//   sh edge-worker/build.sh && cargo build --bin shynet
//   node --test edge-worker/test/*.test.mjs
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startAggregator, startProxy, startWorker, createService, eventually, CHROME_UA } from "./harness.mjs";

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

async function newService(settings) {
  const id = createService(agg, settings);
  await eventually(async () => {
    const r = await mf.dispatchFetch(`http://edge.test/ingress/${id}/script.js`);
    await r.arrayBuffer();
    return r.status !== 404; // a restricted service answers 403 without an Origin
  }, { interval: 250, what: "the edge to know the new service" });
  return id;
}

function event(body, headers = {}) {
  return mf.dispatchFetch("http://edge.test/api/event", {
    method: "POST",
    headers: { "user-agent": CHROME_UA, "cf-connecting-ip": "198.51.100.41", "content-type": "text/plain", ...headers },
    body: JSON.stringify(body),
  });
}

test("Plausible events at the edge become page views and custom events", async () => {
  const svc = await newService();
  const pv = await event({ name: "pageview", url: "https://example.com/docs/?utm_source=news", domain: svc, referrer: "https://t.co/x" });
  assert.equal(pv.status, 202);
  assert.equal(await pv.text(), "{}");
  const ev = await event({ n: "Signup", u: "https://example.com/docs/", d: svc, p: { plan: "pro" } });
  assert.equal(ev.status, 202);
  await ev.text();
  await eventually(() => count(`SELECT count(*) FROM hits WHERE service_id = '${svc}'`) === 1
    && count(`SELECT count(*) FROM events WHERE service_id = '${svc}'`) === 1, { what: "the page view and the event" });
  assert.equal(agg.sql(`SELECT utm_source FROM sessions WHERE service_id = '${svc}'`), "news");
  assert.equal(agg.sql(`SELECT name || ':' || (props->>'plan') FROM events WHERE service_id = '${svc}'`), "Signup:pro");
});

test("the edge's rules and Plausible's error shape", async () => {
  const svc = await newService({ origins: "https://site.example" });
  const body = { name: "pageview", url: "https://site.example/", domain: svc };
  let r = await event(body, { origin: "https://evil.example" });
  assert.equal(r.status, 403);
  assert.ok((await r.json()).error);
  r = await event(body, { origin: "https://site.example", dnt: "1" });
  assert.equal(r.status, 202);
  await r.text();
  r = await event({ name: "pageview", url: "https://site.example/", domain: "site.example" }, { origin: "https://site.example" });
  assert.equal(r.status, 400);
  assert.match((await r.json()).error, /service id/);
  r = await event({ name: "pageview", domain: svc });
  assert.equal(r.status, 400);
  assert.equal((await r.json()).error, "url: required");
  // Only the DNT page view passed the gate, and it was dropped.
  r = await event(body, { origin: "https://site.example" });
  assert.equal(r.status, 202);
  await r.text();
  await eventually(() => count(`SELECT count(*) FROM hits WHERE service_id = '${svc}'`) === 1, { what: "the allowed page view" });
  // The batch is stored before its answer reaches the proxy's log: wait for that answer too.
  const delivered = () => proxy.state.exchanges
    .filter((e) => e.status === 200 && e.body)
    .flatMap((e) => e.body.beacons)
    .filter((b) => b.service === svc);
  await eventually(() => delivered().length > 0, { what: "the allowed page view's delivery" });
  assert.equal(delivered().length, 1, "the DNT page view never left the edge");
});
