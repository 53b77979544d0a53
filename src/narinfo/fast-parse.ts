/**
 * The fast path of `parseNarInfo`: one large regular expression that accepts a whole narinfo
 * written the way binary caches write them, and the values taken from its captures.
 *
 * ```text
 * StorePath: /nix/store/<hash>-<name>\n
 * URL: <text>\n
 * [Compression: <text>\n]
 * [FileHash: sha256:<nix32 | base16>\n]
 * [FileSize: <size>\n]
 * NarHash: sha256:<nix32 | base16>\n
 * NarSize: <size, not 0>\n
 * References: [<base name> *(" " <base name>)]\n
 * [Deriver: <base name>\n]
 * [System: <text>\n]
 * *(Sig: <key name>:<base64 of 64 bytes>\n)
 * [CA: <text>\n]
 * ```
 *
 * in exactly that order, with names valid under every rule set (no leading dot), digests and
 * signatures in their one canonical spelling (so decoding them cannot fail) and nothing after
 * the last line. {@link fastParseNarInfo} returns `undefined` for anything else, including
 * everything the full parser (`parseNarInfo` in `./parse.ts`) refuses, and the caller then
 * runs the full parser, which gives the precise error with its line number. Whenever this
 * path returns a value it is the value the full parser returns (a property test pins this on
 * arbitrary and mutated narinfos), so both paths do the same checks.
 *
 * @module
 */
import { type ContentAddress, parseContentAddress } from "../core/content-address.js";
import type { Hash, HashEncoding } from "../core/hash.js";
import { base64Encode } from "../core/base64.js";
import { HASH_SIZES } from "../core/hash-algorithm.js";
import { nixbase32EncodedLength } from "../core/nixbase32.js";
import { MAX_STORE_PATH_NAME_LENGTH, type StorePath } from "../core/store-path.js";
import type { Signature } from "../signing/keys.js";
import { MAX_NARINFO_SIZE, type NarInfo, type NarInfoQuirks } from "./types.js";

// Hash characters are spelled out one by one: a counted `{32}` makes V8's regexp engine keep
// a loop counter and runs about 2.5 times slower on these, the hottest tokens.
const NIX32_CHAR = "[0-9a-df-np-sv-z]";
/** A store path base name valid under every rule set; the name's length is checked after. */
const BASE_NAME = `${NIX32_CHAR.repeat(32)}-(?!\\.)[A-Za-z0-9+\\-._?=]+`;
/** A sha256 digest in nix32 (the first character holds 1 bit) or lower-case base16. */
const SHA256_DIGEST = `(?:[01]${NIX32_CHAR.repeat(51)}|[0-9a-f]{64})`;
const TEXT = "[^\\n\\r]+";
const SIZE = "(?:0|[1-9][0-9]{0,15})";
/** `name:base64` of 64 bytes: 85 characters, one with 2 bits, then `==` (unrolled too). */
const SIG_LINE = `Sig: [^:\\n\\r]+:${"[A-Za-z0-9+/]".repeat(85)}[AQgw]==\\n`;

/** The whole narinfo; the capture groups are numbered as in {@link fastParseNarInfo}. */
const NARINFO: RegExp = new RegExp(
  `^StorePath: /nix/store/(${BASE_NAME})\\n` +
    `URL: (${TEXT})\\n` +
    `(?:Compression: (${TEXT})\\n)?` +
    `(?:FileHash: sha256:(${SHA256_DIGEST})\\n)?` +
    `(?:FileSize: (${SIZE})\\n)?` +
    `NarHash: sha256:(${SHA256_DIGEST})\\n` +
    `NarSize: ([1-9][0-9]{0,15})\\n` +
    `References: (${BASE_NAME}(?: ${BASE_NAME})*)?\\n` +
    `(?:Deriver: (${BASE_NAME})\\n)?` +
    `(?:System: (${TEXT})\\n)?` +
    `((?:${SIG_LINE})*)` +
    `(?:CA: (${TEXT})\\n)?$`,
);

/**
 * Parses a narinfo of the common shape (see the module comment), or returns `undefined` when
 * the text is anything else; then the full parser decides. Only for the default store
 * directory.
 */
export function fastParseNarInfo(text: string): NarInfo | undefined {
  const m = NARINFO.exec(text);
  if (m === null) return undefined;
  const storePathText = m[1]!;
  const url = m[2]!;
  const compression = m[3];
  const fileHashText = m[4];
  const fileSizeText = m[5];
  const narHashText = m[6]!;
  const narSizeText = m[7]!;
  const refsText = m[8];
  const deriverText = m[9];
  const system = m[10];
  const sigsText = m[11]!;
  const caText = m[12];

  // Where the values are in `text`, from the lengths of the lines before them: the digits
  // and references are read from `text` itself (usually flat, so cheaper to read than the
  // captures, which are slices of it).
  let pos = 22 + storePathText.length + 6 + url.length + 1;
  if (compression !== undefined) pos += 13 + compression.length + 1;
  const fileHashAt = pos + 17;
  if (fileHashText !== undefined) pos += 17 + fileHashText.length + 1;
  const fileSizeAt = pos + 10;
  if (fileSizeText !== undefined) pos += 10 + fileSizeText.length + 1;
  const narHashAt = pos + 16;
  const narSizeAt = narHashAt + narHashText.length + 10;
  pos += 16 + narHashText.length + 1 + 9 + narSizeText.length + 1 + 12;
  const refsAt = pos;
  pos += (refsText === undefined ? 0 : refsText.length) + 1;
  if (deriverText !== undefined) pos += 9 + deriverText.length + 1;
  if (system !== undefined) pos += 8 + system.length + 1;
  const sigsAt = pos;

  const storePath = baseName(storePathText);
  if (storePath === undefined) return undefined;
  let fileSize: number | undefined;
  if (fileSizeText !== undefined) {
    fileSize = decimal(text, fileSizeAt, fileSizeText.length);
    if (fileSize > MAX_NARINFO_SIZE) return undefined;
  }
  const narSize = decimal(text, narSizeAt, narSizeText.length);
  if (narSize > MAX_NARINFO_SIZE) return undefined;
  let references: StorePath[] = [];
  if (refsText !== undefined) {
    const refs = splitReferences(text, refsAt, refsAt + refsText.length);
    if (refs === undefined) return undefined;
    references = refs;
  }
  let deriver: StorePath | undefined;
  if (deriverText !== undefined) {
    deriver = baseName(deriverText);
    if (deriver === undefined) return undefined;
  }
  let ca: ContentAddress | undefined;
  let caHashEncoding: Exclude<HashEncoding, "sri"> = "nix32";
  if (caText !== undefined) {
    try {
      ca = parseContentAddress(caText);
    } catch {
      return undefined;
    }
    const enc = caEncoding(caText, ca);
    if (enc === undefined) return undefined;
    caHashEncoding = enc;
  }

  const quirks: NarInfoQuirks = {
    narHashEncoding: narHashText.length === 52 ? "nix32" : "base16",
    fileHashEncoding: fileHashText === undefined || fileHashText.length === 52 ? "nix32" : "base16",
    caHashEncoding,
    referencesAbsent: false,
    unknownDeriver: false,
    fieldOrder: undefined,
  };
  return {
    storePath,
    url,
    compression,
    fileHash:
      fileHashText === undefined ? undefined : sha256(text, fileHashAt, fileHashText.length),
    fileSize,
    narHash: sha256(text, narHashAt, narHashText.length),
    narSize,
    references,
    deriver,
    system,
    signatures: signatures(text, sigsAt, sigsAt + sigsText.length),
    ca,
    unknownFields: [],
    quirks,
  };
}

/**
 * The number written with the `length` digits at `text[at..]` (checked by the regex; without
 * `Number`, which asks the runtime for a string it has not seen before). Exact up to 2^53, and
 * at least 2^53 beyond.
 */
function decimal(text: string, at: number, length: number): number {
  let n = 0;
  for (let i = at; i < at + length; i++) n = n * 10 + (text.charCodeAt(i) - 48);
  return n;
}

/**
 * The digest encoding of a `CA` value (same order as src/core/hash.ts: base16, then nix32,
 * then base64; lengths never collide), or undefined for upper-case hex, which could not be
 * printed back exactly.
 */
export function caEncoding(
  value: string,
  ca: ContentAddress,
): Exclude<HashEncoding, "sri"> | undefined {
  const digest = value.slice(value.lastIndexOf(":") + 1);
  const size = HASH_SIZES[ca.hash.algorithm];
  if (digest.length === size * 2) return /[A-F]/.test(digest) ? undefined : "base16";
  if (digest.length === nixbase32EncodedLength(size)) return "nix32";
  // base64 as Nix reads it may be spelled in ways that cannot be printed back: refuse those
  return base64Encode(ca.hash.digest) === digest ? "base64" : undefined;
}

/** A base name matched by {@link BASE_NAME}, or undefined when its name is too long. */
function baseName(text: string): StorePath | undefined {
  if (text.length - 33 > MAX_STORE_PATH_NAME_LENGTH) return undefined;
  return { hash: text.slice(0, 32), name: text.slice(33) };
}

/**
 * Splits the `References` value at `text[start..end)` (checked by the regex), or returns
 * undefined on a name too long or a repeated reference.
 */
function splitReferences(text: string, start: number, end: number): StorePath[] | undefined {
  const out: StorePath[] = [];
  let n = 0;
  let sorted = true;
  // the first two hash characters of the previous reference as one number, and where it is:
  // sorted neighbours nearly always differ there, so the branches below are predictable
  let prevKey = -1;
  let ps = 0;
  let pe = 0;
  let s = start;
  while (s < end) {
    // a base name is at least 34 characters and has no space
    let e = text.indexOf(" ", s + 34);
    if (e < 0 || e > end) e = end;
    if (e - s - 33 > MAX_STORE_PATH_NAME_LENGTH) return undefined;
    const key = (text.charCodeAt(s) << 7) | text.charCodeAt(s + 1);
    if (key <= prevKey) {
      if (key < prevKey) sorted = false;
      else if (sorted) {
        const order = compareBaseNames(text, ps, pe, s, e);
        if (order === 0) return undefined;
        if (order > 0) sorted = false;
      }
    }
    out[n++] = { hash: text.slice(s, s + 32), name: text.slice(s + 33, e) };
    prevKey = key;
    ps = s;
    pe = e;
    s = e + 1;
  }
  if (!sorted) {
    const seen = new Set<string>();
    for (const r of out) {
      const base = `${r.hash}-${r.name}`;
      if (seen.has(base)) return undefined;
      seen.add(base);
    }
  }
  return out;
}

/**
 * Orders the base names at `text[a..aEnd)` and `text[b..bEnd)` whose first two hash
 * characters are equal, as Nix orders store paths: negative, 0 (the same) or positive.
 */
function compareBaseNames(text: string, a: number, aEnd: number, b: number, bEnd: number): number {
  for (let k = 2; k < 32; k++) {
    const d = text.charCodeAt(a + k) - text.charCodeAt(b + k);
    if (d !== 0) return d;
  }
  // same hash: the names decide
  const nameA = text.slice(a + 33, aEnd);
  const nameB = text.slice(b + 33, bEnd);
  return nameA === nameB ? 0 : nameA < nameB ? -1 : 1;
}

const NIX32 = "0123456789abcdfghijklmnpqrsvwxyz";
const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const HEX = "0123456789abcdef";
/** Digit values of nix32, base64 and hex characters (the regex chose which applies). */
const NIX32_VALUE: Int32Array = digitTable(NIX32);
const B64_VALUE: Int32Array = digitTable(B64);
const HEX_VALUE: Int32Array = digitTable(HEX);

function digitTable(alphabet: string): Int32Array {
  const t = new Int32Array(128);
  for (let i = 0; i < alphabet.length; i++) t[alphabet.charCodeAt(i)] = i;
  return t;
}

/** A sha256 hash from the digest matched by {@link SHA256_DIGEST} at `text[at..at + length)`. */
function sha256(text: string, at: number, length: number): Hash {
  return {
    algorithm: "sha256",
    digest: length === 52 ? nix32Sha256(text, at) : hex(text, at, length),
  };
}

/**
 * Decodes 52 nix32 characters (checked by the regex) into 32 bytes, eight characters (five
 * bytes) at a time from the end, where the lowest bits are. The loops in this file count
 * groups with a fixed trip count: alone in a benchmark, V8 ran that form several times faster
 * than a loop whose exit test is on a second induction variable (1.3 -> 0.3 µs per signature).
 */
function nix32Sha256(t: string, at: number): Uint8Array {
  const out = new Uint8Array(32);
  const v = NIX32_VALUE;
  for (let k = 0; k < 6; k++) {
    const j = at + 51 - 8 * k;
    const o = 5 * k;
    const lo =
      v[t.charCodeAt(j)]! |
      (v[t.charCodeAt(j - 1)]! << 5) |
      (v[t.charCodeAt(j - 2)]! << 10) |
      (v[t.charCodeAt(j - 3)]! << 15);
    const hi =
      v[t.charCodeAt(j - 4)]! |
      (v[t.charCodeAt(j - 5)]! << 5) |
      (v[t.charCodeAt(j - 6)]! << 10) |
      (v[t.charCodeAt(j - 7)]! << 15);
    out[o] = lo;
    out[o + 1] = lo >> 8;
    out[o + 2] = (lo >> 16) | (hi << 4);
    out[o + 3] = hi >> 4;
    out[o + 4] = hi >> 12;
  }
  // the first four characters: 20 bits, of which the top 4 are zero ([01] in the regex)
  const last =
    v[t.charCodeAt(at + 3)]! |
    (v[t.charCodeAt(at + 2)]! << 5) |
    (v[t.charCodeAt(at + 1)]! << 10) |
    (v[t.charCodeAt(at)]! << 15);
  out[30] = last;
  out[31] = last >> 8;
  return out;
}

function hex(t: string, at: number, length: number): Uint8Array {
  const out = new Uint8Array(length >> 1);
  for (let i = 0; i < out.length; i++) {
    out[i] = (HEX_VALUE[t.charCodeAt(at + 2 * i)]! << 4) | HEX_VALUE[t.charCodeAt(at + 2 * i + 1)]!;
  }
  return out;
}

/**
 * The `Sig` lines matched by the regex at `text[start..end)`: `Sig: name:` then 88 characters
 * of base64 and `\n`.
 */
function signatures(text: string, start: number, end: number): Signature[] {
  const out: Signature[] = [];
  let s = start;
  while (s < end) {
    const colon = text.indexOf(":", s + 5);
    out.push({ keyName: text.slice(s + 5, colon), sig: base64Sig(text, colon + 1) });
    s = colon + 90;
  }
  return out;
}

/** Decodes the 88 characters of base64 at `t[at..]` (checked by the regex) into 64 bytes. */
function base64Sig(t: string, at: number): Uint8Array {
  const out = new Uint8Array(64);
  const v = B64_VALUE;
  // 21 groups of four characters make 63 bytes
  for (let k = 0; k < 21; k++) {
    const i = at + 4 * k;
    const o = 3 * k;
    const n =
      (v[t.charCodeAt(i)]! << 18) |
      (v[t.charCodeAt(i + 1)]! << 12) |
      (v[t.charCodeAt(i + 2)]! << 6) |
      v[t.charCodeAt(i + 3)]!;
    out[o] = n >> 16;
    out[o + 1] = n >> 8;
    out[o + 2] = n;
  }
  // the last group is two characters and "=="
  out[63] = (v[t.charCodeAt(at + 84)]! << 2) | (v[t.charCodeAt(at + 85)]! >> 4);
  return out;
}
