/**
 * Low-level byte helpers of the Nix binary framing: u64 little-endian integers and strings
 * framed as `u64 length, bytes, zero padding to a multiple of 8`.
 *
 * @module
 */

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder("utf-8");

/** Number of zero bytes that follow `length` bytes to reach a multiple of 8. */
export function padLength(length: number): number {
  return (8 - (length & 7)) & 7;
}

/**
 * ASCII texts up to this length are encoded by a loop: a `TextEncoder` call costs several
 * times more than the loop for short texts (file names, wire strings).
 */
const SHORT_TEXT_MAX = 64;

/** Encodes a text as UTF-8. */
export function utf8Bytes(text: string): Uint8Array {
  const n = text.length;
  if (n > SHORT_TEXT_MAX) return utf8Encoder.encode(text);
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0x80) return utf8Encoder.encode(text);
    out[i] = c;
  }
  return out;
}

/** Decodes UTF-8 bytes (invalid sequences become U+FFFD). */
export function utf8Text(bytes: Uint8Array): string {
  return utf8Decoder.decode(bytes);
}

/** Writes `value` as u64 little-endian into `out` at `at`. */
export function writeU64(out: Uint8Array, at: number, value: number | bigint): void {
  if (typeof value === "number") {
    const lo = value >>> 0;
    const hi = Math.floor(value / 0x1_0000_0000) >>> 0;
    out[at] = lo & 0xff;
    out[at + 1] = (lo >>> 8) & 0xff;
    out[at + 2] = (lo >>> 16) & 0xff;
    out[at + 3] = lo >>> 24;
    out[at + 4] = hi & 0xff;
    out[at + 5] = (hi >>> 8) & 0xff;
    out[at + 6] = (hi >>> 16) & 0xff;
    out[at + 7] = hi >>> 24;
    return;
  }
  let v = BigInt.asUintN(64, value);
  for (let i = 0; i < 8; i++) {
    out[at + i] = Number(v & 0xffn);
    v >>= 8n;
  }
}

/** Reads a u64 little-endian from `bytes` at `at` as a bigint. */
export function readU64(bytes: Uint8Array, at: number): bigint {
  const lo = readU32(bytes, at);
  const hi = readU32(bytes, at + 4);
  return (BigInt(hi) << 32n) | BigInt(lo);
}

/** Reads a u64 little-endian as a number, or -1 when it is above `Number.MAX_SAFE_INTEGER`. */
export function readU64Number(bytes: Uint8Array, at: number): number {
  const lo = readU32(bytes, at);
  const hi = readU32(bytes, at + 4);
  if (hi > 0x1fffff) return -1;
  return hi * 0x1_0000_0000 + lo;
}

function readU32(b: Uint8Array, at: number): number {
  return (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0;
}

/** Encodes a u64 as 8 bytes. */
export function u64Bytes(value: number | bigint): Uint8Array {
  const out = new Uint8Array(8);
  writeU64(out, 0, value);
  return out;
}

/** Encodes bytes framed as a Nix string: length, bytes, zero padding. */
export function framedBytes(body: Uint8Array): Uint8Array {
  const out = new Uint8Array(8 + body.length + padLength(body.length));
  writeU64(out, 0, body.length);
  out.set(body, 8);
  return out;
}

/** Compares two byte strings as C's `memcmp` then length would (the order Nix sorts names in). */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = a[i]! - b[i]!;
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

/** True if every byte of `bytes` is zero. */
export function allZero(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) if (bytes[i] !== 0) return false;
  return true;
}

/** True if the two byte strings are equal. */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Copies bytes into a fresh `Uint8Array`. (Not `.slice()`: on a Node `Buffer`, `slice` returns
 * a view, not a copy.)
 */
export function copyBytes(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(bytes);
}

export { concatBytes } from "../core/bytes.js";
