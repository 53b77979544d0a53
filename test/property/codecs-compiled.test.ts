/**
 * Compiled codecs against the interpreter, on randomly generated declarations (records,
 * choices, repetitions, recursion, payloads, limits, refinements, mappings, events): on
 * random valid inputs, truncated, bit-flipped and spliced ones, the compiled decoder gives the
 * same value or the same error (class, code, rule, byte offset, text) and the same events; the
 * compiled encoder the same bytes or the same error. Also: the fallback without `eval`.
 */
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import {
  type AnyCodec,
  byteReader,
  type Codec,
  compile,
  decode,
  type DecodeEvent,
  decodeAsync,
  decodeMessage,
  decodePrefix,
  encode,
  lazy,
  list,
  optional,
  record,
  token,
  u64,
  u64n,
  utf8,
} from "../../src/codecs/index.js";
import { int, outcome, rng, spec } from "../support/random-codecs.js";

/** Decodes with both and compares values, errors and events. */
function sameDecode(codec: AnyCodec, input: Uint8Array, limits?: Record<string, number>): void {
  const compiled = compile(codec);
  const seen: [DecodeEvent[], DecodeEvent[]] = [[], []];
  for (const allowTrailing of [false, true]) {
    seen[0] = [];
    seen[1] = [];
    const a = outcome(() =>
      decode(codec, input, { limits, allowTrailing, onEvent: (e) => seen[0].push(e) }),
    );
    const b = outcome(() =>
      compiled.decode(input, { limits, allowTrailing, onEvent: (e) => seen[1].push(e) }),
    );
    expect(b).toEqual(a);
    expect(seen[1]).toEqual(seen[0]);
  }
  expect(outcome(() => compiled.decodePrefix(input, { limits }))).toEqual(
    outcome(() => decodePrefix(codec, input, { limits })),
  );
}

describe("compiled codecs give the interpreter's values and errors", () => {
  it("random declarations on valid, damaged, truncated and spliced inputs", () => {
    fc.assert(
      fc.property(fc.integer(), fc.integer({ min: 2, max: 24 }), (seed, budget) => {
        const r = rng(seed);
        const s = spec(r, budget, "root");
        const compiled = compile(s.codec);
        expect(compiled.mode).toBe("eval");
        for (let round = 0; round < 6; round++) {
          const v = s.value(r, 0);
          const want = outcome(() => encode(s.codec, v));
          expect(outcome(() => compiled.encode(v))).toEqual(want);
          const bytesOk = (want as { value?: Uint8Array }).value;
          if (bytesOk === undefined) continue;
          sameDecode(s.codec, bytesOk);
          if (bytesOk.length === 0) continue;
          const cut = int(r, bytesOk.length);
          sameDecode(s.codec, bytesOk.subarray(0, cut));
          const flipped = new Uint8Array(bytesOk);
          flipped[int(r, flipped.length)]! ^= 1 << int(r, 8);
          sameDecode(s.codec, flipped);
          const spliced = new Uint8Array(bytesOk.length + 8);
          spliced.set(bytesOk.subarray(0, cut));
          spliced.set(bytesOk.subarray(cut), cut + 8);
          spliced[cut] = int(r, 3);
          sameDecode(s.codec, spliced);
          // a tighter limit on every limit name the declaration has
          sameDecode(s.codec, bytesOk, { "codec.depth": 2, [`gen.root`]: 1 });
        }
      }),
      { numRuns: 150 },
    );
  });

  it("decodeMessage (compiled on the buffered bytes, else decodeAsync) = decodeAsync, twice in a row, any chunking", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer(),
        fc.integer({ min: 2, max: 16 }),
        fc.integer({ min: 1, max: 64 }),
        async (seed, budget, chunk) => {
          const r = rng(seed);
          const s = spec(r, budget, "root");
          const compiled = compile(s.codec);
          const v = s.value(r, 0);
          let one: Uint8Array;
          try {
            one = encode(s.codec, v);
          } catch {
            return;
          }
          const two = new Uint8Array(one.length * 2);
          two.set(one);
          two.set(one, one.length);
          if (r() < 0.3) two[int(r, two.length)]! ^= 0x40;
          const chunks = (whole: boolean) =>
            whole
              ? [two]
              : Array.from({ length: Math.ceil(two.length / chunk) }, (_, i) =>
                  two.subarray(i * chunk, (i + 1) * chunk),
                );
          for (const whole of [true, false]) {
            const read = async (f: (reader: ReturnType<typeof byteReader>) => Promise<unknown>) => {
              const reader = byteReader(chunks(whole));
              const out: unknown[] = [];
              try {
                out.push(await f(reader), await f(reader), reader.offset);
              } catch (e) {
                out.push(
                  outcome(() => {
                    throw e;
                  }),
                );
              }
              return out;
            };
            expect(await read((reader) => decodeMessage(compiled, reader))).toEqual(
              await read((reader) => decodeAsync(s.codec, reader, { allowTrailing: true })),
            );
          }
        },
      ),
      { numRuns: 80 },
    );
  });

  it("a greeting list round-trips through the compiled codec", () => {
    const greeting = record("demo.greeting", {
      magic: token("hello"),
      name: utf8("demo.name", { max: 64 }),
      ages: list("demo.ages", u64n("demo.age")),
    });
    const many = compile(list("demo.greetings", greeting, { max: 1 << 20 }));
    const value = Array.from({ length: 1000 }, (_, i) => ({ name: `n${i}`, ages: [i, i + 1] }));
    const b = many.encode(value);
    expect(b).toEqual(encode(many.codec, value));
    expect(many.decode(b)).toEqual(value);
  });

  it("deep values beyond the generated code's call stack decline to the interpreter", () => {
    // eslint-disable-next-line prefer-const
    let node: Codec<unknown>;
    const ref = lazy("deep.ref", () => node, { maxDepth: 40_000 });
    node = optional("deep.node", ref) as Codec<unknown>;
    const depth = 30_000;
    const input = new Uint8Array(8 * (depth + 1));
    for (let i = 0; i < depth; i++) input[8 * i] = 1;
    const compiled = compile(node);
    expect(compiled.decode(input)).toEqual(decode(node, input));
  });
});

describe("compile() without eval", () => {
  const saved = globalThis.Function;
  afterEach(() => {
    globalThis.Function = saved;
  });

  it("falls back to the interpreter when the platform forbids new Function (CSP, Workers)", () => {
    globalThis.Function = function () {
      throw new EvalError("Code generation from strings disallowed for this context");
    } as unknown as FunctionConstructor;
    const greeting = record("demo.greeting", { magic: token("hello"), name: utf8("demo.name") });
    const c = compile(greeting);
    expect(c.mode).toBe("interpreter");
    const b = c.encode({ name: "nix" });
    expect(b).toEqual(encode(greeting, { name: "nix" }));
    expect(c.decode(b)).toEqual({ name: "nix" });
    expect(outcome(() => c.decode(b.subarray(0, 20)))).toEqual(
      outcome(() => decode(greeting, b.subarray(0, 20))),
    );
  });

  it("eval: false never generates code", () => {
    expect(compile(u64("x.y"), { eval: false }).mode).toBe("interpreter");
  });
});
