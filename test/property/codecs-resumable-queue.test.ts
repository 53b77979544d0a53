/**
 * The queue of generated resumable decoders (compile-resumable-source.ts): a run decodes as far
 * as the buffered bytes go, queueing events and the payloads whose bytes are all buffered. On a
 * declaration with more events than the queue holds, payloads inside events and bare payloads,
 * fed whole and in random chunkings, valid and damaged: the interpreter's events, payload bytes
 * and errors; buffered payloads handed out as views of the input (no copy).
 */
import { describe, expect, it } from "vitest";
import {
  type AnyCodec,
  type DecodeEvent,
  decodeEvents,
  encode,
  event,
  payload,
  record,
  repeatUntil,
  token,
  utf8,
} from "../../src/codecs/index.js";
import { compileResumable, decodeEventsResumable } from "../../src/codecs/decode-resumable.js";
import type { PayloadHandle } from "../../src/codecs/payload.js";
import { int, rng, thrownOutcome } from "../support/random-codecs.js";

/** Files in a list: each a name (an event), contents (a payload event), then a bare payload. */
const files = repeatUntil(
  "q.files",
  record("q.file", {
    open: token("(", "q.file"),
    name: event("name", utf8("q.name", { max: 16 })),
    contents: event("contents", payload("q.contents", { max: 1 << 20 }), { kind: "file" }),
    extra: payload("q.extra", { max: 64 }),
  }),
  { more: "file", end: ")" },
);

/**
 * Entries keyed by a name that follows a payload: between them the interpreter cannot resume
 * (it would need the item's start), so the driver keeps the bytes read there (payloads passed
 * as gaps) for its error replay.
 */
const keyed = repeatUntil(
  "q.keyed",
  record("q.keyed.item", {
    open: token("(", "q.keyed.item"),
    pre: payload("q.pre", { max: 64 }),
    name: event("name", utf8("q.name", { max: 16 })),
    contents: event("contents", payload("q.contents", { max: 1 << 20 }), { kind: "keyed" }),
  }),
  {
    more: "item",
    end: ")",
    key: "name",
    pairwise: (a: string, z: string) =>
      a < z ? undefined : { code: "q.order", detail: "names out of order" },
  },
);
const archive: AnyCodec = record("q.archive", { magic: token("q-archive-1"), files, keyed });

/** A value of `archive` with `n` files of 0..`max` bytes (and as many keyed entries). */
function archiveValue(r: () => number, n: number, max: number): unknown {
  const item = (i: number) => ({
    name: `f${String(i).padStart(3, "0")}`,
    contents: new Uint8Array(int(r, max + 1)).fill(1 + (i % 250)),
    extra: new Uint8Array(int(r, 9)),
    pre: new Uint8Array(int(r, 40)).fill(9),
  });
  return {
    files: Array.from({ length: n }, (_, i) => item(i)),
    keyed: Array.from({ length: n }, (_, i) => item(i)),
  };
}

/** Events then "end" or the error; payloads read (or left) as `read(i)` says. */
async function seen(
  events: AsyncGenerator<DecodeEvent, unknown, undefined>,
  read: (i: number) => boolean,
): Promise<unknown[]> {
  const out: unknown[] = [];
  let i = 0;
  try {
    for await (const ev of events) {
      const h = ev.value as PayloadHandle;
      if (ev.name !== "contents") {
        out.push([ev.name, ev.offset, ev.value]);
        continue;
      }
      const got: number[] = [];
      if (read(i++)) for await (const c of h.stream) got.push(...c);
      out.push([ev.name, ev.offset, ev.data, h.size, h.offset, got.length, got.join()]);
    }
    out.push("end");
  } catch (e) {
    out.push(thrownOutcome(e));
  }
  return out;
}

async function sameAsInterpreter(codec: AnyCodec, input: Uint8Array, seed: number) {
  const r = rng(seed);
  const resumable = compileResumable(codec);
  expect(resumable.mode).toBe("eval");
  const max = 1 + int(r, 300);
  const read = (i: number) => ((seed >> (i % 29)) & 1) === 0;
  const chunked = () => {
    const out: Uint8Array[] = [];
    const q = rng(seed + 1);
    for (let at = 0; at < input.length;) {
      const n = 1 + int(q, max);
      out.push(input.subarray(at, at + n));
      at += n;
    }
    return out;
  };
  for (const pieces of [() => [input], chunked]) {
    const want = await seen(decodeEvents(codec, pieces()), read);
    const got = await seen(decodeEventsResumable(resumable, pieces()), read);
    expect(got).toEqual(want);
  }
}

describe("queued events and buffered payloads of resumable decoders", () => {
  it("more events than the queue holds: the interpreter's events, bytes and errors", async () => {
    const r = rng(12);
    for (let round = 0; round < 10; round++) {
      const bytes = encode(archive, archiveValue(r, 10 + int(r, 60), int(r, 2) === 0 ? 24 : 700));
      await sameAsInterpreter(archive, bytes, round);
      await sameAsInterpreter(archive, bytes.subarray(0, int(r, bytes.length)), round);
      // (damage anywhere, and in the keyed entries of the second half)
      for (const from of [0, bytes.length >> 1]) {
        const flipped = new Uint8Array(bytes);
        flipped[from + int(r, flipped.length - from)]! ^= 1 << int(r, 8);
        await sameAsInterpreter(archive, flipped, round);
      }
      // non-zero padding of a payload late in the input (a buffered payload is not passed then)
      const padded = encode(archive, archiveValue(r, 40, 12));
      const at = padded.lastIndexOf(12) + 13;
      if (at < padded.length) {
        padded[at] = 7;
        await sameAsInterpreter(archive, padded, round);
      }
    }
  });

  it("a whole input: buffered payloads are views of it", async () => {
    const bytes = encode(archive, archiveValue(rng(3), 100, 40));
    const views: boolean[] = [];
    for await (const ev of decodeEventsResumable(compileResumable(archive), [bytes])) {
      if (ev.name !== "contents") continue;
      for await (const c of (ev.value as PayloadHandle).stream)
        views.push(c.buffer === bytes.buffer);
    }
    expect(views.length).toBeGreaterThan(50);
    expect(views.every((v) => v)).toBe(true);
  });
});
