import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { base64Decode, base64Encode } from "../../src/core/base64.js";
import { nixbase32Decode, nixbase32Encode } from "../../src/core/nixbase32.js";
import { fastBase64Decode, fastNixbase32Decode } from "../../src/narinfo/fast-decode.js";

const RUNS = Number(process.env.NIX_COMPAT_PROPERTY_RUNS ?? 500);

function core<T>(f: () => T): T | undefined {
  try {
    return f();
  } catch {
    return undefined;
  }
}

describe("the narinfo fast decoders agree with src/core", () => {
  const size = fc.constantFrom(16, 20, 32, 64, 1, 2, 3);
  it("nixbase32: same bytes whenever the fast path accepts; accepts every valid encoding", () => {
    const nixChars = "0123456789abcdfghijklmnpqrsvwxyzeotuA!é";
    fc.assert(
      fc.property(
        size,
        fc.uint8Array({ maxLength: 64 }),
        fc.string({ unit: fc.constantFrom(...nixChars.split("")), maxLength: 110 }),
        fc.nat(),
        (n, bytes, junk, at) => {
          const valid = nixbase32Encode(
            bytes.slice(0, n).length === n ? bytes.slice(0, n) : new Uint8Array(n),
          );
          expect(fastNixbase32Decode(valid, n)).toEqual(nixbase32Decode(valid));
          // a mutated or random text
          for (const t of [
            junk,
            valid.slice(0, at % (valid.length + 1)) +
              junk.slice(0, 1) +
              valid.slice((at % (valid.length + 1)) + 1),
          ]) {
            const fast = fastNixbase32Decode(t, n);
            const slow = core(() => nixbase32Decode(t));
            if (fast !== undefined) expect(fast).toEqual(slow);
            else if (slow !== undefined) expect(slow.length).not.toBe(n);
          }
        },
      ),
      { numRuns: RUNS },
    );
  });

  it("base64: same bytes whenever the fast path accepts; accepts every valid encoding", () => {
    const chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=-_!é ";
    fc.assert(
      fc.property(
        size,
        fc.uint8Array({ maxLength: 64 }),
        fc.string({ unit: fc.constantFrom(...chars.split("")), maxLength: 90 }),
        fc.nat(),
        (n, bytes, junk, at) => {
          const b = bytes.length >= n ? bytes.slice(0, n) : new Uint8Array(n);
          const valid = base64Encode(b);
          expect(fastBase64Decode(valid, n)).toEqual(base64Decode(valid));
          for (const t of [
            junk,
            valid.slice(0, at % (valid.length + 1)) +
              junk.slice(0, 1) +
              valid.slice((at % (valid.length + 1)) + 1),
          ]) {
            const fast = fastBase64Decode(t, n);
            const slow = core(() => base64Decode(t));
            if (fast !== undefined) expect(fast).toEqual(slow);
            else if (slow !== undefined) expect(slow.length).not.toBe(n);
          }
        },
      ),
      { numRuns: RUNS },
    );
  });
});
