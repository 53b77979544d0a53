/**
 * The cache handler in workerd (through miniflare) with an R2 bucket: Nix 2.8 copies to it
 * (a NAR larger than one R2 part goes up as a multipart upload) and from it (our signatures,
 * only our key trusted); a NAR above the request body limit is refused with 413 before a byte
 * is stored.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Miniflare } from "miniflare";
import { afterAll, beforeAll, expect, it } from "vitest";
import { R2_PART_SIZE } from "../../src/cache/r2-cache-store.js";
import {
  formatPublicKey,
  formatSecretKey,
  generateSecretKey,
  publicKeyOf,
} from "../../src/signing/keys.js";
import { nonce, runNixAsync } from "../support/cache-server.js";
import { describeWithNix, runNix } from "../support/nix.js";
import { bucketKeys, startWorker, writeRandomFile } from "../support/workerd.js";

/** The request body limit the worker is given here (the real one is 100 MiB). */
const TEST_UPLOAD_LIMIT = R2_PART_SIZE + (4 << 20);

const WORKER = `
import { createCacheHandler, createR2CacheStore } from "nix-compat/cache";
import { parseSecretKey } from "nix-compat/signing";
export default {
  async fetch(request, env) {
    const store = createR2CacheStore(env.BUCKET, { maxNarUploadBytes: Number(env.MAX_UPLOAD) });
    const handler = createCacheHandler({ store, writable: true, secretKey: parseSecretKey(env.SECRET_KEY) });
    return handler(request);
  },
};
`;

describeWithNix("cache handler in workerd with an R2 bucket", () => {
  let dir: string;
  let mf: Miniflare;
  let url: string;
  let small: string;
  let multipart: string;
  let tooLarge: string;
  const secret = generateSecretKey("nix-compat-r2-1");

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "nix-compat-r2-"));
    const n = nonce();
    writeFileSync(join(dir, `small-${n}`), `small ${n}\n`);
    small = runNix("nix-store", ["--add", join(dir, `small-${n}`)]);
    writeRandomFile(join(dir, `multipart-${n}`), R2_PART_SIZE + (1 << 20));
    multipart = runNix("nix-store", ["--add", join(dir, `multipart-${n}`)]);
    writeRandomFile(join(dir, `large-${n}`), TEST_UPLOAD_LIMIT + (1 << 20));
    tooLarge = runNix("nix-store", ["--add", join(dir, `large-${n}`)]);
    writeFileSync(join(dir, "worker.mjs"), WORKER);
    const worker = await startWorker(join(dir, "worker.mjs"), {
      r2Buckets: ["BUCKET"],
      bindings: { SECRET_KEY: formatSecretKey(secret), MAX_UPLOAD: String(TEST_UPLOAD_LIMIT) },
    });
    mf = worker.mf;
    url = worker.url;
  }, 90_000);

  afterAll(async () => {
    await mf?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it("nix copy --to the worker (a multipart NAR among them), then --from it with only our key trusted", async () => {
    await runNixAsync("nix", ["copy", "--to", `${url}?compression=none`, small, multipart]);
    const keys = await bucketKeys(mf);
    expect(keys.filter((k) => k.endsWith(".narinfo")).length).toBe(2);
    expect(keys.filter((k) => k.startsWith("nar/")).length).toBe(2);
    expect(keys.filter((k) => k.startsWith(".uploads/"))).toEqual([]);
    const root = join(dir, "chroot");
    await runNixAsync("nix", [
      "copy",
      "--from",
      url,
      "--to",
      root,
      "--option",
      "trusted-public-keys",
      formatPublicKey(publicKeyOf(secret)),
      small,
      multipart,
    ]);
    const copied = JSON.parse(
      await runNixAsync("nix", ["path-info", "--json", "--store", root, small, multipart]),
    ) as { path: string; narHash: string }[];
    const source = JSON.parse(
      await runNixAsync("nix", ["path-info", "--json", small, multipart]),
    ) as { path: string; narHash: string }[];
    expect(copied.map((p) => [p.path, p.narHash])).toEqual(source.map((p) => [p.path, p.narHash]));
  }, 90_000);

  it("a NAR above the request body limit is refused with 413 and nothing of it is stored", async () => {
    await expect(
      runNixAsync("nix", ["copy", "--to", `${url}?compression=none`, tooLarge]),
    ).rejects.toThrow(/413/);
    const hashPart = tooLarge.slice("/nix/store/".length, "/nix/store/".length + 32);
    const keys = await bucketKeys(mf);
    expect(keys.filter((k) => k.startsWith(hashPart))).toEqual([]);
    expect(keys.filter((k) => k.startsWith(".uploads/"))).toEqual([]);
    expect(keys.filter((k) => k.startsWith("nar/")).length).toBe(2);
  }, 60_000);
});
