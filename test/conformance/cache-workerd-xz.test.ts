/**
 * xz on Workers: workerd does not compile WebAssembly from bytes, so the Worker imports the
 * shipped `nix-compat/cache/xz.wasm` as a precompiled module and installs it
 * (`installXzWasm`). Checked in workerd through miniflare with an R2 bucket: a NAR that
 * `nix copy --to file://DIR?compression=xz` wrote is read through the Worker's handler by the
 * client in the Worker, decoded, and its NAR hash holds; `nix copy --to` the Worker with xz
 * (Nix's default) is accepted, which needs the Worker to decode the NAR to check it.
 */
import { createHash } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { nonce, runNixAsync } from "../support/cache-server.js";
import { describeWithNix, runNix, runNixBytes } from "../support/nix.js";
import { startWorker, type TestWorker } from "../support/workerd.js";

const WORKER = `
import xzWasm from "nix-compat/cache/xz.wasm";
import {
  canRunCompression, createCacheHandler, createR2CacheStore, fetchNar, fetchNarInfo,
  installXzWasm, openBinaryCache,
} from "nix-compat/cache";

// asked at start-up, when workerd still compiles WebAssembly from bytes: true then, which must
// not be kept for the requests (where it does not)
const atStartup = canRunCompression("xz", "decompress");
let before;

export default {
  async fetch(request, env) {
    // workerd compiles WebAssembly from bytes at startup, not while it serves a request
    if (before === undefined) {
      before = canRunCompression("xz", "decompress");
      installXzWasm(xzWasm);
    }
    const handler = createCacheHandler({ store: createR2CacheStore(env.BUCKET), writable: true });
    const url = new URL(request.url);
    if (url.pathname === "/_xz")
      return Response.json({ atStartup, before, after: canRunCompression("xz", "decompress") });
    if (url.pathname.startsWith("/_read/")) {
      // the portable client, reading this cache through the handler
      const cache = openBinaryCache(url.origin, { fetch: (u, init) => handler(new Request(u, init)) });
      const info = await fetchNarInfo(cache, url.pathname.slice("/_read/".length));
      const chunks = [];
      for await (const chunk of fetchNar(cache, info)) chunks.push(chunk);
      const nar = new Uint8Array(await new Blob(chunks).arrayBuffer());
      const sha256 = [...new Uint8Array(await crypto.subtle.digest("SHA-256", nar))]
        .map((b) => b.toString(16).padStart(2, "0")).join("");
      return Response.json({ compression: info.compression, narSize: nar.length, sha256 });
    }
    return handler(request);
  },
};
`;

/** Text-like bytes (so xz has something to do), `size` long. */
function textFile(path: string, size: number): void {
  const words = "store path derivation output hash narinfo signature".split(" ");
  let s = "";
  for (let x = 7; s.length < size; x = (x * 1103515245 + 12345) >>> 0)
    s += words[x % words.length] + (x & 64 ? "\n" : " ");
  writeFileSync(path, s.slice(0, size));
}

const hashPartOf = (path: string) => path.slice("/nix/store/".length, "/nix/store/".length + 32);
const narSha256 = (path: string) =>
  createHash("sha256")
    .update(runNixBytes("nix-store", ["--dump", path]))
    .digest("hex");

describeWithNix("xz on Workers (workerd, a precompiled module)", () => {
  let dir: string;
  let worker: TestWorker;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "nix-compat-workerd-xz-"));
    writeFileSync(join(dir, "worker.mjs"), WORKER);
    worker = await startWorker(join(dir, "worker.mjs"), { r2Buckets: ["BUCKET"] });
  }, 90_000);

  afterAll(async () => {
    await worker?.mf.dispose();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("at start-up workerd compiles, in a request it cannot (the probe says so each time); the installed precompiled one decodes", async () => {
    const res = await fetch(`${worker.url}/_xz`);
    expect(await res.json()).toEqual({ atStartup: true, before: false, after: true });
  });

  it("reads an xz NAR that nix copy --to file://?compression=xz wrote; the NAR hash holds", async () => {
    const n = nonce();
    textFile(join(dir, `text-${n}`), 3 << 20);
    const path = runNix("nix-store", ["--add", join(dir, `text-${n}`)]);
    const cacheDir = join(dir, "file-cache");
    await runNixAsync("nix", ["copy", "--to", `file://${cacheDir}?compression=xz`, path]);
    const bucket = (await worker.mf.getR2Bucket("BUCKET")) as unknown as {
      put(key: string, value: Uint8Array): Promise<unknown>;
    };
    const files = readdirSync(cacheDir, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => join(e.parentPath, e.name).slice(cacheDir.length + 1));
    expect(files.some((f) => f.endsWith(".nar.xz"))).toBe(true);
    for (const file of files)
      await bucket.put(file, new Uint8Array(readFileSync(join(cacheDir, file))));
    const res = await fetch(`${worker.url}/_read/${hashPartOf(path)}`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      compression: "xz",
      narSize: runNixBytes("nix-store", ["--dump", path]).length,
      sha256: narSha256(path),
    });
  }, 60_000);

  it("nix copy --to the Worker with xz (checked by decoding in the Worker), read back", async () => {
    const n = nonce();
    textFile(join(dir, `pushed-${n}`), 1 << 20);
    const path = runNix("nix-store", ["--add", join(dir, `pushed-${n}`)]);
    await runNixAsync("nix", ["copy", "--to", `${worker.url}?compression=xz`, path]);
    const res = await fetch(`${worker.url}/_read/${hashPartOf(path)}`);
    expect(await res.json()).toMatchObject({ compression: "xz", sha256: narSha256(path) });
  }, 60_000);
});
