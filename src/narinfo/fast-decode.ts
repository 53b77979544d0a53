/**
 * Fast paths for the two decodings on the narinfo hot path: nixbase32 digests (`NarHash`,
 * `FileHash`) and base64 signatures (`Sig`). Each returns `undefined` for any text it does
 * not accept, and the caller then asks `src/core` (which gives the precise error); on the
 * texts they accept they return exactly what `nixbase32Decode` / `base64Decode` return (a
 * property test pins this).
 *
 * @module
 */

const NIX32 = "0123456789abcdfghijklmnpqrsvwxyz";
const NIX32_TABLE: Int8Array = (() => {
  const t = new Int8Array(128).fill(-1);
  for (let i = 0; i < 32; i++) t[NIX32.charCodeAt(i)] = i;
  return t;
})();

const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const B64_TABLE: Int32Array = (() => {
  const t = new Int32Array(128).fill(-1);
  for (let i = 0; i < 64; i++) t[B64.charCodeAt(i)] = i;
  return t;
})();

/**
 * Decodes nixbase32 text whose length is a whole encoding of `size` bytes, or returns
 * undefined (bad character, leftover bits not zero, wrong length).
 */
export function fastNixbase32Decode(text: string, size: number): Uint8Array | undefined {
  const len = text.length;
  if (len !== Math.ceil((size * 8) / 5)) return undefined;
  const out = new Uint8Array(size);
  let acc = 0;
  let bits = 0;
  let o = 0;
  // the last character holds the lowest bits
  for (let i = len - 1; i >= 0; i--) {
    const c = text.charCodeAt(i);
    const d = c < 128 ? NIX32_TABLE[c]! : -1;
    if (d < 0) return undefined;
    acc |= d << bits;
    bits += 5;
    if (bits >= 8) {
      if (o >= size) return undefined;
      out[o++] = acc & 0xff;
      acc >>>= 8;
      bits -= 8;
    }
  }
  if (acc !== 0 || o !== size) return undefined;
  return out;
}

/** Decodes padded standard base64 of exactly `size` bytes, or returns undefined. */
export function fastBase64Decode(text: string, size: number): Uint8Array | undefined {
  const len = text.length;
  if (len !== Math.ceil(size / 3) * 4) return undefined;
  const pad = size % 3 === 0 ? 0 : 3 - (size % 3);
  const out = new Uint8Array(size);
  const full = len - (pad === 0 ? 0 : 4);
  let o = 0;
  for (let i = 0; i < full; i += 4) {
    const a = text.charCodeAt(i);
    const b = text.charCodeAt(i + 1);
    const c = text.charCodeAt(i + 2);
    const d = text.charCodeAt(i + 3);
    if ((a | b | c | d) >= 128) return undefined;
    const n = (B64_TABLE[a]! << 18) | (B64_TABLE[b]! << 12) | (B64_TABLE[c]! << 6) | B64_TABLE[d]!;
    if (n < 0 || B64_TABLE[a]! < 0 || B64_TABLE[b]! < 0 || B64_TABLE[c]! < 0 || B64_TABLE[d]! < 0) {
      return undefined;
    }
    out[o++] = n >>> 16;
    out[o++] = (n >>> 8) & 0xff;
    out[o++] = n & 0xff;
  }
  if (pad !== 0) {
    const a = text.charCodeAt(full);
    const b = text.charCodeAt(full + 1);
    if ((a | b) >= 128) return undefined;
    const x = B64_TABLE[a]!;
    const y = B64_TABLE[b]!;
    if (x < 0 || y < 0) return undefined;
    if (pad === 2) {
      if (text.charCodeAt(full + 2) !== 61 || text.charCodeAt(full + 3) !== 61) return undefined;
      if ((y & 0x0f) !== 0) return undefined;
      out[o++] = (x << 2) | (y >>> 4);
    } else {
      const cc = text.charCodeAt(full + 2);
      if (cc >= 128 || text.charCodeAt(full + 3) !== 61) return undefined;
      const z = B64_TABLE[cc]!;
      if (z < 0 || (z & 0x03) !== 0) return undefined;
      out[o++] = (x << 2) | (y >>> 4);
      out[o++] = ((y & 0x0f) << 4) | (z >>> 2);
    }
  }
  return out;
}
