/**
 * The cache handler without Nix: uploads that do not hold together are refused and leave
 * nothing behind, names that are not the cache's own never reach a store, and hostile requests
 * through `node:http` (`..`, `%2e%2e`, oversized headers) get 404/431 and nothing outside the
 * cache.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createBlobCacheStore } from "../../src/cache/blob-cache-store.js";
import { MemoryCacheBlobs } from "../../src/cache/cache-blobs.js";
import { createCacheHandler } from "../../src/cache/cache-handler.js";
import { cacheRoute } from "../../src/cache/cache-routes.js";
import { createFileCacheStore } from "../../src/cache/node-file-blobs.js";
import { type NodeCacheServer, serveWithNode } from "../../src/cache/node-http-server.js";
import { computeHash, formatDigest } from "../../src/core/hash.js";
import { narUpload, rawRequest } from "../support/cache-server.js";

const HASH_PART = "0c3p1ijzbw7k0lmvgmnahpqfm2nx5kzy";

const upload = (contents: string) => narUpload(contents, `/nix/store/${HASH_PART}-upload`);

function setup() {
  const blobs = new MemoryCacheBlobs();
  const handler = createCacheHandler({ store: createBlobCacheStore(blobs), writable: true });
  const put = (path: string, body: Uint8Array | string) =>
    handler(
      new Request(`http://cache/${path}`, {
        method: "PUT",
        body: typeof body === "string" ? body : new Uint8Array(body),
      }),
    );
  return { blobs, handler, put };
}

describe("cache uploads", () => {
  it("a NAR then its narinfo are published; served back byte for byte", async () => {
    const { blobs, handler, put } = setup();
    const u = upload("hello");
    expect((await put(`nar/${u.file}`, u.nar)).status).toBe(204);
    expect((await handler(new Request(`http://cache/nar/${u.file}`))).status).toBe(404);
    expect((await put(`${HASH_PART}.narinfo`, u.narinfo())).status).toBe(204);
    const got = await handler(new Request(`http://cache/nar/${u.file}`));
    expect(new Uint8Array(await got.arrayBuffer())).toEqual(u.nar);
    expect([...blobs.files.keys()].sort()).toEqual([`${HASH_PART}.narinfo`, `nar/${u.file}`]);
  });

  const refusals: [string, (u: ReturnType<typeof upload>) => Record<string, string>][] = [
    [
      "NarHash",
      () => ({ NarHash: `sha256:${formatDigest(computeHash("sha256", "other"), "nix32")}` }),
    ],
    ["NarSize", (u) => ({ NarSize: String(u.nar.length + 8) })],
    ["NarSize (shorter)", (u) => ({ NarSize: String(u.nar.length - 8) })],
    ["FileSize", (u) => ({ FileSize: String(u.nar.length + 1) })],
    [
      "FileHash",
      () => ({ FileHash: `sha256:${formatDigest(computeHash("sha256", "x"), "nix32")}` }),
    ],
    ["StorePath of another hash", () => ({ StorePath: `/nix/store/${"1".repeat(32)}-upload` })],
    ["a NAR never uploaded", () => ({ URL: `nar/${"2".repeat(52)}.nar` })],
    ["a compression it cannot check", () => ({ Compression: "lz4" })],
  ];
  for (const [what, change] of refusals) {
    it(`a narinfo whose ${what} does not hold is refused (400) and nothing of it is kept`, async () => {
      const { blobs, put } = setup();
      const u = upload(`contents for ${what}`);
      expect((await put(`nar/${u.file}`, u.nar)).status).toBe(204);
      expect((await put(`${HASH_PART}.ls`, '{"version":1}')).status).toBe(204);
      const r = await put(`${HASH_PART}.narinfo`, u.narinfo(change(u)));
      expect(r.status).toBe(400);
      expect(await r.text()).toMatch(/^(cache\.upload|narinfo)/);
      // nothing published; the only file left aside is a NAR the narinfo did not name
      const kept = [...blobs.files.keys()];
      expect(kept).toEqual(what === "a NAR never uploaded" ? [`.uploads/nar/${u.file}`] : []);
    });
  }

  it("a NAR whose bytes are not the hash its name says is refused at once", async () => {
    const { blobs, put } = setup();
    const u = upload("a");
    const r = await put(`nar/${u.file}`, upload("b").nar);
    expect(r.status).toBe(400);
    expect([...blobs.files.keys()]).toEqual([]);
    expect((await put("nar/not-a-hash.nar", u.nar)).status).toBe(400);
  });

  it("a malformed narinfo is refused with its line", async () => {
    const { blobs, put } = setup();
    const r = await put(`${HASH_PART}.narinfo`, "StorePath: nonsense\n");
    expect(r.status).toBe(400);
    expect([...blobs.files.keys()]).toEqual([]);
  });

  it("uploads above the limit get 413 before their bytes are read", async () => {
    const blobs = new MemoryCacheBlobs();
    const handler = createCacheHandler({
      store: createBlobCacheStore(blobs, { maxNarUploadBytes: 16 }),
      writable: true,
    });
    const u = upload("larger than sixteen bytes");
    const r = await handler(
      new Request(`http://cache/nar/${u.file}`, { method: "PUT", body: new Uint8Array(u.nar) }),
    );
    expect(r.status).toBe(413);
    expect([...blobs.files.keys()]).toEqual([]);
  });

  it("a read-only handler answers PUT with 405, unknown methods with 405", async () => {
    const handler = createCacheHandler({ store: createBlobCacheStore(new MemoryCacheBlobs()) });
    expect(
      (await handler(new Request("http://cache/nix-cache-info", { method: "PUT", body: "" })))
        .status,
    ).toBe(405);
    expect(
      (await handler(new Request("http://cache/nix-cache-info", { method: "DELETE" }))).status,
    ).toBe(405);
  });
});

describe("cache routes", () => {
  it("accept only the cache's own names", () => {
    expect(cacheRoute("/nix-cache-info")).toEqual({ kind: "cache-info" });
    expect(cacheRoute(`/${HASH_PART}.narinfo`)).toEqual({ kind: "narinfo", hashPart: HASH_PART });
    expect(cacheRoute(`/${HASH_PART}.ls`)).toEqual({ kind: "listing", hashPart: HASH_PART });
    expect(cacheRoute("/nar/abc.nar.xz")).toEqual({ kind: "nar", file: "abc.nar.xz" });
    for (const bad of [
      "/nar/../../etc/passwd",
      "/nar/%2e%2e/%2e%2e/etc/passwd",
      "/nar/..%2f..%2fetc%2fpasswd",
      "/nar/.hidden",
      "/nar/a/b.nar",
      "/nar/",
      `/${HASH_PART.slice(1)}.narinfo`,
      `/${HASH_PART}x.narinfo`,
      `/${HASH_PART.toUpperCase()}.narinfo`,
      `/${"e".repeat(32)}.narinfo`,
      `/${"u".repeat(32)}.narinfo`,
      `//${HASH_PART}.narinfo`,
      "/nix-cache-info/",
      "/.uploads/nar/x.nar",
    ]) {
      expect(cacheRoute(bad), bad).toBeUndefined();
    }
  });
});

describe("hostile requests through node:http on a file:// cache", () => {
  let dir: string;
  let server: NodeCacheServer;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "nix-compat-cache-hostile-"));
    const cache = join(dir, "cache");
    writeFileSync(join(dir, "secret.nar"), "outside the cache");
    const store = createFileCacheStore(cache);
    server = await serveWithNode(createCacheHandler({ store, writable: true }));
  });
  afterAll(async () => {
    await server.close(500);
    rmSync(dir, { recursive: true, force: true });
  });

  for (const path of [
    "/nar/../../etc/passwd",
    "/nar/../secret.nar",
    "/nar/%2e%2e/secret.nar",
    "/nar/%2e%2e%2fsecret.nar",
    "/nar/..%2Fsecret.nar",
    "/../secret.nar",
    "/%2e%2e/etc/passwd",
    "/nar//etc/passwd",
    `/${"z".repeat(5000)}.narinfo`,
  ]) {
    it(`GET ${path.slice(0, 40)} is 404 and shows no file outside the cache`, async () => {
      for (const method of ["GET", "PUT"]) {
        const response = await rawRequest(
          server.port,
          `${method} ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 4\r\n\r\nxxxx`,
        );
        expect(response).toMatch(/^HTTP\/1\.1 404 /);
        expect(response).not.toMatch(/root:|outside the cache/);
      }
    });
  }

  it("oversized headers get 431, and the server serves on", async () => {
    const response = await rawRequest(
      server.port,
      `GET /nix-cache-info HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(64 << 10)}\r\n\r\n`,
    );
    // The 431, or a reset that overtook it: the client was still sending its 64 KiB header
    // when the server stopped reading and closed (a kernel sends RST for unread bytes).
    if (response !== "") expect(response).toMatch(/^HTTP\/1\.1 431 /);
    expect((await fetch(`${server.url}/nix-cache-info`)).status).toBe(200);
  });
});
