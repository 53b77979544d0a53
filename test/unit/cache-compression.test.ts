// nix-compat/cache compression: every method decodes what the reference tools (xz, zstd,
// bzip2 programs; node:zlib for brotli) write, our encoders' output decodes back, failures
// are typed (truncated told apart from corrupt), and the Web-stream adapters work.
import { spawnSync } from "node:child_process";
import { brotliCompressSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  canRunCompression,
  compress,
  compressionExtension,
  compressionStream,
  CompressedDataError,
  CompressedDataTruncatedError,
  CompressionUnsupportedError,
  decompress,
  decompressionStream,
  parseCompressionMethod,
  setCompressionCodec,
} from "../../src/cache/index.js";
import { installNodeCompression } from "../../src/cache/node.js";

/** Some compressible and some random bytes: 300 kB, several chunks, more than a bzip2 block of level 1. */
function sample(): Uint8Array {
  const out = new Uint8Array(300_000);
  let x = 12345;
  for (let i = 0; i < out.length; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = i % 16 === 0 ? x >>> 24 : (i >> 9) & 0xff;
  }
  return out;
}
const PLAIN = sample();

function tool(program: string, args: string[], input: Uint8Array): Uint8Array | undefined {
  const r = spawnSync(program, args, { input, maxBuffer: 1 << 26 });
  return r.status === 0 ? new Uint8Array(r.stdout) : undefined;
}

function* chunked(bytes: Uint8Array, size = 7_001): Generator<Uint8Array> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

/** Byte equality without vitest's element-by-element diff (slow on 300 kB). */
function same(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.compare(a, b) === 0;
}

async function collect(chunks: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const c of chunks) parts.push(c);
  return new Uint8Array(Buffer.concat(parts));
}

const REFERENCE: Record<string, () => Uint8Array | undefined> = {
  xz: () => tool("xz", ["-c", "-1"], PLAIN),
  zstd: () => tool("zstd", ["-c", "-q"], PLAIN),
  bzip2: () => tool("bzip2", ["-c", "-1"], PLAIN),
  br: () => new Uint8Array(brotliCompressSync(PLAIN)),
};

describe("cache compression (portable codecs)", () => {
  for (const [method, make] of Object.entries(REFERENCE)) {
    const data = make();
    const canDecode = canRunCompression(method, "decompress");
    it.skipIf(data === undefined || !canDecode)(
      `decodes what the reference writes: ${method}`,
      async () => {
        expect(same(await collect(decompress(method, chunked(data!))), PLAIN)).toBe(true);
      },
    );
    it.skipIf(data === undefined || !canDecode)(
      `a cut ${method} stream is truncated, not corrupt`,
      async () => {
        const cut = data!.subarray(0, Math.floor(data!.length / 2));
        const err = await collect(decompress(method, chunked(cut))).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(CompressedDataTruncatedError);
        expect((err as CompressedDataTruncatedError).code).toBe("cache.compressed-data-truncated");
      },
    );
  }

  it("xz and bzip2 refuse corrupted data with cache.compressed-data-corrupt", async () => {
    for (const method of ["xz", "bzip2"]) {
      const data = REFERENCE[method]!();
      if (data === undefined) continue;
      const bad = Uint8Array.from(data);
      for (let i = 200; i < bad.length - 200; i += 997) bad[i]! ^= 0x5a;
      const err = await collect(decompress(method, chunked(bad))).catch((e: unknown) => e);
      expect(err, method).toBeInstanceOf(CompressedDataError);
      expect((err as CompressedDataError).code).toBe("cache.compressed-data-corrupt");
    }
  });

  it("two xz streams decode at once (the decoder is shared, not deadlocked)", async () => {
    const data = REFERENCE.xz!();
    if (data === undefined) return;
    const [a, b] = await Promise.all([
      collect(decompress("xz", chunked(data))),
      collect(decompress("xz", chunked(data))),
    ]);
    expect(same(a, PLAIN)).toBe(true);
    expect(same(b, PLAIN)).toBe(true);
  });

  it("stopping early cancels the input and frees the xz decoder", async () => {
    const data = REFERENCE.xz!();
    if (data === undefined) return;
    let cancelled = false;
    const stream = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(data.subarray(0, 4000));
      },
      cancel() {
        cancelled = true;
      },
    });
    for await (const chunk of decompress("xz", stream)) {
      expect(chunk.length).toBeGreaterThan(0);
      break;
    }
    expect(cancelled).toBe(true);
    // the decoder is free again
    expect(same(await collect(decompress("xz", chunked(data))), PLAIN)).toBe(true);
  });

  it("none hands bytes on; unknown methods are usage errors", async () => {
    expect(same(await collect(decompress("none", chunked(PLAIN))), PLAIN)).toBe(true);
    expect(same(await collect(compress("none", PLAIN)), PLAIN)).toBe(true);
    expect(() => parseCompressionMethod("gzip")).toThrow(CompressionUnsupportedError);
    await expect(collect(decompress("lz4", PLAIN))).rejects.toMatchObject({
      code: "cache.unknown-compression",
    });
    await expect(collect(compress("bzip2", PLAIN))).rejects.toMatchObject({
      code: "cache.compression-unsupported",
    });
    expect(
      ["none", "xz", "zstd", "bzip2", "br"].map((m) =>
        compressionExtension(parseCompressionMethod(m)),
      ),
    ).toEqual(["", ".xz", ".zst", ".bz2", ".br"]);
  });
});

describe("cache compression (Node codecs)", () => {
  beforeAll(() => installNodeCompression());
  afterAll(() => {
    for (const m of ["br", "zstd", "xz"] as const) setCompressionCodec(m, undefined);
  });

  for (const method of ["zstd", "br", "xz"]) {
    it(`round trips ${method}, and the reference tool reads ours`, async () => {
      if (method === "xz" && REFERENCE.xz!() === undefined) return;
      const packed = await collect(compress(method, chunked(PLAIN), { level: 1 }));
      expect(packed.length).toBeLessThan(PLAIN.length);
      expect(same(await collect(decompress(method, chunked(packed))), PLAIN)).toBe(true);
      const program = { zstd: ["zstd", "-d", "-c"], xz: ["xz", "-d", "-c"] }[
        method as "zstd" | "xz"
      ];
      if (program !== undefined) {
        const back = tool(program[0]!, program.slice(1), packed);
        if (back !== undefined) expect(same(back, PLAIN)).toBe(true);
      }
    });
  }

  it("Web-stream adapters pipe through", async () => {
    const source = new Blob([PLAIN as Uint8Array<ArrayBuffer>]).stream();
    const packed = source
      .pipeThrough(compressionStream("zstd"))
      .pipeThrough(decompressionStream("zstd"));
    expect(same(new Uint8Array(await new Response(packed).arrayBuffer()), PLAIN)).toBe(true);
  });
});
