// Worker-protocol round trips in process (client and server of this library over a memory
// transport, no socket, no real daemon): QueryPathInfo and NarFromPath per second, to compare
// builds (`node bench/daemon-roundtrip.bench.mjs [dist dir]`) with little noise from the system.
// Before/after in one run: NIX_COMPAT_BENCH_BASE=<another build's dist dir> runs this script on
// that build and on this one alternately (5 times each, a process each) and prints the medians
// and their ratios (e.g. the build before the compiled wire codecs: 7178db9).
import { spawnSync } from "node:child_process";
import { loadavg } from "node:os";
import { join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath, pathToFileURL } from "node:url";
import { printTable } from "./lib.mjs";

const base = process.env.NIX_COMPAT_BENCH_BASE;
if (base !== undefined && process.argv[2] === undefined) {
  const here = resolve(join(import.meta.dirname, "..", "dist"));
  const runs = { before: [], after: [] };
  const load0 = loadavg()[0];
  for (let i = 0; i < 5; i++) {
    for (const [name, dir] of [
      ["before", resolve(base)],
      ["after", here],
    ]) {
      const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), dir], {
        encoding: "utf8",
        env: { ...process.env, NIX_COMPAT_BENCH_BASE: "" },
      });
      if (r.status !== 0) throw new Error(`${dir}: ${r.stderr}`);
      runs[name].push(JSON.parse(r.stdout.trim().split("\n").pop()));
    }
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
  const rows = ["QueryPathInfo/s", "NarFromPath/s"].map((k) => {
    const b = median(runs.before.map((x) => x[k]));
    const a = median(runs.after.map((x) => x[k]));
    return { "round trips": k, before: b, after: a, "after/before": (a / b).toFixed(2) };
  });
  printTable(
    `daemon round trips, before (${base}) and after, medians of 5 runs each, alternating ` +
      `(load average ${load0.toFixed(2)} -> ${loadavg()[0].toFixed(2)})`,
    rows,
  );
  process.exit(0);
}

const dist = resolve(process.argv[2] ?? join(import.meta.dirname, "..", "dist"));
const load = (p) => import(pathToFileURL(join(dist, p)).href);
const { MemoryStore } = await load("daemon/memory-store.js");
const { memoryTransportPair } = await load("daemon/memory-transport.js");
const { serveWorkerProtocol } = await load("daemon/server.js");
const { WorkerSession } = await load("daemon/session.js");
const { parseHash } = await load("core/index.js");
const { encodeNar } = await load("nar/index.js");

const path = `/nix/store/${"a".repeat(32)}-hello`;
const nar = encodeNar({ type: "regular", executable: false, contents: new Uint8Array(4096) });
const store = new MemoryStore();
store.add(
  {
    path,
    deriver: undefined,
    narHash: parseHash("sha256:1b8m03r63zqhnjf7l5wnldhh7c134ap5vpj0850ymkq1iyzicy5s"),
    references: [path],
    registrationTime: 1700000000,
    narSize: nar.length,
    ultimate: false,
    sigs: [],
    ca: undefined,
  },
  nar,
);
const [client, server] = memoryTransportPair();
serveWorkerProtocol(server, store, { trusted: true, nixVersion: "bench" });
const s = await WorkerSession.open(client, { clientVersion: 0x100 | 37 });
const rate = async (f, seconds = 2) => {
  for (let i = 0; i < 200; i++) await f();
  let n = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < seconds * 1000) {
    await f();
    n++;
  }
  return n / ((performance.now() - t0) / 1000);
};
const qpi = await rate(() => s.queryPathInfo(path));
const nfp = await rate(async () => {
  for await (const _ of s.narFromPath(path));
});
console.log(
  JSON.stringify({ dist, "QueryPathInfo/s": Math.round(qpi), "NarFromPath/s": Math.round(nfp) }),
);
process.exit(0);
