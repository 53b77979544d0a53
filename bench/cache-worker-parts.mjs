// The Worker's CPU when a NAR uploaded in parts is completed (and then published by its
// narinfo), in workerd (miniflare) with an R2 bucket: a NAR of NIX_COMPAT_BENCH_WORKER_MB
// (default 210, above 2 x 100 MiB: Workers' request body limit) goes up in parts of 32 MiB,
// and the workerd process's CPU (user + system, all its threads: the Worker's JavaScript and
// miniflare's local R2 alike) is read from /proc around each request. Beside it: the same
// object only read through (the R2 floor) and read while hashed with the portable sha256, so
// the hashing's share shows. Run from cache.bench.mjs (part `worker`) or alone.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { build } from "esbuild";
import { Miniflare } from "miniflare";
import { printTable, REPO_ROOT } from "./lib.mjs";

const { crypto, fetch } = globalThis;
const SIZE_MB = Number(process.env.NIX_COMPAT_BENCH_WORKER_MB ?? 210);

const WORKER = `
import { createCacheHandler, createR2CacheStore } from "nix-compat/cache";
import { createHasher } from "nix-compat/core";
export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const key = url.searchParams.get("key");
    if (url.pathname === "/_read") {
      let n = 0;
      for await (const chunk of (await env.BUCKET.get(key)).body) n += chunk.length;
      return new Response(n + "\\n");
    }
    if (url.pathname === "/_hash") {
      const hasher = createHasher("sha256");
      for await (const chunk of (await env.BUCKET.get(key)).body) hasher.update(chunk);
      return new Response(hasher.digest().length + "\\n");
    }
    if (url.pathname === "/_digest") {
      const sink = new crypto.DigestStream("SHA-256");
      await (await env.BUCKET.get(key)).body.pipeTo(sink);
      return new Response((await sink.digest).byteLength + "\\n");
    }
    return createCacheHandler({ store: createR2CacheStore(env.BUCKET), writable: true })(request);
  },
};
`;

/** `nix-compat/...` resolved to this checkout's browser build (as a Worker bundles it). */
const subpaths = {
  name: "nix-compat-subpaths",
  setup(b) {
    b.onResolve({ filter: /^nix-compat(\/|$)/ }, (args) => {
      const pkg = JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8"));
      const entry = pkg.exports[`.${args.path.slice("nix-compat".length)}`];
      return { path: join(REPO_ROOT, entry.browser ?? entry.default) };
    });
  },
};

/** CPU seconds (user + system) of `pid` so far. */
function cpuSeconds(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** The workerd processes below this one. */
function workerdPids() {
  const out = [];
  const walk = (pid) => {
    const r = spawnSync("pgrep", ["-P", String(pid)], { encoding: "utf8" });
    for (const child of r.stdout.split("\n").filter(Boolean).map(Number)) {
      if (readFileSync(`/proc/${child}/comm`, "utf8").trim() === "workerd") out.push(child);
      walk(child);
    }
  };
  walk(process.pid);
  return out;
}

/** NAR bytes of one regular file of `size` pseudo-random bytes. */
function narOfFile(size) {
  const token = (s) => {
    const b = Buffer.from(s);
    const out = Buffer.alloc(8 + Math.ceil(b.length / 8) * 8);
    out.writeBigUInt64LE(BigInt(b.length));
    b.copy(out, 8);
    return out;
  };
  const head = Buffer.concat(["nix-archive-1", "(", "type", "regular", "contents"].map(token));
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(size));
  const body = Buffer.alloc(Math.ceil(size / 8) * 8);
  for (let i = 0; i < size; i += 65536)
    crypto.getRandomValues(body.subarray(i, Math.min(size, i + 65536)));
  return Buffer.concat([head, length, body, token(")")]);
}

/** Runs the measurement; prints its table. */
export async function workerPartsCpu(load) {
  const bundle = await build({
    stdin: { contents: WORKER, loader: "js", resolveDir: REPO_ROOT },
    bundle: true,
    write: false,
    format: "esm",
    platform: "browser",
    conditions: ["workerd", "worker", "browser"],
    target: "es2022",
    logLevel: "error",
    plugins: [subpaths],
  });
  const mf = new Miniflare({
    modules: [{ type: "ESModule", path: "worker.mjs", contents: bundle.outputFiles[0].text }],
    compatibilityDate: "2025-09-01",
    r2Buckets: ["BUCKET"],
    host: "127.0.0.1",
    port: 0,
  });
  try {
    const base = (await mf.ready).href.replace(/\/$/, "");
    const pids = workerdPids();
    const cpu = () => pids.reduce((s, p) => s + cpuSeconds(p), 0);
    const measure = async (fn) => {
      const c0 = cpu();
      const t0 = process.hrtime.bigint();
      await fn();
      return { cpu: cpu() - c0, seconds: Number(process.hrtime.bigint() - t0) / 1e9 };
    };
    const ok = async (res) => {
      if (!res.ok) throw new Error(`${res.status} ${await res.text()}`);
      return res;
    };
    const nar = narOfFile(SIZE_MB << 20);
    const { createHash } = await import("node:crypto");
    const { nixbase32Encode } = await import(join(REPO_ROOT, "dist/core/nixbase32.js"));
    const hash = nixbase32Encode(createHash("sha256").update(nar).digest());
    const file = `${hash}.nar`;
    const url = `${base}/nar/${file}`;
    const { uploadId, partSize } = await (
      await ok(await fetch(`${url}?uploads`, { method: "POST" }))
    ).json();
    const tags = [];
    const sent = await measure(async () => {
      for (let at = 0, n = 1; at < nar.length; at += partSize, n++) {
        const res = await ok(
          await fetch(`${url}?uploadId=${encodeURIComponent(uploadId)}&partNumber=${n}`, {
            method: "PUT",
            body: nar.subarray(at, at + partSize),
          }),
        );
        tags.push(await res.json());
      }
    });
    const completed = await measure(async () =>
      ok(
        await fetch(`${url}?uploadId=${encodeURIComponent(uploadId)}`, {
          method: "POST",
          body: JSON.stringify({ parts: tags }),
        }),
      ),
    );
    const hashPart = "0".repeat(32);
    const narinfo =
      `StorePath: /nix/store/${hashPart}-worker-parts\nURL: nar/${file}\nCompression: none\n` +
      `FileHash: sha256:${hash}\nFileSize: ${nar.length}\nNarHash: sha256:${hash}\n` +
      `NarSize: ${nar.length}\nReferences: \n`;
    const published = await measure(async () =>
      ok(await fetch(`${base}/${hashPart}.narinfo`, { method: "PUT", body: narinfo })),
    );
    const key = `nar/${file}`;
    const read = await measure(async () =>
      (await ok(await fetch(`${base}/_read?key=${key}`))).text(),
    );
    const hashed = await measure(async () =>
      (await ok(await fetch(`${base}/_hash?key=${key}`))).text(),
    );
    const digested = await measure(async () =>
      (await ok(await fetch(`${base}/_digest?key=${key}`))).text(),
    );
    const MB = nar.length / 1e6;
    const row = (step, m) => ({
      step,
      "workerd CPU s": m.cpu,
      "wall s": m.seconds,
      "CPU ms per MB": (m.cpu * 1000) / MB,
    });
    printTable(
      `Worker (workerd + miniflare R2): a ${SIZE_MB} MiB NAR in ${tags.length} parts of ${partSize >> 20} MiB (${load()})`,
      [
        row(`${tags.length} part PUTs`, sent),
        row("complete (POST ?uploadId: joined, hashed against its name)", completed),
        row("narinfo PUT (NarHash checked, published)", published),
        row("floor: the object read through", read),
        row("the object read, sha256 in JavaScript (createHasher)", hashed),
        row("the object piped into crypto.DigestStream (native sha256)", digested),
      ],
    );
  } finally {
    await mf.dispose();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await workerPartsCpu(() => spawnSync("uptime", { encoding: "utf8" }).stdout.trim());
}
