/**
 * The error replay of generated resumable decoders resumes the interpreter at its last
 * checkpoint (decode-resumable.ts; random declarations: codecs-resumable.test.ts): on a NAR of
 * 100k entries no structure bytes are kept, and damage late in a long NAR gives the
 * interpreter's error.
 */
import { describe, expect, it } from "vitest";
import { ByteReader } from "../../src/codecs/byte-reader.js";
import { type AnyCodec, decodeEvents } from "../../src/codecs/index.js";
import {
  decodeEventsResumable,
  RESUMABLE_END,
  RESUMABLE_NEED,
  RESUMABLE_PAYLOAD,
  type ResumableCodec,
} from "../../src/codecs/decode-resumable.js";
import type { PayloadHandle } from "../../src/codecs/payload.js";
import { encodeNar, type NarNode } from "../../src/nar/index.js";
import { narDecoding } from "../../src/nar/nar-stream-reader.js";
import { narGrammar } from "../../src/nar/nar-grammar.js";
import { narResumable } from "../../src/nar/nar-compiled.js";
import { int, outcome, rng } from "../support/random-codecs.js";

/** Events (name, offset; payloads drained) then "end" or the error, in `chunk`-byte pieces. */
async function outcomeOf(
  decoding: (
    chunks: Uint8Array[],
  ) => AsyncGenerator<{ name: string; offset: number; value: unknown }>,
  input: Uint8Array,
  chunk: number,
): Promise<unknown[]> {
  const pieces: Uint8Array[] = [];
  for (let i = 0; i < input.length; i += chunk) pieces.push(input.subarray(i, i + chunk));
  const seen: unknown[] = [];
  try {
    for await (const ev of decoding(pieces)) {
      const h = ev.value as PayloadHandle | undefined;
      if (h !== null && typeof h === "object" && "stream" in h) for await (const _ of h.stream);
      seen.push([ev.name, ev.offset]);
    }
    seen.push("end");
  } catch (e) {
    seen.push(
      outcome(() => {
        throw e;
      }),
    );
  }
  return seen;
}

async function sameAsInterpreter<T>(
  codec: AnyCodec,
  resumable: ResumableCodec<T>,
  input: Uint8Array,
  chunk: number,
  limits?: Record<string, number>,
): Promise<void> {
  const want = await outcomeOf((c) => decodeEvents(codec, c, { limits }), input, chunk);
  const got = await outcomeOf((c) => decodeEventsResumable(resumable, c, { limits }), input, chunk);
  expect(got).toEqual(want);
}

/** A NAR of `n` small files in two directories (`d0/f…`, `d1/f…`) and a symlink. */
function manyEntries(n: number): Uint8Array {
  const files = (prefix: number, count: number) =>
    Array.from({ length: count }, (_, i) => ({
      name: `f${String(i).padStart(6, "0")}`,
      node: {
        type: "regular" as const,
        executable: i % 7 === 0,
        contents: new Uint8Array(i % 13).fill(prefix + 1),
      },
    }));
  const tree: NarNode = {
    type: "directory",
    entries: [
      { name: "d0", node: { type: "directory", entries: files(0, n / 2) } },
      { name: "d1", node: { type: "directory", entries: files(1, n / 2) } },
      { name: "link", node: { type: "symlink", target: "d0" } },
    ],
  };
  return encodeNar(tree);
}

describe("the NAR reader keeps bounded memory for its error replay", () => {
  const nar = manyEntries(100_000);

  it("100k entries: the structure bytes kept for the replay stay bounded", () => {
    let at = 0;
    const reader = new ByteReader({
      sync: true,
      next: () => (at < nar.length ? nar.subarray(at, (at += 65536)) : undefined),
    });
    const d = narDecoding(reader, {});
    for (;;) {
      const code = d.step();
      if (code === RESUMABLE_END) break;
      if (code === RESUMABLE_NEED) d.fillSync();
      else if (code === RESUMABLE_PAYLOAD) while (d.chunkSync() !== undefined);
    }
    expect(nar.length).toBeGreaterThan(10_000_000);
    // (a checkpoint after every payload and before every fetch: at most the bytes of a state)
    expect(d.peakRetained).toBeLessThan(1024);
  });

  it("damage late in a long NAR gives the interpreter's error (class, code, rule, offset, text)", async () => {
    expect(narResumable.mode).toBe("generated");
    const small = manyEntries(2_000);
    const r = rng(7);
    for (let round = 0; round < 4; round++) {
      const damaged = new Uint8Array(small);
      const at = small.length - 1 - int(r, small.length >> 1);
      damaged[at]! ^= 1 << int(r, 8);
      for (const input of [damaged, small.subarray(0, at)])
        await sameAsInterpreter(narGrammar, narResumable, input, 4096 + int(r, 8192));
    }
    // and a wrong order of names far from the start
    const swapped = new Uint8Array(small);
    const name = new TextEncoder().encode("f000700");
    const other = new TextEncoder().encode("f000600");
    for (let i = small.length >> 1; i < small.length - 7; i++) {
      if (name.every((c, j) => small[i + j] === c)) {
        swapped.set(other, i);
        break;
      }
    }
    await sameAsInterpreter(narGrammar, narResumable, swapped, 5000);
  });
});
