/**
 * NARs larger than a Worker's request body limit, through the Worker: `nix-compat cache push`
 * uploads them in parts (the handler's parts protocol over R2 multipart uploads), the narinfo
 * publishes them, and Nix copies them back out. A part upload whose file does not match its
 * name is refused and aborted, an abandoned one aborted; nothing of either is kept. The limit
 * is set small here so the test moves a few MiB.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { openBinaryCache } from "../../src/cache/binary-cache.js";
import { uploadNarFile } from "../../src/cache/cache-upload-client.js";
import {
  formatPublicKey,
  formatSecretKey,
  generateSecretKey,
  publicKeyOf,
} from "../../src/signing/keys.js";
import { nonce, runNixAsync } from "../support/cache-server.js";
import { CLI_PATH } from "../support/cli.js";
import { startNixDaemon, type TestDaemon } from "../support/daemon.js";
import { describeWithNix, runNix } from "../support/nix.js";
import { bucketKeys, startWorker, type TestWorker, writeRandomFile } from "../support/workerd.js";

/**
 * The request body limit the Worker is given here (100 MiB on Cloudflare): parts are this
 * size, and R2 wants parts of at least 5 MiB but the last.
 */
const TEST_REQUEST_LIMIT = 6 << 20;

const WORKER = `
import xzWasm from "nix-compat/cache/xz.wasm";
import { createCacheHandler, createR2CacheStore, installXzWasm } from "nix-compat/cache";
import { parseSecretKey } from "nix-compat/signing";
let xz = false;
export default {
  async fetch(request, env) {
    if (!xz) xz = (installXzWasm(xzWasm), true);
    const store = createR2CacheStore(env.BUCKET, { maxNarUploadBytes: Number(env.REQUEST_LIMIT) });
    return createCacheHandler({ store, writable: true, secretKey: parseSecretKey(env.SECRET_KEY) })(request);
  },
};
`;

describeWithNix("NARs above the Workers request limit, in parts (workerd, R2)", () => {
  let dir: string;
  let worker: TestWorker;
  let daemon: TestDaemon;
  const secret = generateSecretKey("nix-compat-parts-1");
  const keys = () => bucketKeys(worker.mf);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "nix-compat-parts-"));
    writeFileSync(join(dir, "worker.mjs"), WORKER);
    [worker, daemon] = await Promise.all([
      startWorker(join(dir, "worker.mjs"), {
        r2Buckets: ["BUCKET"],
        bindings: {
          SECRET_KEY: formatSecretKey(secret),
          REQUEST_LIMIT: String(TEST_REQUEST_LIMIT),
        },
      }),
      startNixDaemon(),
    ]);
  }, 90_000);

  afterAll(async () => {
    await worker?.mf.dispose();
    await daemon?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("nix-compat cache push sends a NAR above the limit in parts; Nix copies it back", async () => {
    const n = nonce();
    writeRandomFile(join(dir, `large-${n}`), TEST_REQUEST_LIMIT + (1 << 20));
    const path = runNix("nix-store", ["--add", join(dir, `large-${n}`)]);
    const out = await runNixAsync(process.execPath, [
      CLI_PATH,
      "cache",
      "push",
      worker.url,
      path,
      "--compression",
      "none",
      "--store",
      daemon.store,
    ]);
    expect(out).toMatch(/^\/nix\/store\/\S+: pushed \d+ bytes \(none\) in 2 parts$/);
    expect((await keys()).filter((k) => k.startsWith(".uploads/"))).toEqual([]);
    const root = join(dir, "chroot");
    await runNixAsync("nix", [
      "copy",
      "--from",
      worker.url,
      "--to",
      root,
      "--option",
      "trusted-public-keys",
      formatPublicKey(publicKeyOf(secret)),
      path,
    ]);
    const [copied] = JSON.parse(
      await runNixAsync("nix", ["path-info", "--json", "--store", root, path]),
    ) as { narHash: string }[];
    const [source] = JSON.parse(await runNixAsync("nix", ["path-info", "--json", path])) as {
      narHash: string;
    }[];
    expect(copied!.narHash).toBe(source!.narHash);
    // pushed again: already there
    const again = await runNixAsync(process.execPath, [
      ...[CLI_PATH, "cache", "push", worker.url, path, "--store", daemon.store],
    ]);
    expect(again).toBe(`${path}: already in the cache`);
  }, 120_000);

  it("cache push with xz (the default): the Worker decodes the NAR to check it", async () => {
    const n = nonce();
    writeFileSync(join(dir, `text-${n}`), `pushed with xz ${n}\n`.repeat(5000));
    const path = runNix("nix-store", ["--add", join(dir, `text-${n}`)]);
    const out = await runNixAsync(process.execPath, [
      ...[CLI_PATH, "cache", "push", worker.url, path, "--store", daemon.store],
    ]);
    expect(out).toMatch(/^\/nix\/store\/\S+: pushed \d+ bytes \(xz\) in 1 part$/);
    const narinfo = await (await fetch(`${worker.url}/${path.slice(11, 43)}.narinfo`)).text();
    expect(narinfo).toContain("Compression: xz\n");
  }, 60_000);

  it("a part upload that is not what its name says, or is abandoned, leaves nothing", async () => {
    const before = await keys();
    const cache = openBinaryCache(worker.url);
    const bytes = new Uint8Array(TEST_REQUEST_LIMIT + 1000);
    for (let i = 0; i < bytes.length; i += 65536)
      crypto.getRandomValues(bytes.subarray(i, i + 65536));
    const liar = `${"1".repeat(52)}.nar`;
    await expect(uploadNarFile(cache, liar, bytes)).rejects.toThrow(/400.*cache.upload-file-hash/);
    // abandoned: begun, one part sent, then aborted by its client
    const url = `${worker.url}/nar/${liar}`;
    const { uploadId } = (await (await fetch(`${url}?uploads`, { method: "POST" })).json()) as {
      uploadId: string;
    };
    const part = (n: number) =>
      fetch(`${url}?uploadId=${encodeURIComponent(uploadId)}&partNumber=${n}`, {
        method: "PUT",
        body: bytes.subarray(0, TEST_REQUEST_LIMIT),
      });
    expect((await part(1)).status).toBe(200);
    const aborted = await fetch(`${url}?uploadId=${encodeURIComponent(uploadId)}`, {
      method: "DELETE",
    });
    expect(aborted.status).toBe(204);
    expect((await part(2)).status).toBe(400);
    expect(await keys()).toEqual(before);
  }, 60_000);
});
