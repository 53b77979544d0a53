/**
 * Parsing `.narinfo` text into a {@link NarInfo}, with full validation.
 *
 * The format, its rules and its errors are the grammar's (`src/grammar/narinfo.ts`, see its
 * module comment): {@link parseNarInfoWithGrammar} reads the lines with it and builds the
 * model from them ({@link assembleNarInfo}); every refusal is a {@link NarInfoError} made from
 * the grammar's (code, rule, expected, line, column and byte offset).
 *
 * Speed: a narinfo in the shape binary caches write (known fields in Nix's order, nix32 or
 * hex digests, default store directory) is first matched whole by one large regular
 * expression (`./fast-parse.ts`), which returns the grammar's value or declines; then the
 * grammar reads the text. A property test pins the two.
 *
 * @module
 */
import type { ContentAddress } from "../core/content-address.js";
import type { Hash, HashEncoding } from "../core/hash.js";
import { DEFAULT_STORE_DIR, type StorePath, type StorePathNameRules } from "../core/store-path.js";
import { type NarInfoLine, readNarInfoLines } from "../grammar/narinfo.js";
import type { Signature } from "../signing/keys.js";
import { fastParseNarInfo } from "./fast-parse.js";
import { NarInfoError } from "./narinfo-error.js";
import {
  NARINFO_KEYS,
  type NarInfo,
  type NarInfoQuirks,
  type NarInfoUnknownField,
} from "./types.js";

export { NarInfoError } from "./narinfo-error.js";

/** Options for {@link parseNarInfo}. */
export interface ParseNarInfoOptions {
  /** Store directory of `StorePath`, default `/nix/store`. */
  readonly storeDir?: string;
  /** Store path name rules (default `nix-2.8`, see `src/core/store-path.ts`). */
  readonly nameRules?: StorePathNameRules;
  /** Name of the file, for error messages. */
  readonly file?: string;
}

/**
 * Parses and validates a narinfo. Throws {@link NarInfoError} (a `MalformedInputError`) with
 * the line, column and byte offset on any problem.
 */
export function parseNarInfo(text: string, options: ParseNarInfoOptions = {}): NarInfo {
  if (
    (options.storeDir === undefined || options.storeDir === DEFAULT_STORE_DIR) &&
    options.nameRules === undefined
  ) {
    const fast = fastParseNarInfo(text);
    if (fast !== undefined) return fast;
  }
  return parseNarInfoWithGrammar(text, options);
}

/**
 * Parses a narinfo with the grammar alone (what {@link parseNarInfo} does when its fast path
 * declines): every shape, every error.
 */
export function parseNarInfoWithGrammar(text: string, options: ParseNarInfoOptions = {}): NarInfo {
  const r = readNarInfoLines(text, options);
  if (r.status) return assembleNarInfo(r.lines);
  const at = r.index;
  throw new NarInfoError(
    r.code,
    r.detail,
    {
      rule: r.rule,
      file: options.file,
      ...(at === undefined
        ? {}
        : { line: at.line, column: at.column, offset: utf8Length(text, at.offset) }),
    },
    r.expected,
  );
}

/** Bytes of the UTF-8 encoding of `text[0..end)` (the byte offset of an error). */
function utf8Length(text: string, end: number): number {
  return new TextEncoder().encode(text.slice(0, end)).length;
}

/** Position of a key in Nix's order (unknown keys last). */
const RANK: ReadonlyMap<string, number> = new Map(NARINFO_KEYS.map((k, i) => [k, i]));
const UNKNOWN_RANK = NARINFO_KEYS.length;

/** The keys a later line may replace (Nix 2.8 keeps the last of them). */
const REPLACEABLE: ReadonlySet<string> = new Set(
  NARINFO_KEYS.filter((k) => k !== "References" && k !== "Deriver" && k !== "Sig" && k !== "CA"),
);

/**
 * The narinfo the grammar's lines say (the grammar checked every rule): the last line of a
 * replaceable field counts, and the quirks record how the text was written.
 */
function assembleNarInfo(lines: readonly NarInfoLine[]): NarInfo {
  let storePath: StorePath | undefined;
  let url: string | undefined;
  let compression: string | undefined;
  let fileHash: Hash | undefined;
  let fileSize: number | undefined;
  let narHash: Hash | undefined;
  let narSize: number | undefined;
  let references: StorePath[] | undefined;
  let deriver: StorePath | undefined;
  let system: string | undefined;
  const signatures: Signature[] = [];
  let ca: ContentAddress | undefined;
  const unknownFields: NarInfoUnknownField[] = [];

  let narHashEncoding: HashEncoding = "nix32";
  let fileHashEncoding: HashEncoding = "nix32";
  let caHashEncoding: Exclude<HashEncoding, "sri"> = "nix32";
  let unknownDeriver = false;
  let narSizeText: string | undefined;
  let fileSizeText: string | undefined;
  let referencesText: string | undefined;
  let signatureTexts: (string | undefined)[] | undefined;
  let canonicalOrder = true;
  let lastRank = -1;
  const lastOf = new Map<string, number>();

  lines.forEach((l, i) => {
    const rank = RANK.get(l.key) ?? UNKNOWN_RANK;
    if (rank < lastRank || (rank === lastRank && REPLACEABLE.has(l.key))) canonicalOrder = false;
    lastRank = rank;
    lastOf.set(l.key, i);
    const f = l.field;
    switch (f.kind) {
      case "StorePath":
        storePath = f.storePath;
        break;
      case "text":
        if (l.key === "URL") url = l.value;
        else if (l.key === "Compression") compression = l.value;
        else system = l.value;
        break;
      case "hash":
        if (l.key === "NarHash") {
          narHash = f.hash;
          narHashEncoding = f.encoding;
        } else {
          fileHash = f.hash;
          fileHashEncoding = f.encoding;
        }
        break;
      case "size":
        if (l.key === "NarSize") {
          narSize = f.size;
          narSizeText = f.plain ? undefined : l.value;
        } else {
          fileSize = f.size;
          fileSizeText = f.plain ? undefined : l.value;
        }
        break;
      case "References":
        references = f.references;
        if (!f.plain) referencesText = l.value;
        break;
      case "Deriver":
        deriver = f.deriver;
        unknownDeriver = f.deriver === undefined;
        break;
      case "Sig":
        if (!f.plain) (signatureTexts ??= [])[signatures.length] = l.value;
        signatures.push(f.signature);
        break;
      case "CA":
        ca = f.ca;
        caHashEncoding = f.encoding;
        break;
      case "unknown":
        unknownFields.push({ key: l.key, value: l.value });
        break;
    }
  });
  const supersededLines = canonicalOrder
    ? []
    : lines
        .filter((l, i) => REPLACEABLE.has(l.key) && lastOf.get(l.key) !== i)
        .map((l) => ({ key: l.key, value: l.value }));
  const quirks: NarInfoQuirks = {
    narHashEncoding,
    fileHashEncoding,
    caHashEncoding,
    referencesAbsent: references === undefined,
    unknownDeriver,
    fieldOrder: canonicalOrder ? undefined : lines.map((l) => l.key),
    ...(narSizeText === undefined ? {} : { narSizeText }),
    ...(fileSizeText === undefined ? {} : { fileSizeText }),
    ...(referencesText === undefined ? {} : { referencesText }),
    ...(signatureTexts === undefined ? {} : { signatureTexts }),
    ...(supersededLines.length > 0 ? { supersededLines } : {}),
  };
  return {
    // the grammar refuses a narinfo without them
    storePath: storePath!,
    url: url!,
    compression,
    fileHash,
    fileSize,
    narHash: narHash!,
    narSize: narSize!,
    references: references ?? [],
    deriver,
    system,
    signatures,
    ca,
    unknownFields,
    quirks,
  };
}
