/**
 * Generated resumable decoders against the streaming interpreter (`decodeEvents`), on randomly
 * generated declarations fed in random chunkings: on valid, truncated, bit-flipped and spliced
 * inputs and under tighter limits, the same events (names, offsets, data, values, payload
 * bytes) and the same error (class, code, rule, byte offset, text). Also: the fallback without
 * `eval`.
 */
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import {
  type AnyCodec,
  type DecodeEvent,
  decodeEvents,
  encode,
  record,
  token,
  utf8,
} from "../../src/codecs/index.js";
import {
  compileResumable,
  decodeEventsResumable,
  type ResumableCodec,
} from "../../src/codecs/decode-resumable.js";
import type { PayloadHandle } from "../../src/codecs/payload.js";
import { int, outcome, rng, spec } from "../support/random-codecs.js";

/** Splits `b` into chunks of sizes drawn from `r` (at most `max` bytes each). */
function chunked(b: Uint8Array, r: () => number, max: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < b.length;) {
    const n = 1 + int(r, max);
    out.push(b.subarray(i, i + n));
    i += n;
  }
  return out;
}

/** A value with payload handles inside it (a mapped payload) spelled as their size and offset. */
function plain(v: unknown): unknown {
  if (v === null || typeof v !== "object" || v instanceof Uint8Array) return v;
  if ("stream" in v && "size" in v) return { size: v.size, offset: (v as PayloadHandle).offset };
  if (Array.isArray(v)) return v.map(plain);
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
}

/** Everything a consumer sees: events (payloads read, or left unread when `skip` says so) then the end or the error. */
async function transcript(
  events: AsyncGenerator<DecodeEvent, unknown, undefined>,
  skip: (i: number) => boolean,
): Promise<unknown[]> {
  const out: unknown[] = [];
  try {
    let i = 0;
    for await (const ev of events) {
      const h = ev.value as PayloadHandle | undefined;
      if (h !== null && typeof h === "object" && "stream" in h && typeof h.size === "number") {
        const got: number[] = [];
        if (!skip(i++)) for await (const c of h.stream) got.push(...c);
        out.push({
          name: ev.name,
          offset: ev.offset,
          data: ev.data,
          size: h.size,
          at: h.offset,
          got,
        });
      } else out.push({ name: ev.name, offset: ev.offset, data: ev.data, value: plain(ev.value) });
    }
    out.push("end");
  } catch (e) {
    out.push(
      outcome(() => {
        throw e;
      }),
    );
  }
  return out;
}

async function same<T>(
  codec: AnyCodec,
  resumable: ResumableCodec<T>,
  input: Uint8Array,
  r: () => number,
  limits?: Record<string, number>,
): Promise<void> {
  const max = 1 + int(r, 40);
  const seed = int(r, 1 << 30);
  const skip = (i: number) => ((seed >> (i % 30)) & 1) === 1;
  for (const whole of [true, false]) {
    const chunks = () => (whole ? [input] : chunked(input, rng(seed), max));
    const want = await transcript(decodeEvents(codec, chunks(), { limits }), skip);
    const got = await transcript(decodeEventsResumable(resumable, chunks(), { limits }), skip);
    expect(got).toEqual(want);
  }
}

describe("generated resumable decoders give the interpreter's events and errors", () => {
  it("random declarations, random chunkings, valid, damaged, truncated and spliced inputs", async () => {
    let generated = 0;
    await fc.assert(
      fc.asyncProperty(fc.integer(), fc.integer({ min: 2, max: 24 }), async (seed, budget) => {
        const r = rng(seed);
        const s = spec(r, budget, "root");
        const resumable = compileResumable(s.codec);
        if (resumable.mode === "eval") generated++;
        for (let round = 0; round < 4; round++) {
          let bytesOk: Uint8Array;
          try {
            bytesOk = encode(s.codec, s.value(r, 0));
          } catch {
            continue;
          }
          await same(s.codec, resumable, bytesOk, r);
          if (bytesOk.length === 0) continue;
          const cut = int(r, bytesOk.length);
          await same(s.codec, resumable, bytesOk.subarray(0, cut), r);
          const flipped = new Uint8Array(bytesOk);
          flipped[int(r, flipped.length)]! ^= 1 << int(r, 8);
          await same(s.codec, resumable, flipped, r);
          const spliced = new Uint8Array(bytesOk.length + 8);
          spliced.set(bytesOk.subarray(0, cut));
          spliced.set(bytesOk.subarray(cut), cut + 8);
          spliced[cut] = int(r, 3);
          await same(s.codec, resumable, spliced, r);
          await same(s.codec, resumable, bytesOk, r, { "codec.depth": 2, [`gen.root`]: 1 });
        }
      }),
      { numRuns: 120 },
    );
    // most declarations are generated (the rest stream through the interpreter)
    expect(generated).toBeGreaterThan(60);
  });
});

describe("compileResumable() without eval", () => {
  const saved = globalThis.Function;
  afterEach(() => {
    globalThis.Function = saved;
  });

  it("falls back to the interpreter when the platform forbids new Function (CSP, Workers)", async () => {
    globalThis.Function = function () {
      throw new EvalError("Code generation from strings disallowed for this context");
    } as unknown as FunctionConstructor;
    const greeting = record("demo.greeting", { magic: token("hello"), name: utf8("demo.name") });
    const c = compileResumable(greeting);
    expect(c.mode).toBe("interpreter");
    const b = encode(greeting, { name: "nix" });
    const r = rng(1);
    for (const input of [b, b.subarray(0, 20)]) await same(greeting, c, input, r);
  });

  it("eval: false never generates code", () => {
    expect(compileResumable(record("x.y", {}), { eval: false }).mode).toBe("interpreter");
  });
});
