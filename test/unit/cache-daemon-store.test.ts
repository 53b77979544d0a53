/**
 * The daemon cache store without Nix, over an in-memory worker-protocol store: path infos
 * reused within their TTL (and forgotten after it, or at once when the NAR fails), the signed
 * narinfo reused while the daemon says the same, and uploads checked into `AddToStoreNar`
 * (a NAR that does not match its narinfo is refused and nothing is kept, in the store or
 * aside).
 */
import { describe, expect, it } from "vitest";
import { MemoryCacheBlobs } from "../../src/cache/cache-blobs.js";
import { createCacheHandler } from "../../src/cache/cache-handler.js";
import { createDaemonCacheStore } from "../../src/cache/daemon-cache-store.js";
import { DaemonClient } from "../../src/daemon/client.js";
import { MemoryStore } from "../../src/daemon/memory-store.js";
import { memoryTransportPair } from "../../src/daemon/memory-transport.js";
import { serveWorkerProtocol } from "../../src/daemon/server.js";
import { encodeNar } from "../../src/nar/writer.js";
import { generateSecretKey } from "../../src/signing/keys.js";
import { narUpload } from "../support/cache-server.js";
import { plainPathInfo } from "../support/daemon.js";

const HASH_PART = "0c3p1ijzbw7k0lmvgmnahpqfm2nx5kzy";
const PATH = `/nix/store/${HASH_PART}-hello`;

function narOf(text: string): Uint8Array {
  return encodeNar({
    type: "regular",
    executable: false,
    contents: new TextEncoder().encode(text),
  });
}

/** A memory store behind a daemon client, counting QueryPathInfo calls. */
function setup(options: { ttl?: number } = {}) {
  const memory = new MemoryStore();
  let queries = 0;
  const handler = Object.assign(Object.create(memory) as MemoryStore, {
    queryPathInfo(path: string) {
      queries++;
      return memory.queryPathInfo(path);
    },
  });
  const client = new DaemonClient({
    connect: async () => {
      const [c, s] = memoryTransportPair();
      void serveWorkerProtocol(s, handler, { trusted: true }).catch(() => undefined);
      return c;
    },
  });
  let clock = 1_000_000;
  const staging = new MemoryCacheBlobs();
  const store = createDaemonCacheStore({
    client,
    pathInfoTtlMs: options.ttl ?? 1000,
    now: () => clock,
    uploads: { staging },
  });
  return {
    memory,
    client,
    store,
    staging,
    queries: () => queries,
    advance: (ms: number) => (clock += ms),
  };
}

function addHello(memory: MemoryStore, text = "hello") {
  const nar = narOf(text);
  memory.add(plainPathInfo(PATH, nar), nar);
  return nar;
}

describe("daemon cache store: path infos reused for their TTL", () => {
  it("asks the daemon once per TTL; the same narinfo object while nothing changed", async () => {
    const t = setup();
    addHello(t.memory);
    const a = await t.store.narInfo(HASH_PART);
    const b = await t.store.narInfo(HASH_PART);
    expect(t.queries()).toBe(1);
    expect(b).toBe(a);
    t.advance(1000);
    const c = await t.store.narInfo(HASH_PART);
    expect(t.queries()).toBe(2);
    expect(c).toBe(a); // asked again, unchanged: the handler need not sign it again
    t.client.close();
  });

  it("a deleted path is described for the TTL at most; a failing NAR forgets it at once", async () => {
    const t = setup();
    addHello(t.memory);
    const info = (await t.store.narInfo(HASH_PART))!;
    t.memory.paths.delete(PATH);
    expect(await t.store.narInfo(HASH_PART)).toBeDefined();
    t.advance(1000);
    expect(await t.store.narInfo(HASH_PART)).toBeUndefined();
    addHello(t.memory);
    expect(await t.store.narInfo(HASH_PART)).toBeDefined();
    t.memory.paths.delete(PATH);
    const nar = (await t.store.nar(info.url.slice("nar/".length)))!;
    await expect(new Response(nar.open()).arrayBuffer()).rejects.toThrow();
    expect(await t.store.narInfo(HASH_PART)).toBeUndefined();
    t.client.close();
  });

  it("ttl 0 asks the daemon for every request; signed narinfos still served", async () => {
    const t = setup({ ttl: 0 });
    addHello(t.memory);
    const handler = createCacheHandler({ store: t.store, secretKey: generateSecretKey("k-1") });
    const one = await (await handler(new Request(`http://x/${HASH_PART}.narinfo`))).text();
    const two = await (await handler(new Request(`http://x/${HASH_PART}.narinfo`))).text();
    expect(two).toBe(one);
    expect(one).toMatch(/^Sig: k-1:/m);
    expect(t.queries()).toBe(2);
    t.client.close();
  });
});

describe("daemon cache store: uploads", () => {
  function upload(text: string, over: Record<string, string> = {}) {
    const u = narUpload(text, PATH);
    return { ...u, narinfo: u.narinfo(over) };
  }
  const body = (bytes: Uint8Array<ArrayBuffer>) => ({
    stream: new Response(bytes).body!,
    length: bytes.length,
  });

  it("a NAR and its narinfo become a valid path; nothing is left aside", async () => {
    const t = setup();
    expect(await t.store.narInfo(HASH_PART)).toBeUndefined();
    const u = upload("uploaded", { Sig: "k-1:" + "A".repeat(86) + "==" });
    await t.store.uploads!.putNar(u.file, body(u.nar));
    expect(t.staging.files.size).toBe(1);
    await t.store.uploads!.putNarInfo(HASH_PART, u.narinfo);
    expect(t.memory.paths.get(PATH)?.nar).toEqual(u.nar);
    expect(t.memory.paths.get(PATH)?.info.sigs).toEqual(["k-1:" + "A".repeat(86) + "=="]);
    expect(t.staging.files.size).toBe(0);
    expect((await t.store.narInfo(HASH_PART))?.narSize).toBe(u.nar.length);
    t.client.close();
  });

  it("a NAR that does not match its narinfo is refused and nothing is kept", async () => {
    const t = setup();
    const good = upload("the real one");
    const other = upload("another one of the same length!");
    const lying = good.narinfo
      .replace(/^NarHash: .*$/m, other.narinfo.match(/^NarHash: .*$/m)![0])
      .replace(/^NarSize: .*$/m, `NarSize: ${good.nar.length}`);
    await t.store.uploads!.putNar(good.file, body(good.nar));
    await expect(t.store.uploads!.putNarInfo(HASH_PART, lying)).rejects.toMatchObject({
      code: "cache.upload-mismatch",
    });
    expect(t.memory.paths.size).toBe(0);
    expect(t.staging.files.size).toBe(0);
    // the connection was dropped half way, a new one works
    await t.store.uploads!.putNar(good.file, body(good.nar));
    await t.store.uploads!.putNarInfo(HASH_PART, good.narinfo);
    expect(t.memory.paths.has(PATH)).toBe(true);
    t.client.close();
  });

  it("a narinfo without its NAR, or naming another path, is refused", async () => {
    const t = setup();
    const u = upload("x");
    await expect(t.store.uploads!.putNarInfo(HASH_PART, u.narinfo)).rejects.toMatchObject({
      code: "cache.upload-missing-nar",
    });
    await t.store.uploads!.putNar(u.file, body(u.nar));
    await expect(
      t.store.uploads!.putNarInfo("1c3p1ijzbw7k0lmvgmnahpqfm2nx5kzy", u.narinfo),
    ).rejects.toMatchObject({ code: "cache.upload-narinfo-name" });
    expect(t.memory.paths.size).toBe(0);
    expect(t.staging.files.size).toBe(0);
    t.client.close();
  });
});
