// Worker-protocol round trips in process (client and server of this library over a memory
// transport, no socket, no real daemon): QueryPathInfo and NarFromPath per second, to compare
// builds (`node bench/daemon-roundtrip.bench.mjs [dist dir]`) with little noise from the system.
import { join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { pathToFileURL } from "node:url";

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
