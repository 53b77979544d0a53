// measureStream: a stream's size and sha256, piped into a native streaming digest where the
// runtime has one (Workers' crypto.DigestStream, stood in for here), else through createHasher;
// both refuse a stream past the limit.
import { createHash } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { measureStream } from "../../src/cache/upload-body.js";

/** A stand-in for Workers' `crypto.DigestStream`. */
class FakeDigestStream extends WritableStream<Uint8Array> {
  readonly digest: Promise<ArrayBuffer>;
  constructor(algorithm: string) {
    expect(algorithm).toBe("SHA-256");
    const hash = createHash("sha256");
    let done!: (b: ArrayBuffer) => void;
    super({
      write: (chunk) => void hash.update(chunk),
      close: () => done(new Uint8Array(hash.digest()).buffer),
    });
    this.digest = new Promise((resolve) => (done = resolve));
  }
}

const streamOf = (chunks: Uint8Array[]) =>
  new ReadableStream<Uint8Array>({
    start(c) {
      for (const chunk of chunks) c.enqueue(chunk);
      c.close();
    },
  });

describe("measureStream", () => {
  const crypto = globalThis.crypto as unknown as { DigestStream?: unknown };
  afterEach(() => delete crypto.DigestStream);

  for (const native of [false, true]) {
    it(native ? "with a native DigestStream" : "with createHasher", async () => {
      if (native) crypto.DigestStream = FakeDigestStream;
      const chunks = [new Uint8Array(1000).fill(7), new Uint8Array(24).fill(9)];
      const measured = await measureStream(streamOf(chunks), 1024);
      expect(measured.size).toBe(1024);
      expect(Buffer.from(measured.sha256!).toString("hex")).toBe(
        createHash("sha256").update(Buffer.concat(chunks)).digest("hex"),
      );
      await expect(measureStream(streamOf(chunks), 1023)).rejects.toMatchObject({
        code: "cache.upload-too-large",
      });
    });
  }
});
