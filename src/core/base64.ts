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
  if (text.length % 4 !== 0) {
    throw new Base64Error(
      "base64.invalid-length",
      `base64 string has length ${text.length}, which is not a multiple of 4`,
    );
  }
  let pad = 0;
  if (text.endsWith("==")) pad = 2;
  else if (text.endsWith("=")) pad = 1;
  const out = new Uint8Array((text.length / 4) * 3 - pad);
  let o = 0;
  for (let i = 0; i < text.length; i += 4) {
    let n = 0;
    for (let k = 0; k < 4; k++) {
      const idx = i + k;
      const c = text.charCodeAt(idx);
      let d: number;
      if (c === 61 /* = */ && idx >= text.length - pad) d = 0;
      else {
        d = c < 256 ? DECODE[c]! : -1;
        if (d < 0) {
          throw new Base64Error(
            "base64.invalid-character",
            `invalid character ${JSON.stringify(text[idx])} in base64 string`,
            { index: idx },
          );
        }
      }
      n = (n << 6) | d;
    }
    if (o < out.length) out[o++] = n >> 16;
    if (o < out.length) out[o++] = (n >> 8) & 255;
    if (o < out.length) out[o++] = n & 255;
    if (i + 4 === text.length && pad > 0) {
      const unused = pad === 2 ? n & 0xffff : n & 0xff;
      if (unused !== 0) {
        throw new Base64Error(
          "base64.non-zero-padding",
          "invalid base64 string: non-zero bits before the padding",
          { index: text.length - pad - 1 },
        );
      }
    }
  }
  return out;
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
