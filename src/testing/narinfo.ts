/**
 * fast-check arbitraries for narinfos, keys and signatures: every field, every quirk
 * (hashes in nix32/base16/base64/SRI, compression absent, references out of order or
 * absent, `Deriver: unknown-deriver`, FileHash/FileSize absent, unknown fields, any line
 * order), so that properties can say "print then parse gives the same value and text".
 *
 * @module
 */
import fc from "fast-check";
import type { HashEncoding } from "../core/hash.js";
import type { StorePath } from "../core/store-path.js";
import {
  CANONICAL_QUIRKS,
  NARINFO_KEYS,
  type NarInfo,
  type NarInfoUnknownField,
} from "../narinfo/types.js";
import type { Signature } from "../signing/keys.js";
import { arbContentAddress, arbHash } from "./core.js";

const NIX32 = "0123456789abcdfghijklmnpqrsvwxyz";
const NAME_FIRST = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+-_?=";
const NAME_REST = `${NAME_FIRST}.`;

function charsOf(alphabet: string): fc.Arbitrary<string> {
  return fc.constantFrom(...alphabet.split(""));
}

/** A store path (valid under Nix 2.8's rules: no leading dot). */
export function arbNarInfoStorePath(suffix = ""): fc.Arbitrary<StorePath> {
  return fc
    .record({
      hash: fc.string({ unit: charsOf(NIX32), minLength: 32, maxLength: 32 }),
      first: charsOf(NAME_FIRST),
      rest: fc.string({ unit: charsOf(NAME_REST), maxLength: 24 }),
    })
    .map(({ hash, first, rest }) => ({ hash, name: `${first}${rest}${suffix}` }));
}

/** A key name: non-empty, no `:`, no line breaks (printable ASCII here). */
export function arbKeyName(): fc.Arbitrary<string> {
  return fc.stringMatching(/^[A-Za-z0-9._-][A-Za-z0-9._\- ]{0,20}$/);
}

/** A signature with arbitrary (not necessarily valid) bytes. */
export function arbSignature(): fc.Arbitrary<Signature> {
  return fc.record({
    keyName: arbKeyName(),
    sig: fc.uint8Array({ minLength: 64, maxLength: 64 }),
  });
}

/** A field value: any text without line breaks (may be empty when `allowEmpty`). */
function arbValue(allowEmpty: boolean): fc.Arbitrary<string> {
  return fc.string({
    unit: fc.oneof(
      {
        weight: 8,
        arbitrary: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
      },
      { weight: 1, arbitrary: fc.constantFrom("\t", "é", "→", "\u0000") },
    ),
    minLength: allowEmpty ? 0 : 1,
    maxLength: 30,
  });
}

/** An unknown field: a key Nix does not know and any value. */
export function arbNarInfoUnknownField(): fc.Arbitrary<NarInfoUnknownField> {
  return fc.record({
    key: fc.stringMatching(/^[\x21-\x39\x3b-\x7e]{1,12}$/).filter((k) => !NARINFO_KEYS.includes(k)),
    value: arbValue(true),
  });
}

const RANKS: ReadonlyMap<string, number> = new Map(NARINFO_KEYS.map((k, i) => [k, i]));

/** Options for {@link arbNarInfo}. */
export interface ArbNarInfoOptions {
  /** Generate only what Nix itself writes (canonical quirks, no unknown fields). Default false. */
  readonly canonical?: boolean;
}

/**
 * A narinfo value, with any quirk unless `canonical`. Every generated value prints to a text
 * that parses back to an equal value.
 */
export function arbNarInfo(options: ArbNarInfoOptions = {}): fc.Arbitrary<NarInfo> {
  const canonical = options.canonical === true;
  const encoding = (all: boolean): fc.Arbitrary<HashEncoding> =>
    canonical
      ? fc.constant("nix32")
      : all
        ? fc.constantFrom("nix32", "base16", "base64", "sri")
        : fc.constant("nix32");
  return fc
    .record({
      storePath: arbNarInfoStorePath(),
      url: arbValue(false),
      compression: canonical
        ? fc.constantFrom("xz", "bzip2", "zstd", "none")
        : fc.option(fc.oneof(fc.constantFrom("xz", "bzip2", "zstd", "none"), arbValue(false)), {
            nil: undefined,
          }),
      fileHash: fc.option(arbHash("sha256"), { nil: undefined }),
      fileSize: fc.option(fc.maxSafeNat(), { nil: undefined }),
      narHash: arbHash("sha256"),
      narSize: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
      references: fc.uniqueArray(arbNarInfoStorePath(), {
        maxLength: 6,
        selector: (p) => `${p.hash}-${p.name}`,
      }),
      sortReferences: canonical ? fc.constant(true) : fc.boolean(),
      deriver: fc.option(arbNarInfoStorePath(".drv"), { nil: undefined }),
      system: fc.option(arbValue(false), { nil: undefined }),
      signatures: fc.array(arbSignature(), { maxLength: 3 }),
      ca: fc.option(arbContentAddress, { nil: undefined }),
      unknownFields: canonical
        ? fc.constant([])
        : fc.array(arbNarInfoUnknownField(), { maxLength: 3 }),
      narHashEncoding: encoding(true),
      fileHashEncoding: encoding(true),
      caHashEncoding: canonical
        ? fc.constant("nix32" as const)
        : fc.constantFrom("nix32" as const, "base16" as const, "base64" as const),
      referencesAbsent: canonical ? fc.constant(false) : fc.boolean(),
      unknownDeriver: canonical ? fc.constant(false) : fc.boolean(),
      shuffle: canonical ? fc.constant(false) : fc.boolean(),
      seed: fc.integer(),
    })
    .map((r) => {
      const references = r.sortReferences
        ? [...r.references].sort((a, b) => cmp(`${a.hash}-${a.name}`, `${b.hash}-${b.name}`))
        : r.references;
      const base: NarInfo = {
        storePath: r.storePath,
        url: r.url,
        compression: r.compression,
        fileHash: r.fileHash,
        fileSize: r.fileSize,
        narHash: r.narHash,
        narSize: r.narSize,
        references,
        deriver: r.deriver,
        system: r.system,
        signatures: r.signatures,
        ca: r.ca,
        unknownFields: r.unknownFields,
        quirks: {
          ...CANONICAL_QUIRKS,
          narHashEncoding: r.narHashEncoding,
          fileHashEncoding: r.fileHash === undefined ? "nix32" : r.fileHashEncoding,
          caHashEncoding: r.ca === undefined ? "nix32" : r.caHashEncoding,
          referencesAbsent: r.referencesAbsent && references.length === 0,
          unknownDeriver: r.unknownDeriver && r.deriver === undefined,
        },
      };
      if (!r.shuffle) return base;
      const keys = linesOf(base);
      const shuffled = shuffleWith(keys, r.seed);
      // unknown fields keep their relative order (they are matched in order when printing)
      let u = 0;
      const order = shuffled.map((k) => (RANKS.has(k) ? k : base.unknownFields[u++]!.key));
      let canonicalOrder = true;
      for (let i = 1; i < order.length; i++) {
        if (rank(order[i - 1]!) > rank(order[i]!)) canonicalOrder = false;
      }
      return canonicalOrder ? base : { ...base, quirks: { ...base.quirks, fieldOrder: order } };
    });
}

function rank(key: string): number {
  return RANKS.get(key) ?? NARINFO_KEYS.length;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The keys of the lines `printNarInfo` writes for `info` (canonical order). */
function linesOf(info: NarInfo): string[] {
  const keys: string[] = ["StorePath", "URL"];
  if (info.compression !== undefined) keys.push("Compression");
  if (info.fileHash !== undefined) keys.push("FileHash");
  if (info.fileSize !== undefined) keys.push("FileSize");
  keys.push("NarHash", "NarSize");
  if (!(info.quirks.referencesAbsent && info.references.length === 0)) keys.push("References");
  if (info.deriver !== undefined || info.quirks.unknownDeriver) keys.push("Deriver");
  if (info.system !== undefined) keys.push("System");
  for (const _ of info.signatures) keys.push("Sig");
  if (info.ca !== undefined) keys.push("CA");
  for (const f of info.unknownFields) keys.push(f.key);
  return keys;
}

function shuffleWith<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  let s = seed >>> 0 || 1;
  for (let i = out.length - 1; i > 0; i--) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
