import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  bool,
  decode,
  decodeAsync,
  encode,
  list,
  optional,
  record,
  token,
  u64,
  u64Choice,
  u64n,
  utf8,
} from "../../src/codecs/index.js";
import { isNixCompatError, TruncatedInputError } from "../../src/core/errors.js";

// A worker-protocol-like message: the kind of grammar issue 6 declares with the DSL.
const pathInfo = record("demo.path-info", {
  magic: token("path-info", "demo.path-info"),
  deriver: optional("demo.deriver", utf8("demo.deriver")),
  narSize: u64("demo.nar-size"),
  references: list("demo.references", utf8("demo.reference", { max: 256 })),
  ultimate: bool("demo.ultimate"),
  result: u64Choice("demo.result", { 0: utf8("demo.error"), 1: u64n("demo.count") }),
});

const arbValue = fc.record(
  {
    deriver: fc.option(fc.string(), { nil: undefined }),
    narSize: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
    references: fc.array(fc.string({ maxLength: 40 }), { maxLength: 5 }),
    ultimate: fc.boolean(),
    result: fc.oneof(
      fc.record({ tag: fc.constant(0 as const), value: fc.string() }),
      fc.record({ tag: fc.constant(1 as const), value: fc.nat() }),
    ),
  },
  { requiredKeys: ["narSize", "references", "ultimate", "result"] },
);

describe("codec round trips", () => {
  it("encode then decode (sync and streaming) gives the value back", async () => {
    await fc.assert(
      fc.asyncProperty(arbValue, async (v) => {
        const clean = JSON.parse(
          JSON.stringify(v, (_, x) => (typeof x === "bigint" ? `${x}n` : x)),
        );
        const b = encode(pathInfo, v);
        expect(b.length % 8).toBe(0);
        const d = decode(pathInfo, b);
        expect(
          JSON.parse(JSON.stringify(d, (_, x) => (typeof x === "bigint" ? `${x}n` : x))),
        ).toEqual(clean);
        expect(await decodeAsync(pathInfo, [b])).toEqual(d);
      }),
      { numRuns: 200 },
    );
  });

  it("every proper prefix is a TruncatedInputError; any damage is a typed error or a value", () => {
    fc.assert(
      fc.property(arbValue, fc.nat(), fc.nat(), (v, cut, flip) => {
        const b = encode(pathInfo, v);
        expect(() => decode(pathInfo, b.subarray(0, cut % b.length))).toThrow(TruncatedInputError);
        const c = new Uint8Array(b);
        c[flip % c.length]! ^= 0xff;
        try {
          decode(pathInfo, c);
        } catch (e) {
          expect(isNixCompatError(e)).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });
});
