// Test and bench harness: a real aggregator (the `shynet` binary with its embedded Postgres in
// a throwaway data dir), a switchable proxy in front of it (to play an outage, 503s or lost
// acknowledgements), psql access to its database, and the worker under Miniflare (workerd).
import { spawn, execFileSync } from "node:child_process";
import { createHash, createHmac, randomBytes, randomUUID } from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Miniflare, Log, LogLevel } from "miniflare";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const SECRET = "edge-test-secret-" + randomUUID();

/** Starts `shynet serve` on a free port with a private embedded cluster. */
export async function startAggregator({ bin, env = {} } = {}) {
  bin ??= process.env.SHYNET_BIN ?? path.join(ROOT, "target/debug/shynet");
  // Short path: the embedded cluster's Unix socket path must stay under 108 bytes.
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "shy-edge-"));
  fs.chmodSync(dataDir, 0o755); // the embedded cluster runs as `postgres` when we are root
  // No admin listener: its default port may be taken by another server on this machine.
  const args = ["serve", "--data-dir", dataDir, "--listen", "127.0.0.1:0", "--metrics-listen", ""];
  const child = spawn(bin, args, {
    env: {
      ...process.env,
      SHYNET_EDGE_SECRET: SECRET,
      SHYNET_LOG: process.env.SHYNET_LOG ?? "warn",
      MAXMIND_CITY_DB: "/nonexistent.mmdb",
      MAXMIND_ASN_DB: "/nonexistent.mmdb",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (d) => {
    stderr += d;
    if (process.env.SHOW_AGGREGATOR_LOG) process.stderr.write(d);
  });
  const base = await new Promise((resolve, reject) => {
    let out = "";
    const t = setTimeout(() => reject(new Error(`aggregator did not start:\n${stderr}`)), 120_000);
    child.stdout.on("data", (d) => {
      out += d;
      const m = out.match(/listening on (http:\/\/[0-9.:]+)/);
      if (m) { clearTimeout(t); resolve(m[1]); }
    });
    child.on("exit", (code) => { clearTimeout(t); reject(new Error(`aggregator exited ${code}:\n${stderr}`)); });
    child.on("error", (e) => { clearTimeout(t); reject(new Error(`cannot run ${bin}: ${e.message}`)); });
  }).catch((e) => {
    child.kill("SIGTERM");
    fs.rmSync(dataDir, { recursive: true, force: true });
    throw e;
  });
  const sql = (query) =>
    execFileSync("psql", ["-h", path.join(dataDir, "run"), "-p", "5432", "-U", "shynet", "-d", "shynet",
      "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-c", query], { encoding: "utf8" }).trim();
  return {
    base, dataDir, sql,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once("exit", r));
        child.kill("SIGTERM");
        await exited;
      }
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Creates an owner and a service; returns the service id. */
export function createService(agg, s = {}) {
  const o = { origins: "*", respect_dnt: true, ignore_robots: false, collect_ips: false, ignored_ips: "", status: "AC", ...s };
  const id = randomUUID();
  const q = (v) => `'${String(v).replaceAll("'", "''")}'`;
  agg.sql(`WITH u AS (INSERT INTO users (email, password_hash) VALUES (${q(`owner-${id}@example.com`)}, 'x') RETURNING id)
    INSERT INTO services (id, name, owner_id, origins, respect_dnt, ignore_robots, collect_ips, ignored_ips, status)
    SELECT ${q(id)}, 'Edge test', u.id, ${q(o.origins)}, ${o.respect_dnt}, ${o.ignore_robots}, ${o.collect_ips}, ${q(o.ignored_ips)}, ${q(o.status)} FROM u`);
  return id;
}

/**
 * The `X-Shynet-Signature` value the edge sends (scheme v2, see beacon/src/signing.rs): an
 * HMAC-SHA256 over "v2", method, path, time (Unix seconds), a fresh 128-bit nonce and the
 * body's SHA-256, one per line. Each call makes a new nonce, as each request needs one.
 */
export function signature({ body = "", method = "POST", path = "/ingest/v1/batch", t = Math.floor(Date.now() / 1000),
  nonce = randomBytes(16).toString("hex"), secret = SECRET } = {}) {
  const digest = createHash("sha256").update(body).digest("hex");
  const mac = createHmac("sha256", secret).update(`v2\n${method}\n${path}\n${t}\n${nonce}\n${digest}`).digest("hex");
  return `t=${t},n=${nonce},v2=${mac}`;
}

/**
 * A proxy in front of the aggregator. `mode`: "pass"; "down" (drop every connection, config
 * requests included); "fail" (answer the next `failBatches` batch POSTs with the aggregator's
 * own kind of 503, marked "not applied", without forwarding); "lose-ack" (forward the next `failBatches` batch POSTs, then answer a bare 503,
 * as a load balancer would: the aggregator committed but the edge never hears it). Records every batch POST's status
 * (negative = the aggregator's status of a POST whose answer was replaced by 503).
 */
export async function startProxy(target) {
  // `exchanges`: every batch POST's parsed body with the status the edge got (`lost` when the
  // aggregator's answer was replaced), in order of the answers.
  const state = { mode: "pass", failBatches: 0, batchPosts: [], batchBodies: [], exchanges: [], fencedPosts: 0, configGets: 0 };
  const parse = (body) => { try { return JSON.parse(body); } catch { return null; } };
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      const isBatch = req.url.startsWith("/ingest/v1/batch");
      if (!isBatch) state.configGets++;
      if (isBatch && body.includes('"fences"')) state.fencedPosts++;
      if (isBatch) { try { state.batchBodies.push(JSON.parse(body)); } catch { /* a test's junk */ } }
      if (state.mode === "down") { req.socket.destroy(); return; }
      const failing = isBatch && state.failBatches > 0 && (state.mode === "fail" || state.mode === "lose-ack");
      if (failing) state.failBatches--;
      if (failing && state.mode === "fail") {
        if (isBatch) state.batchPosts.push(503);
        state.exchanges.push({ body: parse(body), status: 503, lost: false });
        res.writeHead(503, { "content-type": "application/json", "retry-after": "1", "x-shynet-not-applied": "1" }).end('{"status":"error","reason":"proxy says no"}');
        return;
      }
      const fwd = http.request(target + req.url, { method: req.method, headers: req.headers }, (up) => {
        const out = [];
        up.on("data", (c) => out.push(c));
        up.on("end", () => {
          const lose = failing && state.mode === "lose-ack";
          if (isBatch) state.batchPosts.push(lose ? -up.statusCode : up.statusCode);
          if (isBatch) state.exchanges.push({ body: parse(body), status: lose ? 503 : up.statusCode, lost: lose });
          if (lose) { res.writeHead(503).end("ack lost"); return; }
          res.writeHead(up.statusCode, up.headers).end(Buffer.concat(out));
        });
      });
      fwd.on("error", () => { res.writeHead(502).end("upstream error"); });
      fwd.end(body);
    });
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  return { url: `http://127.0.0.1:${server.address().port}`, state, close: () => new Promise((r) => server.close(r)) };
}

/**
 * The worker under Miniflare, configured as wrangler.toml does, with test overrides. `script`
 * (default edge-worker/build/index.js) runs another build, e.g. an older commit's for a
 * before/after benchmark. `outboundService` receives every fetch the worker makes; `onLog`
 * every line the worker logs.
 */
export function startWorker({ aggregatorUrl, vars = {}, cf = {}, consumer = {}, script, outboundService, onLog }) {
  const where = script
    ? { scriptPath: path.resolve(script), modulesRoot: path.dirname(path.resolve(script)) }
    : { rootPath: ROOT, scriptPath: "edge-worker/build/index.js" };
  return new Miniflare({
    log: new Log(process.env.SHOW_WORKER_LOG ? LogLevel.DEBUG : LogLevel.ERROR),
    ...where,
    modules: true,
    modulesRules: [{ type: "CompiledWasm", include: ["**/*.wasm"], fallthrough: true }],
    compatibilityDate: "2026-04-20",
    bindings: {
      AGGREGATOR_URL: aggregatorUrl,
      SHYNET_EDGE_SECRET: SECRET,
      CONFIG_TTL_SECS: "2",
      IP_HEADERS: "cf-connecting-ip",
      RETRY_BASE_SECS: "0",
      RETRY_MAX_SECS: "1",
      DROPS_FLUSH_SECS: "0",
      ...vars,
    },
    queueProducers: { BEACONS: { queueName: "shynet-beacons" } },
    ...(outboundService ? { outboundService } : {}),
    // The worker's console lines ({ level, message }), e.g. to wait for one.
    ...(onLog ? { handleStructuredLogs: onLog } : {}),
    queueConsumers: {
      "shynet-beacons": { maxBatchSize: 100, maxBatchTimeout: 1, maxRetries: 20, deadLetterQueue: "shynet-beacons-dlq", ...consumer },
    },
    cf: {
      country: "DE", region: "Berlin", city: "Berlin", latitude: "52.52000", longitude: "13.40500",
      timezone: "Europe/Berlin", asn: 3320, asOrganization: "Deutsche Telekom AG", colo: "TXL", ...cf,
    },
  });
}

/**
 * Whether every beacon of `svc` with one of `locations` reached the aggregator in a batch the
 * edge saw answered 200: its message is then acknowledged and no copy of it is left to deliver
 * (each beacon has one live queue message at a time, re-sent copies replacing the original).
 */
export function delivered(proxy, svc, locations) {
  const done = new Set();
  for (const e of proxy.state.exchanges) {
    if (e.status !== 200 || !e.body) continue;
    for (const b of e.body.beacons) if (b.service === svc) done.add(b.location);
  }
  return locations.every((l) => done.has(l));
}

/** Polls `fn` until it returns a truthy value or the timeout passes. */
export async function eventually(fn, { timeout = 20_000, interval = 200, what = "condition" } = {}) {
  const end = Date.now() + timeout;
  let last;
  while (Date.now() < end) {
    last = await fn();
    if (last) return last;
    await new Promise((r) => setTimeout(r, interval));
  }
  throw new Error(`timed out waiting for ${what} (last: ${JSON.stringify(last)})`);
}

export const CHROME_UA = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36";
export const IPHONE_UA = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Mobile/15E148 Safari/604.1";
export const GOOGLEBOT_UA = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)";
