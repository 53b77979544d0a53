// The Worker's CPU when a NAR uploaded in parts is completed (and then published by its
// narinfo), in workerd (miniflare) with an R2 bucket: a NAR of NIX_COMPAT_BENCH_WORKER_MB
// (default 210, above 2 x 100 MiB: Workers' request body limit) goes up in parts of 32 MiB,
// and the workerd process's CPU (user + system, all its threads: the Worker's JavaScript and
// miniflare's local R2 alike) is read from /proc around each request. The same again with a
// bucket in the Worker's memory (an R2BucketLike over Uint8Arrays): what is left is the
// Worker's own work, as Cloudflare bills it (R2 itself is not the Worker's CPU). Beside it: the
// R2 object only read through (the floor), read while hashed with the portable sha256, and
// piped into crypto.DigestStream, so the hashing's share shows. Run from cache.bench.mjs (part
// `worker`) or alone.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { build } from "esbuild";
import { Miniflare } from "miniflare";
import { printTable, REPO_ROOT } from "./lib.mjs";

const { crypto, fetch } = globalThis;
const SIZE_MB = Number(process.env.NIX_COMPAT_BENCH_WORKER_MB ?? 210);
/** The NAR put into the bucket in the Worker's memory (a Worker's memory is 128 MiB). */
const MEMORY_MB = 24;

const WORKER = `
import { createCacheHandler, createR2CacheStore } from "nix-compat/cache";
import { createHasher } from "nix-compat/core";

/** An R2BucketLike in the Worker's memory: objects and multipart uploads as Uint8Arrays. */
function memoryBucket() {
  const objects = new Map();
  const uploads = new Map();
  const body = (bytes) =>
    new ReadableStream({
      start(c) {
        for (let at = 0; at < bytes.length; at += 1 << 20) c.enqueue(bytes.subarray(at, at + (1 << 20)));
        c.close();
      },
    });
  const upload = (key, uploadId) => ({
    uploadId,
    async uploadPart(partNumber, value) {
      uploads.get(uploadId).set(partNumber, value.slice());
      return { partNumber, etag: String(partNumber) };
    },
    async complete(parts) {
      const chunks = parts.map((p) => uploads.get(uploadId).get(p.partNumber));
      const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
      let at = 0;
      for (const c of chunks) (out.set(c, at), (at += c.length));
      objects.set(key, out);
      uploads.delete(uploadId);
    },
    async abort() {
      uploads.delete(uploadId);
    },
  });
  return {
    async head(key) {
      const o = objects.get(key);
      return o === undefined ? null : { size: o.length };
    },
    async get(key) {
      const o = objects.get(key);
      return o === undefined ? null : { size: o.length, body: body(o) };
    },
    async put(key, value) {
      objects.set(key, value instanceof Uint8Array ? value.slice() : new Uint8Array(await new Response(value).arrayBuffer()));
    },
    async delete(key) {
      objects.delete(key);
    },
    async createMultipartUpload(key) {
      const id = String(uploads.size + 1) + "-" + key;
      uploads.set(id, new Map());
      return upload(key, id);
    },
    resumeMultipartUpload: (key, uploadId) => upload(key, uploadId),
  };
}
const memory = memoryBucket();

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (url.pathname.startsWith("/mem/"))
      return createCacheHandler({ store: createR2CacheStore(memory, { narPartSize: 4 << 20 }), writable: true, prefix: "/mem/" })(request);
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
    const { createHash } = await import("node:crypto");
    const { nixbase32Encode } = await import(join(REPO_ROOT, "dist/core/nixbase32.js"));
    /** Uploads a NAR of `mb` MiB in parts below `root`, completes and publishes it, measured. */
    const uploadSteps = async (root, mb) => {
      const nar = narOfFile(mb << 20);
      const hash = nixbase32Encode(createHash("sha256").update(nar).digest());
      const file = `${hash}.nar`;
      const url = `${root}/nar/${file}`;
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
        ok(await fetch(`${root}/${hashPart}.narinfo`, { method: "PUT", body: narinfo })),
      );
      return {
        sent,
        completed,
        published,
        parts: tags.length,
        partSize,
        file,
        MB: nar.length / 1e6,
      };
    };
    const r2 = await uploadSteps(base, SIZE_MB);
    // (a Worker holds at most 128 MiB: a smaller NAR, in parts of 4 MiB)
    const inMemory = await uploadSteps(`${base}/mem`, MEMORY_MB);
    const key = `nar/${r2.file}`;
    const read = await measure(async () =>
      (await ok(await fetch(`${base}/_read?key=${key}`))).text(),
    );
    const hashed = await measure(async () =>
      (await ok(await fetch(`${base}/_hash?key=${key}`))).text(),
    );
    const digested = await measure(async () =>
      (await ok(await fetch(`${base}/_digest?key=${key}`))).text(),
    );
    const row = (step, m, MB = r2.MB) => ({
      step,
      "workerd CPU s": m.cpu,
      "wall s": m.seconds,
      "CPU ms per MB": (m.cpu * 1000) / MB,
    });
    printTable(
      `Worker in workerd: a ${SIZE_MB} MiB NAR in ${r2.parts} parts of ${r2.partSize >> 20} MiB, workerd's CPU (${load()})`,
      [
        row(`R2 (miniflare): ${r2.parts} part PUTs`, r2.sent),
        row("R2: complete (POST ?uploadId: joined, hashed against its name)", r2.completed),
        row("R2: narinfo PUT (NarHash checked, moved out of .uploads/, published)", r2.published),
        row(
          `bucket in the Worker's memory, a ${MEMORY_MB} MiB NAR: ${inMemory.parts} part PUTs`,
          inMemory.sent,
          inMemory.MB,
        ),
        row("memory: complete", inMemory.completed, inMemory.MB),
        row("memory: narinfo PUT", inMemory.published, inMemory.MB),
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
