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
 * [CA: ("text:" | "fixed:" ["r:"]) "sha256:" <nix32>\n]
 * ```
 *
 * in exactly that order, with names valid under every rule set (no leading dot), digests and
 * signatures in their one canonical spelling (so decoding them cannot fail) and nothing after
 * the last line. {@link fastParseNarInfo} either returns exactly the value the grammar
 * (src/grammar/narinfo.ts) gives, or declines (`undefined`) and the caller runs the grammar;
 * it never makes an error, and the rules and error texts are the grammar's alone (zod v4's
 * contract between its compiled fast path and its interpreter). A property test pins the two
 * on arbitrary and mutated narinfos.
 *
 * @module
 */
import { base16Decode } from "../core/base16.js";
import { base64DecodeRange } from "../core/base64.js";
import type { ContentAddress, ContentAddressMethod } from "../core/content-address.js";
import type { Hash } from "../core/hash.js";
import { nixbase32DecodeRange } from "../core/nixbase32.js";
import { MAX_STORE_PATH_NAME_LENGTH, type StorePath } from "../core/store-path.js";
import type { Signature } from "../signing/keys.js";
import {
  CANONICAL_QUIRKS,
  MAX_NARINFO_SIZE,
  type NarInfo,
  type NarInfoQuirks,
  type NarInfoUnknownField,
} from "./types.js";

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
    `(?:CA: (text|fixed|fixed:r):sha256:([01]${NIX32_CHAR.repeat(51)})\\n)?$`,
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
  const caMethod = m[12];
  const caDigest = m[13];

  // Where the values are in `text`, from the lengths of the lines before them: the digits,
  // digests and references are read from `text` itself (usually flat, so cheaper to read
  // than the captures, which are slices of it).
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
  const ca: ContentAddress | undefined =
    caMethod === undefined
      ? undefined
      : { method: CA_METHODS[caMethod]!, hash: sha256(caDigest!, 0, 52) };

  const quirks =
    FAST_QUIRKS[
      (narHashText.length === 52 ? 0 : 1) +
        (fileHashText === undefined || fileHashText.length === 52 ? 0 : 2)
    ]!;
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
    unknownFields: NO_UNKNOWN_FIELDS,
    quirks,
  };
}

/**
 * The quirks the fast path can find, shared by every narinfo it parses (a parsed narinfo is
 * never changed in place): index 1 = `NarHash` in base16, 2 = `FileHash` in base16.
 */
const FAST_QUIRKS: readonly NarInfoQuirks[] = [0, 1, 2, 3].map((i) =>
  Object.freeze({
    ...CANONICAL_QUIRKS,
    narHashEncoding: i & 1 ? "base16" : "nix32",
    fileHashEncoding: i & 2 ? "base16" : "nix32",
  }),
);

/** The `unknownFields` of every narinfo the fast path parses (it has none). */
const NO_UNKNOWN_FIELDS: readonly NarInfoUnknownField[] = Object.freeze([]);

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

/** The method of each `CA` prefix the regex accepts. */
const CA_METHODS: Readonly<Record<string, ContentAddressMethod>> = {
  text: "text",
  fixed: "flat",
  "fixed:r": "nar",
};

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

/**
 * A sha256 hash from the digest matched by {@link SHA256_DIGEST} at `text[at..at + length)`
 * (valid, so decoding cannot fail).
 */
function sha256(text: string, at: number, length: number): Hash {
  return {
    algorithm: "sha256",
    digest:
      length === 52
        ? nixbase32DecodeRange(text, at, at + 52)
        : base16Decode(text.slice(at, at + length)),
  };
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
    out.push({
      keyName: text.slice(s + 5, colon),
      sig: base64DecodeRange(text, colon + 1, colon + 89),
    });
    s = colon + 90;
  }
  return out;
}
