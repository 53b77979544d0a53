/**
 * Base64 (RFC 4648, standard alphabet, with `=` padding), as Nix prints digests, SRI hashes,
 * keys and signatures. {@link base64Decode} is strict: padding must be right and unused bits
 * zero. {@link base64DecodeAsNix} reads what Nix 2.8's `base64Decode` (libutil/util.cc) reads:
 *
 * ```text
 * nix-base64 = { char | "\n" } [ "=" { any } ]     "\n" is skipped; the first "=" ends the data
 * ```
 *
 * Every 6 bits of data are collected and each full 8 bits is one byte; bits left over at the
 * end (whatever their value) are dropped, so padding is optional and non-zero trailing bits
 * are accepted. Callers check the decoded length (Nix: "invalid SRI hash").
 *
 * @module
 */
import { MalformedInputError } from "./errors.js";

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const DECODE: Int8Array = (() => {
  const t = new Int8Array(256).fill(-1);
  for (let i = 0; i < 64; i++) t[ALPHABET.charCodeAt(i)] = i;
  return t;
})();

/** Error for text that is not valid base64. */
export class Base64Error extends MalformedInputError {}

/** Length of the padded base64 encoding of `byteLength` bytes. */
export function base64EncodedLength(byteLength: number): number {
  return Math.ceil(byteLength / 3) * 4;
}

/** Encodes bytes as padded standard base64. */
export function base64Encode(bytes: Uint8Array): string {
  let out = "";
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out +=
      ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]! + ALPHABET[(n >> 6) & 63]! + ALPHABET[n & 63]!;
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = bytes[i]! << 16;
    out += `${ALPHABET[n >> 18]!}${ALPHABET[(n >> 12) & 63]!}==`;
  } else if (rest === 2) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
    out += `${ALPHABET[n >> 18]!}${ALPHABET[(n >> 12) & 63]!}${ALPHABET[(n >> 6) & 63]!}=`;
  }
  return out;
}

/** Decodes padded standard base64, strictly. Throws {@link Base64Error} with the character index. */
export function base64Decode(text: string): Uint8Array {
  return base64DecodeRange(text, 0, text.length);
}

/**
 * Decodes the base64 at `text[start..end)` strictly ({@link base64Decode} of that slice,
 * without making it; error indexes count from `start`). Text in the alphabet takes one pass
 * of table look-ups; anything else is told apart by {@link base64Problem}, which finds the
 * first fault.
 */
export function base64DecodeRange(text: string, start: number, end: number): Uint8Array {
  const len = end - start;
  if (len % 4 !== 0) {
    throw new Base64Error(
      "base64.invalid-length",
      `base64 string has length ${len}, which is not a multiple of 4`,
    );
  }
  const pad =
    len === 0 || text.charCodeAt(end - 1) !== 61 ? 0 : text.charCodeAt(end - 2) === 61 ? 2 : 1;
  const out = new Uint8Array((len / 4) * 3 - pad);
  const quads = (pad === 0 ? len : len - 4) >> 2;
  const t = DECODE;
  // every table value is 0..63 or -1: the OR of all of them is negative exactly when one is
  // bad; the OR of the codes is 256 or more exactly when one is outside the table
  let bad = 0;
  let codes = 0;
  for (let k = 0; k < quads; k++) {
    const i = start + 4 * k;
    const ca = text.charCodeAt(i);
    const cb = text.charCodeAt(i + 1);
    const cc = text.charCodeAt(i + 2);
    const cd = text.charCodeAt(i + 3);
    codes |= ca | cb | cc | cd;
    const a = t[ca & 0xff]!;
    const b = t[cb & 0xff]!;
    const c = t[cc & 0xff]!;
    const d = t[cd & 0xff]!;
    bad |= a | b | c | d;
    const n = (a << 18) | (b << 12) | (c << 6) | d;
    const o = 3 * k;
    out[o] = n >> 16;
    out[o + 1] = n >> 8;
    out[o + 2] = n;
  }
  if (pad !== 0) {
    const i = start + 4 * quads;
    const ca = text.charCodeAt(i);
    const cb = text.charCodeAt(i + 1);
    const cc = pad === 2 ? 65 : text.charCodeAt(i + 2);
    codes |= ca | cb | cc;
    const a = t[ca & 0xff]!;
    const b = t[cb & 0xff]!;
    const c = pad === 2 ? 0 : t[cc & 0xff]!;
    bad |= a | b | c;
    const n = (a << 18) | (b << 12) | (c << 6);
    const o = 3 * quads;
    out[o] = n >> 16;
    if (pad === 1) out[o + 1] = n >> 8;
    if (bad >= 0 && codes < 256 && (pad === 2 ? n & 0xffff : n & 0xff) !== 0) {
      throw new Base64Error(
        "base64.non-zero-padding",
        "invalid base64 string: non-zero bits before the padding",
        { index: len - pad - 1 },
      );
    }
  }
  if (bad < 0 || codes >= 256) throw base64Problem(text.slice(start, end), pad);
  return out;
}

/** The first character of `text` outside the alphabet (padding excepted), as an error. */
function base64Problem(text: string, pad: number): Base64Error {
  let idx = 0;
  for (; idx < text.length - pad; idx++) {
    const c = text.charCodeAt(idx);
    if (c >= 256 || DECODE[c]! < 0) break;
  }
  return new Base64Error(
    "base64.invalid-character",
    `invalid character ${JSON.stringify(text[idx])} in base64 string`,
    { index: idx },
  );
}

/**
 * Decodes base64 as Nix 2.8 does: stops at the first `=` (ignoring the rest), skips `\n`,
 * needs no padding and drops the leftover bits whatever their value. Any other character
 * outside the alphabet throws {@link Base64Error} with its index.
 */
export function base64DecodeAsNix(text: string): Uint8Array {
  const out = new Uint8Array(Math.floor((text.length * 6) / 8));
  let o = 0;
  let acc = 0;
  let bits = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 61 /* = */) break;
    if (c === 10 /* \n */) continue;
    const d = c < 256 ? DECODE[c]! : -1;
    if (d < 0) {
      throw new Base64Error(
        "base64.invalid-character",
        `invalid character ${JSON.stringify(text[i])} in base64 string`,
        { index: i },
      );
    }
    acc = ((acc << 6) | d) & 0xfff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 255;
    }
  }
  return out.subarray(0, o);
}
