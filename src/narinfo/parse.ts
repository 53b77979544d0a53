/**
 * Parsing `.narinfo` text into a {@link NarInfo}, with full validation.
 *
 * ```text
 * narinfo     = field*                         (lines: see src/grammar/narinfo.ts)
 * StorePath   = store-dir "/" hash "-" name     required
 * URL         = non-empty text                  required
 * Compression = non-empty text                  absent means bzip2 (Nix's reading)
 * FileHash    = nar-hash                        optional
 * FileSize    = size                            optional
 * NarHash     = "sha256:" (nix32 | base16 | base64) | "sha256-" base64    required
 * NarSize     = size, not 0                     required
 * References  = [ base-name *( " " base-name ) ]   optional, may be empty
 * Deriver     = base-name | "unknown-deriver"   optional
 * System      = non-empty text                  optional
 * Sig         = key-name ":" base64(64 bytes)   any number
 * CA          = "text:" | "fixed:" ["r:"] algo ":" digest     optional
 * size        = ["+"] [0-9]+                    at most 2^53 - 1 (Nix 2.8 reads "+" and leading zeros)
 * ```
 *
 * Every known field may appear once (except `Sig`), but for the ones Nix 2.8 lets a later
 * line replace (StorePath, URL, Compression, FileHash, FileSize, NarHash, NarSize, System:
 * the last wins); unknown fields are kept with their position. Errors are {@link NarInfoError}s with the line (and column) and a stable code:
 * `narinfo.malformed-line`, `narinfo.missing-final-newline`, `narinfo.duplicate-field`,
 * `narinfo.missing-field`, `narinfo.empty-value`, `narinfo.missing-hash-prefix`,
 * `narinfo.wrong-hash-algorithm`, `narinfo.bad-hash`, `narinfo.bad-size`,
 * `narinfo.bad-store-path`, `narinfo.bad-signature`,
 * `narinfo.bad-content-address`.
 *
 * Where Nix 2.8 (`NarInfo::NarInfo`) is lenient, this parser reads what it reads and records
 * how the text was spelled in the quirks, so that it prints back byte for byte: a size with
 * `+` or leading zeros, repeated references or extra spaces in References (Nix's set folds
 * them), a signature whose base64 lacks padding, has text after `=` or non-zero trailing bits
 * (Nix's base64 decoder), a field repeated before the line that counts (Nix keeps the last).
 * It stays stricter where a value could not be printed back or means nothing: a repeated
 * Deriver, References or CA, upper-case hex digests, empty values (Nix reads an empty
 * Compression as bzip2), a signature that is not 64 bytes (Nix keeps it but can never trust
 * it). Like Nix it refuses a missing final newline, a `NarSize` of 0 and a missing StorePath,
 * URL, NarHash or NarSize.
 *
 * Speed: a narinfo in the shape binary caches write (known fields in Nix's order, nix32 or
 * hex digests, default store directory) is first matched whole by one large regular
 * expression (`./fast-parse.ts`); anything else, and every error, goes through the full
 * parser below ({@link parseNarInfoFully}), which reads line by line. A property test pins
 * the two: the fast path returns the full parser's value or declines.
 *
 * @module
 */
import { base16Decode } from "../core/base16.js";
import { base64Decode } from "../core/base64.js";
import { type ContentAddress, parseContentAddress } from "../core/content-address.js";
import { MalformedInputError, quoteInput } from "../core/errors.js";
import type { Hash, HashEncoding } from "../core/hash.js";
import { isHashAlgorithm } from "../core/hash-algorithm.js";
import { nixbase32Decode } from "../core/nixbase32.js";
import {
  DEFAULT_STORE_DIR,
  MAX_STORE_PATH_NAME_LENGTH,
  parseStorePath,
  parseStorePathBaseName,
  type StorePath,
  type StorePathNameRules,
} from "../core/store-path.js";
import { NarInfoCursor, NarInfoError, scanNarInfoFields } from "../grammar/narinfo.js";
import { parseSignature, type Signature } from "../signing/keys.js";
import { fastBase64Decode, fastNixbase32Decode } from "./fast-decode.js";
import { caEncoding, fastParseNarInfo } from "./fast-parse.js";
import { signatureAsNix } from "./signature-spelling.js";
import {
  MAX_NARINFO_SIZE,
  NARINFO_KEYS,
  type NarInfo,
  type NarInfoQuirks,
  type NarInfoUnknownField,
} from "./types.js";

export { NarInfoError } from "../grammar/narinfo.js";

/** Options for {@link parseNarInfo}. */
export interface ParseNarInfoOptions {
  /** Store directory of `StorePath`, default `/nix/store`. */
  readonly storeDir?: string;
  /** Store path name rules (default `nix-2.8`, see `src/core/store-path.ts`). */
  readonly nameRules?: StorePathNameRules;
  /** Name of the file, for error messages. */
  readonly file?: string;
}

const UNKNOWN_RANK = 12;

/** Position of a key in the canonical order (unknown keys last). */
function rankOf(key: string): number {
  switch (key.length) {
    case 2:
      return key === "CA" ? 11 : UNKNOWN_RANK;
    case 3:
      return key === "URL" ? 1 : key === "Sig" ? 10 : UNKNOWN_RANK;
    case 6:
      return key === "System" ? 9 : UNKNOWN_RANK;
    case 7:
      return key === "NarHash" ? 5 : key === "NarSize" ? 6 : key === "Deriver" ? 8 : UNKNOWN_RANK;
    case 8:
      return key === "FileHash" ? 3 : key === "FileSize" ? 4 : UNKNOWN_RANK;
    case 9:
      return key === "StorePath" ? 0 : UNKNOWN_RANK;
    case 10:
      return key === "References" ? 7 : UNKNOWN_RANK;
    case 11:
      return key === "Compression" ? 2 : UNKNOWN_RANK;
    default:
      return UNKNOWN_RANK;
  }
}

/**
 * Parses and validates a narinfo. Throws {@link NarInfoError} (a `MalformedInputError`) with
 * the line number on any problem.
 */
export function parseNarInfo(text: string, options: ParseNarInfoOptions = {}): NarInfo {
  try {
    return parseInner(text, options);
  } catch (err) {
    if (err instanceof NarInfoError && options.file !== undefined) {
      throw err.withContext({ file: options.file });
    }
    throw err;
  }
}

function parseInner(text: string, options: ParseNarInfoOptions): NarInfo {
  if (options.storeDir === undefined || options.storeDir === DEFAULT_STORE_DIR) {
    const fast = fastParseNarInfo(text);
    if (fast !== undefined) return fast;
  }
  return parseNarInfoFully(text, options);
}

/**
 * The full parser: every shape, every error. {@link parseNarInfo} runs it when the fast path
 * (`./fast-parse.ts`) declines; exported for the tests that pin the two together.
 */
export function parseNarInfoFully(text: string, options: ParseNarInfoOptions = {}): NarInfo {
  const spOptions = { storeDir: options.storeDir, nameRules: options.nameRules };

  let storePath: StorePath | undefined;
  let url: string | undefined;
  let compression: string | undefined;
  let fileHash: Hash | undefined;
  let fileSize: number | undefined;
  let narHash: Hash | undefined;
  let narSize: number | undefined;
  let references: StorePath[] | undefined;
  let deriver: StorePath | undefined;
  let deriverSeen = false;
  let system: string | undefined;
  const signatures: Signature[] = [];
  let ca: ContentAddress | undefined;
  let unknownFields: NarInfoUnknownField[] | undefined;

  let narHashEncoding: HashEncoding = "nix32";
  let fileHashEncoding: HashEncoding = "nix32";
  let caHashEncoding: Exclude<HashEncoding, "sri"> = "nix32";
  let unknownDeriver = false;
  let lastRank = -1;
  let canonicalOrder = true;
  let superseded = false;
  let narSizeLine = 0;
  let narSizeText: string | undefined;
  let fileSizeText: string | undefined;
  let referencesText: string | undefined;
  let signatureTexts: (string | undefined)[] | undefined;

  const cursor = new NarInfoCursor(text);
  while (cursor.next()) {
    const key = cursor.key;
    const value = cursor.value;
    const line = cursor.line;
    const rank = rankOf(key);
    if (rank < lastRank) canonicalOrder = false;
    lastRank = rank;
    if (rank !== UNKNOWN_RANK && value.length === 0 && rank !== 7) {
      throw new NarInfoError("narinfo.empty-value", `field ${quoteInput(key)} has an empty value`, {
        line,
        column: key.length + 3,
      });
    }
    switch (rank) {
      case 0:
        if (storePath !== undefined) superseded = true;
        storePath = storePathField(value, key, line, spOptions, true);
        break;
      case 1: // URL
        if (url !== undefined) superseded = true;
        url = value;
        break;
      case 2: // Compression
        if (compression !== undefined) superseded = true;
        compression = value;
        break;
      case 3: {
        // FileHash
        if (fileHash !== undefined) superseded = true;
        const h = parseSha256Field(value, key, line);
        fileHash = h.hash;
        fileHashEncoding = h.encoding;
        break;
      }
      case 4: // FileSize
        if (fileSize !== undefined) superseded = true;
        fileSize = parseSize(value, key, line);
        fileSizeText = isPlainSize(value, fileSize) ? undefined : value;
        break;
      case 5: {
        // NarHash
        if (narHash !== undefined) superseded = true;
        const h = parseSha256Field(value, key, line);
        narHash = h.hash;
        narHashEncoding = h.encoding;
        break;
      }
      case 6: // NarSize (0 is refused at the end: a later line may replace it, as in Nix)
        if (narSize !== undefined) superseded = true;
        narSize = parseSize(value, key, line);
        narSizeText = isPlainSize(value, narSize) ? undefined : value;
        narSizeLine = line;
        break;
      case 7: {
        // References
        if (references !== undefined) throw duplicate(key, line);
        const refs = parseReferences(value, line, spOptions);
        references = refs.references;
        if (refs.asWritten) referencesText = value;
        break;
      }
      case 8: // Deriver
        if (deriverSeen) throw duplicate(key, line);
        deriverSeen = true;
        if (value === "unknown-deriver") unknownDeriver = true;
        else {
          deriver = storePathField(value, key, line, spOptions, false);
        }
        break;
      case 9: // System
        if (system !== undefined) superseded = true;
        system = value;
        break;
      case 10: // Sig
        try {
          signatures.push(parseSignature(value));
        } catch (err) {
          const read = signatureAsNix(value);
          if (read === undefined)
            throw wrap(err, "narinfo.bad-signature", `bad signature: `, line, key);
          signatureTexts ??= [];
          signatureTexts[signatures.length] = value;
          signatures.push(read);
        }
        break;
      case 11: {
        // CA
        if (ca !== undefined) throw duplicate(key, line);
        try {
          ca = parseContentAddress(value);
        } catch (err) {
          throw wrap(err, "narinfo.bad-content-address", "bad content address: ", line, key);
        }
        const enc = caEncoding(value, ca);
        if (enc === undefined) {
          throw new NarInfoError(
            "narinfo.bad-content-address",
            `content address ${quoteInput(value)} uses upper-case hex or non-canonical base64, which cannot be printed back exactly`,
            { line, column: key.length + 3 },
          );
        }
        caHashEncoding = enc;
        break;
      }
      default:
        if (unknownFields === undefined) unknownFields = [];
        unknownFields.push({ key, value });
    }
  }

  if (storePath === undefined) throw missing("StorePath");
  if (url === undefined) throw missing("URL");
  if (narHash === undefined) throw missing("NarHash");
  if (narSize === undefined) throw missing("NarSize");
  if (narSize === 0) {
    throw new NarInfoError("narinfo.bad-size", "NarSize is 0, which Nix refuses", {
      line: narSizeLine,
      column: 10,
    });
  }

  // rare: read the lines again rather than collect them for every file
  const lines = canonicalOrder && !superseded ? undefined : scanNarInfoFields(text);
  const quirks: NarInfoQuirks = {
    narHashEncoding,
    fileHashEncoding,
    caHashEncoding,
    referencesAbsent: references === undefined,
    unknownDeriver,
    fieldOrder: lines?.map((f) => f.key),
    ...(narSizeText === undefined ? {} : { narSizeText }),
    ...(fileSizeText === undefined ? {} : { fileSizeText }),
    ...(referencesText === undefined ? {} : { referencesText }),
    ...(signatureTexts === undefined ? {} : { signatureTexts }),
    ...(superseded && lines !== undefined ? { supersededLines: supersededLinesOf(lines) } : {}),
  };
  return {
    storePath,
    url,
    compression,
    fileHash,
    fileSize,
    narHash,
    narSize,
    references: references ?? [],
    deriver,
    system,
    signatures,
    ca,
    unknownFields: unknownFields ?? [],
    quirks,
  };
}

function duplicate(key: string, line: number): NarInfoError {
  return new NarInfoError(
    "narinfo.duplicate-field",
    `field ${quoteInput(key)} appears more than once`,
    {
      line,
    },
  );
}

function missing(key: string): NarInfoError {
  return new NarInfoError("narinfo.missing-field", `required field ${quoteInput(key)} is missing`);
}

function wrap(err: unknown, code: string, prefix: string, line: number, key: string): unknown {
  if (err instanceof MalformedInputError) {
    return new NarInfoError(code, `${key}: ${prefix}${err.detail}`, {
      line,
      column: key.length + 3 + (err.position.index ?? 0),
    });
  }
  return err;
}

/** A `StorePath` (absolute) or `Deriver` (base name) value: the fast check, else src/core. */
function storePathField(
  value: string,
  key: string,
  line: number,
  spOptions: { storeDir?: string; nameRules?: StorePathNameRules },
  absolute: boolean,
): StorePath {
  if (absolute) {
    const prefix = storeDirPrefix(spOptions.storeDir);
    if (value.startsWith(prefix)) {
      const fast = fastBaseName(value, prefix.length);
      if (fast !== undefined) return fast;
    }
  } else {
    const fast = fastBaseName(value, 0);
    if (fast !== undefined) return fast;
  }
  try {
    return absolute ? parseStorePath(value, spOptions) : parseStorePathBaseName(value, spOptions);
  } catch (err) {
    throw wrap(err, "narinfo.bad-store-path", "", line, key);
  }
}

/** A size as Nix 2.8 reads it (`boost::lexical_cast` to an unsigned integer): digits after an optional `+`. */
const SIZE = /^\+?[0-9]+$/;

function parseSize(value: string, key: string, line: number): number {
  if (SIZE.test(value)) {
    const n = Number(value);
    if (n <= MAX_NARINFO_SIZE) return n;
  }
  throw new NarInfoError(
    "narinfo.bad-size",
    `${key} ${quoteInput(value)} is not a size (decimal digits after an optional '+', at most ${MAX_NARINFO_SIZE})`,
    { line, column: key.length + 3 },
  );
}

/** True if `value` is how Nix writes the size `n` (no sign, no leading zeros). */
function isPlainSize(value: string, n: number): boolean {
  return value === String(n);
}

/** The keys a later line may replace (Nix 2.8 keeps the last of them). */
const REPLACEABLE: ReadonlySet<string> = new Set(
  NARINFO_KEYS.filter((k) => k !== "References" && k !== "Deriver" && k !== "Sig" && k !== "CA"),
);

/** The lines of replaceable keys that a later line with the same key replaced, in order. */
function supersededLinesOf(
  lines: readonly { key: string; value: string }[],
): NarInfoUnknownField[] {
  const last = new Map<string, number>();
  lines.forEach((f, i) => last.set(f.key, i));
  return lines
    .filter((f, i) => REPLACEABLE.has(f.key) && last.get(f.key) !== i)
    .map((f) => ({ key: f.key, value: f.value }));
}

/** Parses `sha256:<digest>` (nix32, lower-case base16 or base64) or SRI `sha256-<base64>`. */
function parseSha256Field(
  value: string,
  key: string,
  line: number,
): { hash: Hash; encoding: HashEncoding } {
  const column = key.length + 3;
  const colon = value.indexOf(":");
  let digest: string;
  let sri = false;
  if (colon < 0) {
    const dash = value.indexOf("-");
    const algo = dash > 0 ? value.slice(0, dash) : "";
    if (!isHashAlgorithm(algo)) {
      throw new NarInfoError(
        "narinfo.missing-hash-prefix",
        `${key} ${quoteInput(value)} lacks the algorithm prefix, expected 'sha256:<digest>'`,
        { line, column },
      );
    }
    if (algo !== "sha256") throw wrongAlgorithm(key, value, algo, line, column);
    digest = value.slice(dash + 1);
    sri = true;
  } else {
    const algo = value.slice(0, colon);
    if (algo !== "sha256") throw wrongAlgorithm(key, value, algo, line, column);
    digest = value.slice(colon + 1);
  }
  const start = value.length - digest.length;
  try {
    if (sri) {
      if (digest.length === 44) {
        return {
          hash: sha256(fastBase64Decode(digest, 32) ?? base64Decode(digest)),
          encoding: "sri",
        };
      }
    } else if (digest.length === 52) {
      return {
        hash: sha256(fastNixbase32Decode(digest, 32) ?? nixbase32Decode(digest)),
        encoding: "nix32",
      };
    } else if (digest.length === 64) {
      if (/[A-F]/.test(digest)) {
        throw new NarInfoError(
          "narinfo.bad-hash",
          `${key} ${quoteInput(value)} uses upper-case hex, which cannot be printed back exactly`,
          { line, column: column + start },
        );
      }
      return { hash: sha256(base16Decode(digest)), encoding: "base16" };
    } else if (digest.length === 44) {
      return {
        hash: sha256(fastBase64Decode(digest, 32) ?? base64Decode(digest)),
        encoding: "base64",
      };
    }
  } catch (err) {
    if (err instanceof NarInfoError) throw err;
    if (err instanceof MalformedInputError) {
      throw new NarInfoError("narinfo.bad-hash", `${key} ${quoteInput(value)}: ${err.detail}`, {
        line,
        column: column + start + (err.position.index ?? 0),
      });
    }
    throw err;
  }
  throw new NarInfoError(
    "narinfo.bad-hash",
    `${key} ${quoteInput(value)} has a digest of ${digest.length} characters, expected a sha256 digest in ` +
      (sri ? "base64 (44)" : "nix32 (52), base16 (64) or base64 (44)"),
    { line, column: column + start },
  );
}

function sha256(digest: Uint8Array): Hash {
  return { algorithm: "sha256", digest };
}

function wrongAlgorithm(
  key: string,
  value: string,
  algo: string,
  line: number,
  column: number,
): NarInfoError {
  return new NarInfoError(
    "narinfo.wrong-hash-algorithm",
    `${key} ${quoteInput(value)} has the prefix ${quoteInput(algo)}, expected 'sha256'`,
    { line, column },
  );
}

/**
 * A whole `References` value of base names valid under every rule set (no leading dots).
 * The 32 hash characters are spelled out one by one: a counted `{32}` makes V8's regexp
 * engine keep a loop counter and runs about 2.5 times slower on this, the hottest token.
 */
const FAST_REFERENCES: RegExp = (() => {
  const hash = "[0-9a-df-np-sv-z]".repeat(32);
  const ref = `${hash}-(?!\\.)[A-Za-z0-9+\\-._?=]+`;
  return new RegExp(`^${ref}(?: ${ref})*$`);
})();

/** One base name valid under every rule set, checked by the same unrolled regex. */
const FAST_BASE_NAME: RegExp = new RegExp(
  `^${"[0-9a-df-np-sv-z]".repeat(32)}-(?!\\.)[A-Za-z0-9+\\-._?=]{1,${MAX_STORE_PATH_NAME_LENGTH}}$`,
);

function storeDirPrefix(storeDir: string | undefined): string {
  return storeDir === undefined ? "/nix/store/" : `${storeDir}/`;
}

/** The store path at `text[start..]` if it passes the fast check, else undefined (ask src/core). */
function fastBaseName(text: string, start: number): StorePath | undefined {
  const base = start === 0 ? text : text.slice(start);
  if (!FAST_BASE_NAME.test(base)) return undefined;
  return { hash: base.slice(0, 32), name: base.slice(33) };
}

/** The references of a `References` value, and whether it must be kept as written. */
interface ParsedReferences {
  readonly references: StorePath[];
  /** True when the value repeats a reference or has extra spaces (printed back as written). */
  readonly asWritten: boolean;
}

function parseReferences(
  value: string,
  line: number,
  spOptions: { storeDir?: string; nameRules?: StorePathNameRules; maxNameLength?: number },
): ParsedReferences {
  if (value.length === 0) return { references: [], asWritten: false };
  const fast = FAST_REFERENCES.test(value) ? parseReferencesFast(value, spOptions) : undefined;
  return fast === undefined
    ? parseReferencesSlow(value, line, spOptions)
    : { references: fast, asWritten: false };
}

/** Single-spaced base names without repeats, or `undefined` (then the slow path decides). */
function parseReferencesFast(
  value: string,
  spOptions: { maxNameLength?: number },
): StorePath[] | undefined {
  const max = spOptions.maxNameLength ?? MAX_STORE_PATH_NAME_LENGTH;
  const out: StorePath[] = [];
  const len = value.length;
  let sorted = true;
  let ps = -1;
  let pe = -1;
  let s = 0;
  while (s < len) {
    let e = value.indexOf(" ", s);
    if (e < 0) e = len;
    if (e - s - 33 > max) return undefined;
    const sp: StorePath = { hash: value.slice(s, s + 32), name: value.slice(s + 33, e) };
    if (ps >= 0 && sorted) {
      // compare the previous base name [ps, pe) with this one [s, e), as Nix orders them
      let c = 0;
      for (let k = 0; ; k++) {
        const a = ps + k < pe ? value.charCodeAt(ps + k) : -1;
        const b = s + k < e ? value.charCodeAt(s + k) : -1;
        if (a !== b) {
          c = a < b ? -1 : 1;
          break;
        }
        if (a === -1) break;
      }
      if (c === 0) return undefined;
      if (c > 0) sorted = false;
    }
    out.push(sp);
    ps = s;
    pe = e;
    s = e + 1;
  }
  if (!sorted && new Set(out.map((r) => `${r.hash}-${r.name}`)).size !== out.length) {
    return undefined;
  }
  return out;
}

/**
 * Any `References` value, as Nix 2.8 reads it (`tokenizeString` on spaces into a set):
 * empty words are skipped, a repeated reference counts once (in the place first written).
 */
function parseReferencesSlow(
  value: string,
  line: number,
  spOptions: { storeDir?: string; nameRules?: StorePathNameRules },
): ParsedReferences {
  const parts = value.split(" ");
  const out: StorePath[] = [];
  const seen = new Set<string>();
  let asWritten = false;
  let column = 13; // "References: " is 12 characters
  for (const p of parts) {
    if (p.length === 0 || seen.has(p)) {
      asWritten = true;
      column += p.length + 1;
      continue;
    }
    seen.add(p);
    try {
      out.push(parseStorePathBaseName(p, spOptions));
    } catch (err) {
      if (err instanceof MalformedInputError) {
        throw new NarInfoError("narinfo.bad-store-path", `References: ${err.detail}`, {
          line,
          column: column + (err.position.index ?? 0),
        });
      }
      throw err;
    }
    column += p.length + 1;
  }
  return { references: out, asWritten };
}
