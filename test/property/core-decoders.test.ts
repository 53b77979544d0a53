/**
 * The one-pass decoders of src/core (`base64Decode`, `nixbase32Decode`) against the
 * character-by-character definitions they replaced (kept here as the oracle): the same bytes,
 * or the same error code and character index, on valid, mutated and random text.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { base64Decode, base64DecodeRange, base64Encode } from "../../src/core/base64.js";
import { MalformedInputError } from "../../src/core/errors.js";
import {
  nixbase32Decode,
  nixbase32DecodeRange,
  nixbase32Encode,
} from "../../src/core/nixbase32.js";

const RUNS = Number(process.env.NIX_COMPAT_PROPERTY_RUNS ?? 500);

const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const NIX32 = "0123456789abcdfghijklmnpqrsvwxyz";

class Refused {
  constructor(
    readonly code: string,
    readonly index: number | undefined,
  ) {}
}

/** The strict base64 reading, one character at a time. */
function base64Reference(text: string): Uint8Array | Refused {
  if (text.length % 4 !== 0) return new Refused("base64.invalid-length", undefined);
  const pad = text.endsWith("==") ? 2 : text.endsWith("=") ? 1 : 0;
  const out = new Uint8Array((text.length / 4) * 3 - pad);
  let o = 0;
  for (let i = 0; i < text.length; i += 4) {
    let n = 0;
    for (let k = 0; k < 4; k++) {
      const idx = i + k;
      let d = 0;
      if (!(text[idx] === "=" && idx >= text.length - pad)) {
        d = B64.indexOf(text[idx]!);
        if (d < 0) return new Refused("base64.invalid-character", idx);
      }
      n = n * 64 + d;
    }
    for (const byte of [n >> 16, (n >> 8) & 255, n & 255]) if (o < out.length) out[o++] = byte;
    if (i + 4 === text.length && pad > 0 && (pad === 2 ? n & 0xffff : n & 0xff) !== 0) {
      return new Refused("base64.non-zero-padding", text.length - pad - 1);
    }
  }
  return out;
}

/** The nixbase32 reading, one character at a time from the end. */
function nixbase32Reference(text: string): Uint8Array | Refused {
  const size = Math.floor((text.length * 5) / 8);
  if (Math.ceil((size * 8) / 5) !== text.length) {
    return new Refused("nixbase32.invalid-length", undefined);
  }
  const out = new Uint8Array(size);
  const last = text.length - 1;
  for (let n = 0; n <= last; n++) {
    const digit = NIX32.indexOf(text[last - n]!);
    if (digit < 0) return new Refused("nixbase32.invalid-character", last - n);
    const i = (n * 5) >>> 3;
    const j = (n * 5) & 7;
    if (i < size) out[i]! |= (digit << j) & 0xff;
    const carry = digit >>> (8 - j);
    if (i + 1 < size) out[i + 1]! |= carry;
    else if ((i < size ? carry : digit) !== 0) {
      return new Refused("nixbase32.non-zero-padding", last - n);
    }
  }
  return out;
}

function outcome(f: () => Uint8Array): Uint8Array | Refused {
  try {
    return f();
  } catch (err) {
    expect(err).toBeInstanceOf(MalformedInputError);
    const e = err as MalformedInputError;
    return new Refused(e.code, e.position.index);
  }
}

/** Valid encodings, the same with one character replaced, and random text. */
function texts(alphabet: string, encode: (b: Uint8Array) => string) {
  const junk = `${alphabet}=-_!é\u0100\u0141 A`;
  return fc
    .tuple(
      fc.uint8Array({ maxLength: 70 }),
      fc.string({ unit: fc.constantFrom(...junk.split("")), maxLength: 100 }),
      fc.nat(),
    )
    .map(([bytes, random, at]) => {
      const valid = encode(bytes);
      const k = at % (valid.length + 1);
      return [valid, valid.slice(0, k) + random.slice(0, 1) + valid.slice(k + 1), random];
    });
}

describe("the core decoders read as the character-by-character definitions", () => {
  it("base64Decode: same bytes, or the same error code and index", () => {
    fc.assert(
      fc.property(texts(B64, base64Encode), (ts) => {
        for (const t of ts) {
          expect(outcome(() => base64Decode(t))).toEqual(base64Reference(t));
          // a range of a longer string reads as that slice
          const around = `=A${t}==`;
          expect(outcome(() => base64DecodeRange(around, 2, 2 + t.length))).toEqual(
            base64Reference(t),
          );
        }
      }),
      { numRuns: RUNS },
    );
    for (const t of ["", "====", "A===", "AA==", "AB==", "AAA=", "AAB=", "A=AA", "AAAA\u0141AAA"]) {
      expect(outcome(() => base64Decode(t))).toEqual(base64Reference(t));
    }
  });

  it("nixbase32Decode: same bytes, or the same error code and index", () => {
    fc.assert(
      fc.property(texts(NIX32, nixbase32Encode), (ts) => {
        for (const t of ts) {
          expect(outcome(() => nixbase32Decode(t))).toEqual(nixbase32Reference(t));
          const around = `e0${t}zE`;
          expect(outcome(() => nixbase32DecodeRange(around, 2, 2 + t.length))).toEqual(
            nixbase32Reference(t),
          );
        }
      }),
      { numRuns: RUNS },
    );
  });
});
