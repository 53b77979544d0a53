/**
 * Streaming inputs are closed when reading stops: a `ReadableStream` is cancelled (and its lock
 * released) when the consumer breaks out early or decoding fails, an iterator's `return()` is
 * called; `hashStream` and the serve/codec writers take the same inputs as the NAR readers.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { encode, payload, type PayloadSource } from "../../src/codecs/index.js";
import {
  base16Encode,
  type ChunkSource,
  hashBytes,
  hashStream,
  UsageError,
} from "../../src/core/index.js";
import {
  listNar,
  readNar,
  readNarDeclarative,
  readNarSync,
  readNarTree,
} from "../../src/nar/index.js";
import { REPO_ROOT } from "../support/fixtures.js";
import { rejection as thrown } from "../support/thrown.js";

const NAR = new Uint8Array(readFileSync(`${REPO_ROOT}/examples/hello.nar`));

interface Recorded {
  readonly stream: ReadableStream<Uint8Array>;
  readonly cancelled: unknown[];
  /** How many chunks were pulled. */
  pulls: number;
}

/** A ReadableStream of `bytes` in chunks of `size` whose `cancel()` records the call. */
function recordingStream(bytes: Uint8Array, size = 64): Recorded {
  let at = 0;
  const rec: { cancelled: unknown[]; pulls: number } = { cancelled: [], pulls: 0 };
  const stream = new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        rec.pulls++;
        if (at >= bytes.length) controller.close();
        else controller.enqueue(bytes.slice(at, (at += size)));
      },
      cancel(reason) {
        rec.cancelled.push(reason);
      },
    },
    { highWaterMark: 0 },
  );
  return Object.assign(rec, { stream });
}

/** `NAR` with one byte of its first regular file's padding made non-zero (a decode error mid-stream). */
function corruptNar(): Uint8Array {
  const bad = NAR.slice();
  // the last byte before the trailing ")" tokens: the root directory's closing parenthesis
  bad[bad.length - 9] = 0x58;
  return bad;
}

describe("a ReadableStream is cancelled when reading stops early", () => {
  it("readNar: break out of for await", async () => {
    const r = recordingStream(NAR);
    for await (const node of readNar(r.stream)) {
      expect(node.path).toBe("");
      break;
    }
    expect(r.cancelled).toHaveLength(1);
    expect(r.stream.locked).toBe(false);
  });

  it("readNar: a decode error mid-stream", async () => {
    const r = recordingStream(corruptNar());
    const err = await thrown(
      (async () => {
        for await (const node of readNar(r.stream)) {
          if (node.type === "regular") for await (const _ of node.contents) void _;
        }
      })(),
    );
    expect((err as { code?: string }).code).toMatch(/^nar\./);
    expect(r.cancelled).toHaveLength(1);
    expect(r.stream.locked).toBe(false);
  });

  it("readNar read to the end releases the lock without cancelling", async () => {
    const r = recordingStream(NAR);
    for await (const node of readNar(r.stream)) {
      if (node.type === "regular") for await (const _ of node.contents) void _;
    }
    expect(r.cancelled).toHaveLength(0);
    expect(r.stream.locked).toBe(false);
  });

  it("listNar: a decode error cancels, a whole NAR does not", async () => {
    const bad = recordingStream(corruptNar());
    expect(await thrown(listNar(bad.stream))).toMatchObject({
      code: expect.stringMatching(/^nar\./),
    });
    expect(bad.cancelled).toHaveLength(1);
    expect(bad.stream.locked).toBe(false);
    const good = recordingStream(NAR);
    expect((await listNar(good.stream)).type).toBe("directory");
    expect(good.cancelled).toHaveLength(0);
    expect(good.stream.locked).toBe(false);
  });

  it("the declarative reader and readNarTree too", async () => {
    const r = recordingStream(NAR);
    for await (const _ of readNarDeclarative(r.stream)) break;
    expect(r.cancelled).toHaveLength(1);
    const bad = recordingStream(corruptNar());
    expect(await thrown(readNarTree(bad.stream))).toBeInstanceOf(Error);
    expect(bad.cancelled).toHaveLength(1);
  });

  it("hashStream: a chunk that is not bytes cancels the stream", async () => {
    const cancelled: unknown[] = [];
    const stream = new ReadableStream<unknown>({
      start(c) {
        c.enqueue(new Uint8Array([1]));
        c.enqueue("nope");
      },
      cancel: (reason) => void cancelled.push(reason),
    });
    const err = await thrown(hashStream("sha256", stream as ReadableStream<Uint8Array>));
    expect(err).toBeInstanceOf(UsageError);
    expect((err as UsageError).code).toBe("codec.chunk-not-bytes");
    expect(cancelled).toHaveLength(1);
  });
});

describe("iterators are returned when reading stops early", () => {
  function recordingChunks(bytes: Uint8Array, size = 64) {
    const rec = { returned: 0 };
    async function* gen(): AsyncGenerator<Uint8Array> {
      try {
        for (let at = 0; at < bytes.length; at += size) yield bytes.slice(at, at + size);
      } finally {
        rec.returned++;
      }
    }
    function* genSync(): Generator<Uint8Array> {
      try {
        for (let at = 0; at < bytes.length; at += size) yield bytes.slice(at, at + size);
      } finally {
        rec.returned++;
      }
    }
    return { rec, gen, genSync };
  }

  it("readNar over an async generator: break calls return()", async () => {
    const { rec, gen } = recordingChunks(NAR);
    for await (const _ of readNar(gen())) break;
    expect(rec.returned).toBe(1);
  });

  it("listNar over an async generator: a decode error calls return()", async () => {
    const { rec, gen } = recordingChunks(corruptNar());
    expect(await thrown(listNar(gen()))).toBeInstanceOf(Error);
    expect(rec.returned).toBe(1);
  });

  it("readNarSync over a sync generator: break calls return()", () => {
    const { rec, genSync } = recordingChunks(NAR);
    for (const _ of readNarSync(genSync())) break;
    expect(rec.returned).toBe(1);
  });
});

describe("chunk sources", () => {
  function source(bytes: Uint8Array) {
    const calls: string[] = [];
    let at = 0;
    const src: ChunkSource & { close(): void } = {
      next: () => (at >= bytes.length ? undefined : bytes.slice(at, (at += 64))),
      finish: (early) => void calls.push(`finish(${early})`),
      // a close() of the source's own (as node's fdChunkSource has) is the caller's to call
      close: () => void calls.push("close"),
    };
    return { src, calls };
  }

  it("are finished once: early on a break or an error, not early at the end; never closed", async () => {
    const a = source(NAR);
    for await (const _ of readNar(a.src)) break;
    expect(a.calls).toEqual(["finish(true)"]);
    const b = source(NAR);
    await listNar(b.src);
    expect(b.calls).toEqual(["finish(false)"]);
    const c = source(corruptNar());
    expect(await thrown(listNar(c.src))).toBeInstanceOf(Error);
    expect(c.calls).toEqual(["finish(true)"]);
  });
});

describe("hashStream and writers take what the NAR readers take", () => {
  const want = base16Encode(hashBytes("sha256", NAR));

  it("bytes, iterables, async iterables and ReadableStreams hash alike", async () => {
    async function* chunks() {
      yield NAR.subarray(0, 100);
      yield NAR.subarray(100);
    }
    const inputs = [
      NAR,
      [NAR.subarray(0, 7), NAR.subarray(7)],
      chunks(),
      recordingStream(NAR).stream,
    ];
    for (const input of inputs) expect(base16Encode(await hashStream("sha256", input))).toBe(want);
  });

  it("null and other values are typed errors", async () => {
    for (const bad of [null, 42, {}]) {
      const err = await thrown(hashStream("sha256", bad as unknown as Uint8Array));
      expect(err).toBeInstanceOf(UsageError);
    }
  });

  it("a payload's stream may be bytes", async () => {
    const codec = payload();
    const direct = encode(codec, new Uint8Array([1, 2, 3]));
    const source: PayloadSource = { size: 3, stream: new Uint8Array([1, 2, 3]) };
    // (a PayloadSource is what the encoder takes where the decoder gives a PayloadHandle)
    expect(encode(codec, source as never)).toEqual(direct);
  });
});
