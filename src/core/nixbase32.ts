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
 * character outside the alphabet or non-zero leftover bits. Valid text takes one pass that
 * collects 5 bits per character from the end (where the lowest bits are); anything else is
 * told apart by {@link nixbase32Problem}, which finds the first fault.
 */
export function nixbase32Decode(text: string): Uint8Array {
  const len = text.length;
  const size = nixbase32DecodedLength(len);
  if (nixbase32EncodedLength(size) !== len) {
    throw new Nixbase32Error(
      "nixbase32.invalid-length",
      `nixbase32 string has ${len} characters, which no byte string encodes to`,
    );
  }
  const out = new Uint8Array(size);
  const t = DECODE_TABLE;
  let acc = 0;
  let bits = 0;
  let o = 0;
  // every table value is 0..31 or -1: the OR of all of them is negative exactly when one is bad
  let bad = 0;
  for (let i = len - 1; i >= 0; i--) {
    const code = text.charCodeAt(i);
    const d = t[code & 0xff]!;
    bad |= d | -(code >> 8);
    acc |= (d & 31) << bits;
    bits += 5;
    if (bits >= 8) {
      if (o < size) out[o++] = acc;
      acc >>>= 8;
      bits -= 8;
    }
  }
  if (bad < 0 || acc !== 0) throw nixbase32Problem(text, size);
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
