/**
 * nixbase32: Nix's own base-32 encoding.
 *
 * ```text
 * alphabet = "0123456789abcdfghijklmnpqrsvwxyz"   (no e, o, u, t)
 * length   = ceil(8 * bytes / 5)
 * ```
 *
 * Unlike RFC 4648, the output is produced from the most significant 5-bit group of the
 * whole byte string, read as a little-endian number: character `k` (from the end) holds bits
 * `5k .. 5k+4`. Decoding rejects characters outside the alphabet, lengths no byte string
 * encodes to, and encodings whose leftover high bits are not zero (so every byte string has
 * exactly one encoding).
 *
 * @module
 */
import { MalformedInputError } from "./errors.js";

/** The 32 characters of the alphabet, in digit order. */
export const NIXBASE32_ALPHABET = "0123456789abcdfghijklmnpqrsvwxyz";

const DECODE_TABLE: Int8Array = (() => {
  const t = new Int8Array(256).fill(-1);
  for (let i = 0; i < NIXBASE32_ALPHABET.length; i++) t[NIXBASE32_ALPHABET.charCodeAt(i)] = i;
  return t;
})();

/** Error for text that is not valid nixbase32. */
export class Nixbase32Error extends MalformedInputError {}

/** Length of the nixbase32 encoding of `byteLength` bytes. */
export function nixbase32EncodedLength(byteLength: number): number {
  return Math.ceil((byteLength * 8) / 5);
}

/** Number of bytes a nixbase32 string of `encodedLength` characters decodes to. */
export function nixbase32DecodedLength(encodedLength: number): number {
  return Math.floor((encodedLength * 5) / 8);
}

/** Encodes bytes as nixbase32. */
export function nixbase32Encode(bytes: Uint8Array): string {
  const len = nixbase32EncodedLength(bytes.length);
  // Character codes, then one flat string: appending character by character made a rope of
  // ~20 cons strings per hash, which every stored store path kept alive (10^6 output paths
  // held ~1 KB each and the garbage collector's work grew with them).
  const codes = new Array<number>(len);
  for (let n = len - 1, k = 0; n >= 0; n--, k++) {
    const b = n * 5;
    const i = b >>> 3;
    const j = b & 7;
    const lo = bytes[i]! >>> j;
    const hi = i + 1 < bytes.length ? bytes[i + 1]! << (8 - j) : 0;
    codes[k] = ALPHABET_CODES[(lo | hi) & 0x1f]!;
  }
  return len <= 4096 ? String.fromCharCode(...codes) : chunkedFromCharCodes(codes);
}

const ALPHABET_CODES: readonly number[] = Array.from(NIXBASE32_ALPHABET, (c) => c.charCodeAt(0));

function chunkedFromCharCodes(codes: readonly number[]): string {
  const parts: string[] = [];
  for (let i = 0; i < codes.length; i += 4096) {
    parts.push(String.fromCharCode(...codes.slice(i, i + 4096)));
  }
  return parts.join("");
}

/** True if `text` is a valid nixbase32 string (alphabet and zero leftover bits). */
export function isNixbase32(text: string): boolean {
  try {
    nixbase32Decode(text);
    return true;
  } catch {
    return false;
  }
}

/**
 * Decodes nixbase32 text. Throws {@link Nixbase32Error} with the character index for a
 * character outside the alphabet or non-zero leftover bits.
 */
export function nixbase32Decode(text: string): Uint8Array {
  return nixbase32DecodeRange(text, 0, text.length);
}

/**
 * Decodes the nixbase32 text at `text[start..end)` ({@link nixbase32Decode} of that slice,
 * without making it; error indexes count from `start`). Valid text takes one pass: eight
 * characters (five bytes) at a time from the end, where the lowest bits are, then the few
 * left at the start; anything else is told apart by {@link nixbase32Problem}, which finds the
 * first fault.
 */
export function nixbase32DecodeRange(text: string, start: number, end: number): Uint8Array {
  const len = end - start;
  const size = nixbase32DecodedLength(len);
  if (nixbase32EncodedLength(size) !== len) {
    throw new Nixbase32Error(
      "nixbase32.invalid-length",
      `nixbase32 string has ${len} characters, which no byte string encodes to`,
    );
  }
  const out = new Uint8Array(size);
  const t = DECODE_TABLE;
  // every table value is 0..31 or -1: the OR of all of them is negative exactly when one is
  // bad; the OR of the codes is 256 or more exactly when one is outside the table
  let bad = 0;
  let codes = 0;
  const groups = len >> 3;
  // a fixed trip count: V8 runs this form several times faster than a loop whose exit test
  // is on a second induction variable
  for (let k = 0; k < groups; k++) {
    const j = end - 1 - 8 * k;
    const c0 = text.charCodeAt(j);
    const c1 = text.charCodeAt(j - 1);
    const c2 = text.charCodeAt(j - 2);
    const c3 = text.charCodeAt(j - 3);
    const c4 = text.charCodeAt(j - 4);
    const c5 = text.charCodeAt(j - 5);
    const c6 = text.charCodeAt(j - 6);
    const c7 = text.charCodeAt(j - 7);
    codes |= c0 | c1 | c2 | c3 | c4 | c5 | c6 | c7;
    const d0 = t[c0 & 0xff]!;
    const d1 = t[c1 & 0xff]!;
    const d2 = t[c2 & 0xff]!;
    const d3 = t[c3 & 0xff]!;
    const d4 = t[c4 & 0xff]!;
    const d5 = t[c5 & 0xff]!;
    const d6 = t[c6 & 0xff]!;
    const d7 = t[c7 & 0xff]!;
    bad |= d0 | d1 | d2 | d3 | d4 | d5 | d6 | d7;
    const lo = d0 | (d1 << 5) | (d2 << 10) | (d3 << 15);
    const hi = d4 | (d5 << 5) | (d6 << 10) | (d7 << 15);
    const o = 5 * k;
    out[o] = lo;
    out[o + 1] = lo >> 8;
    out[o + 2] = (lo >> 16) | (hi << 4);
    out[o + 3] = hi >> 4;
    out[o + 4] = hi >> 12;
  }
  // the characters before the groups: 5 bits each, whole bytes from byte 5 * groups on, and
  // the bits left over must be zero
  let acc = 0;
  let bits = 0;
  let o = 5 * groups;
  for (let i = end - 1 - 8 * groups; i >= start; i--) {
    const code = text.charCodeAt(i);
    codes |= code;
    const d = t[code & 0xff]!;
    bad |= d;
    acc |= (d & 31) << bits;
    bits += 5;
    if (bits >= 8) {
      out[o++] = acc;
      acc >>>= 8;
      bits -= 8;
    }
  }
  if (bad < 0 || codes >= 256 || acc !== 0) throw nixbase32Problem(text.slice(start, end), size);
  return out;
}

/** The first fault of `text` read from its end, as {@link nixbase32Decode} reports it. */
function nixbase32Problem(text: string, size: number): Nixbase32Error {
  const last = text.length - 1;
  const out = new Uint8Array(size);
  for (let n = 0; n <= last; n++) {
    const code = text.charCodeAt(last - n);
    const digit = code < 256 ? DECODE_TABLE[code]! : -1;
    if (digit < 0) {
      return new Nixbase32Error(
        "nixbase32.invalid-character",
        `invalid character ${JSON.stringify(text[last - n])} in nixbase32 string, expected one of ${NIXBASE32_ALPHABET}`,
        { index: last - n },
      );
    }
    const b = n * 5;
    const i = b >>> 3;
    const j = b & 7;
    if (i < size) out[i]! |= (digit << j) & 0xff;
    const carry = digit >>> (8 - j);
    if (i + 1 < size) out[i + 1]! |= carry;
    else if ((i < size ? carry : digit) !== 0) {
      return new Nixbase32Error(
        "nixbase32.non-zero-padding",
        "invalid nixbase32 string: non-zero leftover bits in the first character",
        { index: last - n },
      );
    }
  }
  return new Nixbase32Error("nixbase32.invalid", "invalid nixbase32 string");
}
