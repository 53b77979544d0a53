/**
 * Generated event writers store the declaration's fixed bytes eight at a time as float64 bit
 * patterns (compile-writer-source.ts): the patterns a float64 store may not keep (NaNs) and the
 * special ones (-0, infinities, subnormals) are written as the interpreter's encoder writes them.
 */
import { describe, expect, it } from "vitest";
import { compileWriter, constU64, encode, event, record, u64n } from "../../src/codecs/index.js";

const words = [
  2n ** 64n - 1n, // a NaN with every bit set
  0x7ff0000000000001n, // a signalling NaN
  0xfff8000000000000n, // the negative quiet NaN
  0x7ff0000000000000n, // +Infinity
  0xfff0000000000000n, // -Infinity
  2n ** 63n, // -0
  1n, // the smallest subnormal
  0x000fffffffffffffn, // the largest subnormal
  0n,
];

describe("generated event writers: fixed bytes of any bit pattern", () => {
  it("write what the interpreter's encoder writes", () => {
    const fields = Object.fromEntries(words.map((w, i) => [`w${i}`, constU64(w, "t.word")]));
    const codec = record("t.words", { ...fields, n: event("n", u64n("t.n")), ...fields });
    for (const factory of [compileWriter(codec), compileWriter(codec, { eval: false })]) {
      const w = factory.create();
      w.begin();
      w.event("n", 5);
      w.finish();
      expect(w.buf.subarray(0, w.at)).toEqual(encode(codec, { n: 5 }));
    }
    expect(compileWriter(codec).mode).toBe("eval");
  });
});
