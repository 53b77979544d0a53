// NAR uploads in parts (the handler's parts protocol, the blob store, the upload client), in
// memory: a NAR larger than one request's limit goes up in parts and is published by its
// narinfo; a part upload whose file does not match its name, or whose narinfo does not hold,
// leaves nothing behind; a server without parts gets one PUT.
import { describe, expect, it } from "vitest";
import { createBlobCacheStore } from "../../src/cache/blob-cache-store.js";
import { fetchNarInfo, openBinaryCache } from "../../src/cache/binary-cache.js";
import { type CacheBlobs, MemoryCacheBlobs } from "../../src/cache/cache-blobs.js";
import { createCacheHandler } from "../../src/cache/cache-handler.js";
import { uploadNarFile, uploadNarInfo } from "../../src/cache/cache-upload-client.js";
import { fetchNar } from "../../src/cache/checked-nar.js";
import { createHasher } from "../../src/core/hasher.js";
import { nixbase32Encode } from "../../src/core/nixbase32.js";
import { parseNarInfo } from "../../src/narinfo/parse.js";

const LIMIT = 4096;

function setup(blobs: CacheBlobs = new MemoryCacheBlobs()) {
  const handler = createCacheHandler({
    store: createBlobCacheStore(blobs, { maxNarUploadBytes: LIMIT }),
    writable: true,
  });
  const fetch = (url: string, init?: RequestInit) => handler(new Request(url, init));
  const cache = openBinaryCache("http://cache.test/", { fetch });
  return { cache, fetch };
}

function sha256nix32(bytes: Uint8Array): string {
  return nixbase32Encode(createHasher("sha256").update(bytes).digest());
}

/** A NAR file of `size` bytes (compression none) and its narinfo. */
function narOf(size: number, name = "parts") {
  const bytes = new Uint8Array(size);
  crypto.getRandomValues(bytes);
  const hash = sha256nix32(bytes);
  const file = `${hash}.nar`;
  const hashPart = "0".repeat(31) + String(size % 10);
  const info = parseNarInfo(
    `StorePath: /nix/store/${hashPart}-${name}\nURL: nar/${file}\nCompression: none\n` +
      `FileHash: sha256:${hash}\nFileSize: ${size}\nNarHash: sha256:${hash}\nNarSize: ${size}\n` +
      `References: \n`,
  );
  return { bytes, file, info, hashPart };
}

async function collect(chunks: AsyncIterable<Uint8Array>): Promise<number[]> {
  const out: number[] = [];
  for await (const c of chunks) out.push(...c);
  return out;
}

describe("NAR uploads in parts", () => {
  it("a NAR above the request limit goes up in parts and reads back", async () => {
    const blobs = new MemoryCacheBlobs();
    const { cache, fetch } = setup(blobs);
    const nar = narOf(LIMIT * 2 + 100);
    const whole = await fetch(`${cache.url}nar/${nar.file}`, {
      method: "PUT",
      body: nar.bytes as BodyInit,
    });
    expect(whole.status).toBe(413);
    expect(await uploadNarFile(cache, nar.file, nar.bytes)).toEqual({
      parts: 3,
      size: nar.bytes.length,
    });
    expect(await fetchNarInfo(cache, nar.hashPart)).toBeUndefined();
    await uploadNarInfo(cache, nar.info);
    const info = (await fetchNarInfo(cache, nar.hashPart))!;
    expect(await collect(fetchNar(cache, info))).toEqual([...nar.bytes]);
    expect([...blobs.files.keys()].filter((k) => k.startsWith(".uploads/"))).toEqual([]);
    expect(blobs.partUploads.size).toBe(0);
  });

  it("a file that is not what its name says is refused at completion and aborted", async () => {
    const blobs = new MemoryCacheBlobs();
    const { cache } = setup(blobs);
    const nar = narOf(LIMIT + 10);
    const other = narOf(LIMIT + 10);
    await expect(uploadNarFile(cache, nar.file, other.bytes)).rejects.toThrow(
      /400.*cache.upload-file-hash/,
    );
    expect(blobs.files.size).toBe(0);
    expect(blobs.partUploads.size).toBe(0);
  });

  it("a narinfo that does not hold for the NAR leaves nothing", async () => {
    const blobs = new MemoryCacheBlobs();
    const { cache } = setup(blobs);
    const nar = narOf(LIMIT + 10);
    await uploadNarFile(cache, nar.file, nar.bytes);
    const wrong = { ...nar.info, narSize: nar.info.narSize + 1 };
    await expect(uploadNarInfo(cache, wrong)).rejects.toThrow(/400.*cache.upload-nar-size/);
    expect(blobs.files.size).toBe(0);
  });

  it("an aborted upload leaves nothing; bad part numbers and part lists are 400", async () => {
    const blobs = new MemoryCacheBlobs();
    const { cache, fetch } = setup(blobs);
    const nar = narOf(100);
    const url = `${cache.url}nar/${nar.file}`;
    const begun = await fetch(`${url}?uploads`, { method: "POST" });
    const { uploadId, partSize } = (await begun.json()) as { uploadId: string; partSize: number };
    expect(partSize).toBe(LIMIT);
    const part = (n: string, body: Uint8Array) =>
      fetch(`${url}?uploadId=${uploadId}&partNumber=${n}`, {
        method: "PUT",
        body: body as BodyInit,
      });
    expect((await part("1", nar.bytes)).status).toBe(200);
    expect((await part("0", nar.bytes)).status).toBe(400);
    expect((await part("x", nar.bytes)).status).toBe(400);
    expect((await part("2", new Uint8Array(LIMIT + 1))).status).toBe(413);
    const bad = await fetch(`${url}?uploadId=${uploadId}`, { method: "POST", body: "{}" });
    expect(bad.status).toBe(400);
    expect((await fetch(`${url}?uploadId=${uploadId}`, { method: "DELETE" })).status).toBe(204);
    expect(blobs.partUploads.size).toBe(0);
    expect(blobs.files.size).toBe(0);
    const gone = await part("2", nar.bytes);
    expect(gone.status).toBe(400);
  });

  it("a store without parts gets the file in one PUT; a read-only cache refuses parts", async () => {
    const memory = new MemoryCacheBlobs();
    const { parts: _, ...withoutParts } = {
      get: memory.get.bind(memory),
      put: memory.put.bind(memory),
      delete: memory.delete.bind(memory),
      move: memory.move.bind(memory),
      parts: undefined,
    };
    const { cache } = setup(withoutParts);
    const nar = narOf(100);
    expect(await uploadNarFile(cache, nar.file, nar.bytes)).toEqual({ parts: 0, size: 100 });
    await uploadNarInfo(cache, nar.info);
    expect(memory.files.has(`nar/${nar.file}`)).toBe(true);
    const readOnly = createCacheHandler({ store: createBlobCacheStore(new MemoryCacheBlobs()) });
    const res = await readOnly(new Request(`http://x/nar/${nar.file}?uploads`, { method: "POST" }));
    expect(res.status).toBe(405);
  });

  it("405 answers list in Allow the methods the URL takes", async () => {
    const { cache, fetch } = setup();
    const nar = `${cache.url}nar/${narOf(10).file}`;
    const allow = async (url: string, method: string) => {
      const res = await fetch(url, { method });
      expect(res.status).toBe(405);
      return res.headers.get("allow");
    };
    expect(await allow(`${nar}?uploads`, "PUT")).toBe("GET, HEAD, POST");
    expect(await allow(`${nar}?uploadId=x&partNumber=1`, "PATCH")).toBe(
      "GET, HEAD, PUT, POST, DELETE",
    );
    expect(await allow(nar, "DELETE")).toBe("GET, HEAD, PUT");
    const readOnly = createCacheHandler({ store: createBlobCacheStore(new MemoryCacheBlobs()) });
    for (const [url, method] of [
      [`${nar}?uploads`, "POST"],
      [`${nar}?uploadId=x`, "DELETE"],
      [nar, "PUT"],
      [`${cache.url}nix-cache-info`, "PUT"],
    ] as const) {
      const res = await readOnly(new Request(url, { method, body: method === "PUT" ? "" : null }));
      expect([res.status, res.headers.get("allow")]).toEqual([405, "GET, HEAD"]);
    }
  });

  it("parts past the size accepted: a part number beyond it is 413, a joined file over it too, nothing kept", async () => {
    const blobs = new MemoryCacheBlobs();
    const handler = createCacheHandler({
      store: createBlobCacheStore(blobs, {
        maxNarUploadBytes: LIMIT,
        maxPartedNarBytes: LIMIT * 2,
      }),
      writable: true,
    });
    const nar = narOf(LIMIT * 3);
    const url = `http://cache.test/nar/${nar.file}`;
    const begun = await handler(new Request(`${url}?uploads`, { method: "POST" }));
    const { uploadId } = (await begun.json()) as { uploadId: string };
    const put = (n: number) =>
      handler(
        new Request(`${url}?uploadId=${uploadId}&partNumber=${n}`, {
          method: "PUT",
          body: nar.bytes.subarray((n - 1) * LIMIT, n * LIMIT) as BodyInit,
        }),
      );
    expect((await put(4)).status).toBe(413);
    const parts = [];
    for (const n of [1, 2, 3]) parts.push(await (await put(n)).json());
    const completed = await handler(
      new Request(`${url}?uploadId=${uploadId}`, {
        method: "POST",
        body: JSON.stringify({ parts }),
      }),
    );
    expect(completed.status).toBe(413);
    expect(await completed.text()).toMatch(/cache.upload-too-large/);
    expect(blobs.files.size).toBe(0);
  });
});
