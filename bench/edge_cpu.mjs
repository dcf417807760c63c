// Worker CPU per beacon on workerd (Miniflare), measured from outside: the CPU time (utime +
// stime from /proc/<pid>/stat) of the workerd process while it handles rounds of 100 pixel
// beacons, including the queue broker and the consumer's signed POST of each 100-beacon batch
// to a real aggregator. Workers freeze their clocks during execution, so the worker cannot
// time itself; the process counters are the honest measure. A round of 100 requests to a path
// the worker answers with a bare 404 gives the runtime's own per-request cost (Miniflare's
// dispatch, the wasm entry) for comparison, and a round of DNT pixels (the whole Rust ingress
// flow and the GIF answer, but no hashing and no queue) separates the request path from the
// queue path.
//
// usage: node bench/edge_cpu.mjs [rounds=30]   (after sh edge-worker/build.sh)
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import { startAggregator, startWorker, createService, eventually, CHROME_UA } from "../edge-worker/test/harness.mjs";

const ROUNDS = Number(process.argv[2] ?? 30);
const PER_ROUND = 100;
const TICK_MS = 1000 / Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }));

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
const cpuMs = (pids) => pids.reduce((sum, pid) => {
  const f = fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
  return sum + (Number(f[11]) + Number(f[12])) * TICK_MS; // utime, stime
}, 0);
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };

const agg = await startAggregator();
const mf = startWorker({ aggregatorUrl: agg.base, vars: { CONFIG_TTL_SECS: "60" }, consumer: { maxBatchTimeout: 30 } });
try {
  await mf.ready;
  const svc = createService(agg);
  const pids = workerdPids();
  if (pids.length === 0) throw new Error("no workerd process found");
  let sent = 0;
  const pixel = async () => {
    const n = sent++;
    const r = await mf.dispatchFetch(`http://edge.test/ingress/${svc}/pixel.gif`, {
      headers: { "user-agent": CHROME_UA, "cf-connecting-ip": `198.51.${(n >> 8) & 255}.${n & 255}`, referer: `https://example.com/p/${n % 40}` },
    });
    await r.arrayBuffer();
  };
  const hits = () => Number(agg.sql(`SELECT count(*) FROM hits WHERE service_id='${svc}'`));
  // Warm-up: config fetch, JIT, first batch.
  for (let i = 0; i < PER_ROUND; i++) await pixel();
  await eventually(() => hits() === sent, { timeout: 60_000, what: "warm-up" });

  const beacon = [], bare = [], dnt = [];
  for (let round = 0; round < ROUNDS; round++) {
    let t0 = cpuMs(pids);
    for (let i = 0; i < PER_ROUND; i++) await pixel();
    await eventually(() => hits() === sent, { timeout: 60_000, interval: 50, what: "round delivered" });
    beacon.push((cpuMs(pids) - t0) / PER_ROUND);
    t0 = cpuMs(pids);
    for (let i = 0; i < PER_ROUND; i++) await (await mf.dispatchFetch("http://edge.test/nothing-here")).arrayBuffer();
    bare.push((cpuMs(pids) - t0) / PER_ROUND);
    // The whole ingress flow in Rust (route, config, gate, DNT rule, GIF answer), no queue.
    t0 = cpuMs(pids);
    for (let i = 0; i < PER_ROUND; i++) {
      const r = await mf.dispatchFetch(`http://edge.test/ingress/${svc}/pixel.gif`, { headers: { "user-agent": CHROME_UA, dnt: "1", referer: "https://example.com/" } });
      await r.arrayBuffer();
    }
    dnt.push((cpuMs(pids) - t0) / PER_ROUND);
  }
  console.log(JSON.stringify({
    rounds: ROUNDS, beacons_per_round: PER_ROUND, clock_tick_ms: TICK_MS,
    cpu_ms_per_beacon_median: +median(beacon).toFixed(3),
    cpu_ms_per_beacon_mean: +(beacon.reduce((a, b) => a + b, 0) / beacon.length).toFixed(3),
    runtime_only_ms_per_request_median: +median(bare).toFixed(3),
    dnt_dropped_pixel_ms_median: +median(dnt).toFixed(3),
    worker_ms_per_beacon_net_median: +(median(beacon) - median(bare)).toFixed(3),
    stored: hits(),
  }));
} finally {
  await mf.dispose();
  await agg.stop();
}
