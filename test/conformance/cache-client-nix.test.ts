// nix-compat/cache's client against binary caches Nix 2.8 wrote itself (`nix copy --to
// file://DIR?compression=C`, each C Nix 2.8 writes, with and without write-nar-listing=true):
// NARs equal `nix-store --dump`, listings equal our `nar ls -R --json`, `cache path-info --json`
// equals `nix path-info --json --store file://DIR`, signatures verify; hostile caches
// (corrupted, truncated NARs, lying narinfos, malformed narinfos) give typed errors and no
// verified end of stream.
import {
  chmodSync,
  cpSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, expect, it } from "vitest";
import {
  CacheIntegrityError,
  CompressedDataTruncatedError,
  fetchCacheInfo,
  fetchNar,
  fetchNarInfo,
  fetchNarListing,
  openBinaryCache,
  readCachedNar,
  type BinaryCache,
} from "../../src/cache/index.js";
import { fileFetch, installNodeCompression } from "../../src/cache/node.js";
import { parsePublicKey } from "../../src/signing/keys.js";
import { runCli } from "../support/cli.js";
import { runCliInProcess } from "../support/cli-inprocess.js";
import { describeWithNix, nix, runNix, runNixBytes } from "../support/nix.js";

const METHODS = ["none", "xz", "bzip2", "zstd", "br"] as const;

async function collect(chunks: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const c of chunks) parts.push(c);
  return new Uint8Array(Buffer.concat(parts));
}

/** The error `chunks` end with, and how many bytes came before it. */
async function failure(
  chunks: AsyncIterable<Uint8Array>,
): Promise<{ error: unknown; received: number }> {
  let received = 0;
  try {
    for await (const c of chunks) received += c.length;
  } catch (error) {
    return { error, received };
  }
  return { error: undefined, received };
}

describeWithNix("cache client against caches Nix wrote", () => {
  let dir: string;
  let path: string;
  let hash: string;
  let dump: Uint8Array;
  let publicKey: string;
  const caches: Record<string, string> = {};

  beforeAll(() => {
    installNodeCompression();
    dir = mkdtempSync(join(tmpdir(), "nix-compat-cache-"));
    const tree = join(dir, "tree");
    mkdirSync(join(tree, "sub"), { recursive: true });
    writeFileSync(join(tree, "text"), "binary caches\n".repeat(20_000));
    writeFileSync(join(tree, "sub", "run"), "#!/bin/sh\necho hi\n");
    chmodSync(join(tree, "sub", "run"), 0o755);
    writeFileSync(join(tree, "empty"), "");
    symlinkSync("sub/run", join(tree, "link"));
    path = runNix("nix-store", ["--add", tree]).trim();
    hash = path.slice("/nix/store/".length, "/nix/store/".length + 32);
    dump = new Uint8Array(runNixBytes("nix-store", ["--dump", path]));
    const secret = join(dir, "secret");
    writeFileSync(secret, nix(["key", "generate-secret", "--key-name", "test-cache-1"]));
    publicKey = nix(["key", "convert-secret-to-public"], { input: readFileSync(secret) }).trim();
    for (const method of METHODS) {
      const d = join(dir, method);
      const url = `file://${d}?compression=${method}&write-nar-listing=true&secret-key=${secret}`;
      nix(["copy", "--to", url, path]);
      caches[method] = d;
    }
    caches.plain = join(dir, "plain");
    nix(["copy", "--to", `file://${caches.plain}?compression=xz`, path]);
  }, 120_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const open = (d: string, options = {}): BinaryCache =>
    openBinaryCache(pathToFileURL(d).href, { fetch: fileFetch, ...options });

  for (const method of METHODS) {
    it(`${method}: NAR equals nix-store --dump, listing equals nar ls -R --json, path-info equals Nix's`, async () => {
      const cache = open(caches[method]!, { trustedKeys: [parsePublicKey(publicKey)] });
      expect((await fetchCacheInfo(cache)).storeDir).toBe("/nix/store");
      const info = await fetchNarInfo(cache, hash);
      expect(info?.compression).toBe(method);
      const nar = await collect(fetchNar(cache, info!));
      expect(Buffer.compare(nar, dump)).toBe(0);

      const narFile = join(dir, `${method}.nar`);
      writeFileSync(narFile, dump);
      const ours = JSON.parse(
        (await runCliInProcess(["nar", "ls", "-R", "--json", narFile, "/"])).stdout.toString(),
      );
      const listing = await fetchNarListing(cache, hash);
      expect(listing?.root).toEqual(ours);

      const url = pathToFileURL(caches[method]!).href;
      const missing = "/nix/store/00000000000000000000000000000000-missing";
      expect(
        (
          await runCliInProcess(["cache", "path-info", "--json", url, path, missing])
        ).stdout.toString(),
      ).toBe(nix(["path-info", "--json", "--store", url, path, missing]));
      expect(
        (await runCliInProcess(["cache", "verify", url, path, "--key", publicKey])).status,
      ).toBe(0);
    });
  }

  it("a cache written without write-nar-listing has no listing; dump-path streams the checked NAR", async () => {
    expect(await fetchNarListing(open(caches.plain!), hash)).toBeUndefined();
    const r = runCli(["cache", "dump-path", pathToFileURL(caches.plain!).href, path]);
    expect(r.status).toBe(0);
    expect(Buffer.compare(r.stdout, dump)).toBe(0);
  });

  it("reads the same cache over http:// with the runtime's fetch; 404 is absent, 500 an error", async () => {
    const server = createServer((req, res) => {
      if (req.url === "/broken.narinfo" || req.url?.endsWith("/boom.narinfo")) {
        res.writeHead(500).end();
        return;
      }
      try {
        const body = readFileSync(join(caches.zstd!, decodeURIComponent(req.url!.slice(1))));
        res.writeHead(200, { "content-length": body.length }).end(body);
      } catch {
        res.writeHead(404).end();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const cache = openBinaryCache(`http://127.0.0.1:${port}`);
      const info = await fetchNarInfo(cache, hash);
      expect(Buffer.compare(await collect(fetchNar(cache, info!)), dump)).toBe(0);
      expect(await fetchNarInfo(cache, "00000000000000000000000000000000")).toBeUndefined();
      await expect(fetchNarInfo(cache, "boom")).rejects.toMatchObject({
        code: "cache.http-status",
        status: 500,
      });
    } finally {
      server.close();
    }
  });

  it("the NAR reader runs over the checked stream in the same pass", async () => {
    const names: string[] = [];
    for await (const node of readCachedNar(
      open(caches.zstd!),
      (await fetchNarInfo(open(caches.zstd!), hash))!,
    )) {
      names.push(node.path);
    }
    expect(names).toEqual(["", "empty", "link", "sub", "sub/run", "text"]);
  });

  it("verify fails (exit 1) without a trusted signature", async () => {
    const other = nix(["key", "convert-secret-to-public"], {
      input: nix(["key", "generate-secret", "--key-name", "test-cache-1"]),
    }).trim();
    const r = await runCliInProcess([
      "cache",
      "verify",
      pathToFileURL(caches.xz!).href,
      path,
      "--key",
      other,
    ]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("no valid signature");
  });

  /** A copy of the cache of `method` to tamper with. */
  function copyOf(method: string): { dir: string; narinfo: string; nar: string } {
    const d = mkdtempSync(join(dir, `hostile-${method}-`));
    cpSync(caches[method]!, d, { recursive: true });
    const narFile = readdirSync(join(d, "nar"))[0]!;
    return { dir: d, narinfo: join(d, `${hash}.narinfo`), nar: join(d, "nar", narFile) };
  }

  it("a corrupted uncompressed NAR is a FileHash mismatch, and its end is never reached", async () => {
    const c = copyOf("none");
    const bytes = readFileSync(c.nar);
    bytes[bytes.length >> 1]! ^= 0x20;
    writeFileSync(c.nar, bytes);
    const cache = open(c.dir);
    const { error, received } = await failure(fetchNar(cache, (await fetchNarInfo(cache, hash))!));
    expect(error).toBeInstanceOf(CacheIntegrityError);
    expect((error as CacheIntegrityError).code).toBe("cache.file-hash-mismatch");
    expect(received).toBeLessThan(dump.length);
    const r = await runCliInProcess([
      "cache",
      "verify",
      pathToFileURL(c.dir).href,
      path,
      "--key",
      publicKey,
    ]);
    expect(r.status).toBe(1);
  });

  it("a narinfo whose NarHash or NarSize lies is a typed mismatch", async () => {
    for (const [field, code] of [
      ["NarHash", "cache.nar-hash-mismatch"],
      ["NarSize", "cache.nar-size-mismatch"],
    ] as const) {
      const c = copyOf("zstd");
      const text = readFileSync(c.narinfo, "utf8");
      const lied =
        field === "NarHash"
          ? text.replace(
              /^NarHash: sha256:(.)/m,
              (_, ch: string) => `NarHash: sha256:${ch === "0" ? "1" : "0"}`,
            )
          : text.replace(/^NarSize: (\d+)/m, (_, n: string) => `NarSize: ${Number(n) - 8}`);
      writeFileSync(c.narinfo, lied);
      const cache = open(c.dir);
      const { error, received } = await failure(
        fetchNar(cache, (await fetchNarInfo(cache, hash))!),
      );
      expect((error as CacheIntegrityError).code, field).toBe(code);
      expect(received).toBeLessThan(dump.length);
    }
  });

  it("a truncated compressed NAR is CompressedDataTruncatedError for every method", async () => {
    for (const method of ["xz", "bzip2", "zstd", "br"]) {
      const c = copyOf(method);
      const bytes = readFileSync(c.nar);
      writeFileSync(c.nar, bytes.subarray(0, bytes.length - 40));
      const cache = open(c.dir);
      const { error } = await failure(fetchNar(cache, (await fetchNarInfo(cache, hash))!));
      expect(error, method).toBeInstanceOf(CompressedDataTruncatedError);
    }
  });

  it("malformed narinfos are typed errors, and the CLI says error: and exits 1", async () => {
    const c = copyOf("xz");
    writeFileSync(c.narinfo, "StorePath: /nix/store/nothash-x\nURL: nar/x.nar\n");
    await expect(fetchNarInfo(open(c.dir), hash)).rejects.toMatchObject({
      code: expect.stringMatching(/^narinfo\./),
    });
    const r = await runCliInProcess(["cache", "path-info", pathToFileURL(c.dir).href, path]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^error: /);
    // a narinfo for another path is refused too
    writeFileSync(c.narinfo, readFileSync(join(caches.xz!, `${hash}.narinfo`), "utf8"));
    const otherHash = `${hash.slice(0, 31)}${hash[31] === "0" ? "1" : "0"}`;
    cpSync(c.narinfo, join(c.dir, `${otherHash}.narinfo`));
    await expect(fetchNarInfo(open(c.dir), otherHash)).rejects.toMatchObject({
      code: "cache.narinfo-path-mismatch",
    });
  });
});
