/**
 * The grammar of `.narinfo` files (the text a binary cache serves as `<hash>.narinfo`), field
 * by field, as Nix 2.8 (`NarInfo::NarInfo`) reads them. It is the one place the format's rules
 * and its error texts live: `parseNarInfo` (src/narinfo) runs it on every text its fast path
 * declines, and every narinfo error comes from here.
 *
 * ```text
 * narinfo     = line*                           the text ends right after the last "\n"
 * line        = key ": " value "\n"             no "\r" anywhere
 * key         = [\x21-\x39\x3b-\x7e]+           printable ASCII except ":" (and no spaces)
 *
 * StorePath   = store-dir "/" base-name         required
 * URL         = text                            required
 * Compression = text                            absent means bzip2 (Nix's reading)
 * FileHash    = sha256                          optional
 * FileSize    = size                            optional
 * NarHash     = sha256                          required
 * NarSize     = size                            required, the last one not 0
 * References  = *" " [ base-name *( " "+ base-name ) ] *" "   at most once; a repeated name counts once
 * Deriver     = base-name | "unknown-deriver"   at most once
 * System      = text                            optional
 * Sig         = key-name ":" nix-base64         any number; 64 bytes as Nix 2.8 decodes them
 * CA          = "text:" | "fixed:" ["r:" | "git:"] algo ":" digest    at most once
 * other key   = [^\r\n]*                        kept as written, in its place
 *
 * text        = [^\r\n]+
 * sha256      = "sha256:" (nix32{52} | lower-hex{64} | base64{44}) | "sha256-" base64{44}
 * size        = ["+"] [0-9]+                    at most 2^53 - 1 (Nix 2.8 reads "+" and leading zeros)
 * base-name   = nix32{32} "-" name              name rules of src/core/store-path.ts
 * ```
 *
 * Every known value is non-empty (but `References`). StorePath, URL, Compression, FileHash,
 * FileSize, NarHash, NarSize and System may be repeated: the last line counts (Nix keeps the
 * last), the others are "superseded". Each line's value is read into a {@link NarInfoLine}:
 * decoded hashes, store paths, sizes, signatures and content addresses, with how they were
 * spelled where Nix 2.8 reads more than one spelling (sizes with `+` or leading zeros,
 * References with extra spaces or repeats, signatures its lenient base64 reads), so that the
 * model built from the lines prints back byte for byte. Stricter than Nix where a value could
 * not be printed back or means nothing: upper-case hex digests, a signature that is not 64
 * bytes, a repeated References, Deriver or CA line, empty values.
 *
 * {@link readNarInfoLines} runs the line grammar ({@link narinfoGrammar}, Parsimmon) and then
 * the rules about the file as a whole (required fields, fields allowed once, NarSize not 0).
 * A refusal is a {@link NarInfoGrammarFailure}: a stable `code`, the `rule` (`narinfo.<Key>`,
 * `narinfo.line` or `narinfo`), what was `expected`, and where (character offset, line,
 * column). The codes: `narinfo.malformed-line`, `narinfo.missing-final-newline`,
 * `narinfo.empty-value`, `narinfo.missing-hash-prefix`, `narinfo.wrong-hash-algorithm`,
 * `narinfo.bad-hash`, `narinfo.bad-size`, `narinfo.bad-store-path`, `narinfo.bad-signature`,
 * `narinfo.bad-content-address`, `narinfo.duplicate-field`, `narinfo.missing-field`.
 *
 * @module
 */
import P from "parsimmon";
import { base16Decode } from "../core/base16.js";
import { base64Decode } from "../core/base64.js";
import {
  type ContentAddress,
  contentAddressDigestEncoding,
  parseContentAddress,
} from "../core/content-address.js";
import { MalformedInputError, quoteInput } from "../core/errors.js";
import type { Hash, HashEncoding } from "../core/hash.js";
import { isHashAlgorithm } from "../core/hash-algorithm.js";
import { nixbase32Decode } from "../core/nixbase32.js";
import {
  parseStorePath,
  parseStorePathBaseName,
  type StorePath,
  type StorePathNameRules,
} from "../core/store-path.js";
import { formatSignature, type Signature } from "../signing/keys.js";
import { signatureAsNix } from "../signing/signature-spelling.js";
import type { GrammarRule } from "./grammar-rule.js";

/** The largest size accepted in `NarSize`/`FileSize` (sizes are JavaScript numbers). */
export const MAX_NARINFO_SIZE = Number.MAX_SAFE_INTEGER;

/** What a line's value means, by key (`unknown` for keys the format does not define). */
export type NarInfoFieldValue =
  | { readonly kind: "StorePath"; readonly storePath: StorePath }
  | { readonly kind: "text" }
  | { readonly kind: "hash"; readonly hash: Hash; readonly encoding: HashEncoding }
  | {
      readonly kind: "size";
      readonly size: number;
      /** False when written with `+` or leading zeros. */
      readonly plain: boolean;
    }
  | {
      readonly kind: "References";
      /** Each reference once, in the order first written. */
      readonly references: StorePath[];
      /** False when written with extra spaces or a repeated reference. */
      readonly plain: boolean;
    }
  | {
      readonly kind: "Deriver";
      /** `undefined` for `unknown-deriver`. */
      readonly deriver: StorePath | undefined;
    }
  | {
      readonly kind: "Sig";
      readonly signature: Signature;
      /** False when the base64 is not canonical (Nix 2.8's decoder still reads it). */
      readonly plain: boolean;
    }
  | {
      readonly kind: "CA";
      readonly ca: ContentAddress;
      readonly encoding: Exclude<HashEncoding, "sri">;
    }
  | { readonly kind: "unknown" };

/** One line of a narinfo, read by its field's rule (the i-th of the file is its line i + 1). */
export interface NarInfoLine {
  /** The key as written, e.g. `StorePath`. */
  readonly key: string;
  /** The value as written (after `": "`, before the newline; may be empty). */
  readonly value: string;
  /** Character offset of the line's start. */
  readonly offset: number;
  /** What the value means. */
  readonly field: NarInfoFieldValue;
}

/** Options of the grammar: how store paths are read. */
export interface NarInfoGrammarOptions {
  /** Store directory of `StorePath`, default `/nix/store`. */
  readonly storeDir?: string;
  /** Store path name rules (default `nix-2.8`, see `src/core/store-path.ts`). */
  readonly nameRules?: StorePathNameRules;
}

/** A narinfo the grammar refuses: what it expected, where, and the stable code. */
export interface NarInfoGrammarFailure {
  readonly status: false;
  /** Stable code, e.g. `narinfo.bad-hash`. */
  readonly code: string;
  /** The rule: `narinfo.<Key>` for a value, `narinfo.line` for a line, `narinfo` for the file. */
  readonly rule: string;
  /** What the rule expected there (one or more descriptions). */
  readonly expected: readonly string[];
  /** One line of text for the error: what was expected and what was found. */
  readonly detail: string;
  /** Character offset, line and column (1-based) of the fault; absent for a missing field. */
  readonly index:
    { readonly offset: number; readonly line: number; readonly column: number } | undefined;
}

/** The outcome of {@link readNarInfoLines}. */
export type NarInfoGrammarResult =
  { readonly status: true; readonly lines: readonly NarInfoLine[] } | NarInfoGrammarFailure;

// ---------------------------------------------------------------------------------------
// What each rule expects, each with the code a refusal by it carries.

const CODES = new Map<string, string>();

/** A description of what a rule expects, registered with the code its refusals carry. */
function expecting(code: string, description: string): string {
  CODES.set(description, code);
  return description;
}

const FIELD_NAME = expecting(
  "narinfo.malformed-line",
  "a field name (printable ASCII without ':' or spaces)",
);
const SEPARATOR = expecting("narinfo.malformed-line", "': ' after the field name");
const LINE_END = expecting(
  "narinfo.malformed-line",
  "a newline ending the line (no carriage return)",
);
const FINAL_NEWLINE = expecting("narinfo.missing-final-newline", "a newline ending the last line");
const END_OF_TEXT = expecting("narinfo.malformed-line", "the end of the text");
const VALUE = expecting("narinfo.empty-value", "a value (this field is never empty)");
const HASH_PREFIX = expecting(
  "narinfo.missing-hash-prefix",
  "the algorithm prefix 'sha256:' (or 'sha256-')",
);
const SHA256_ALGORITHM = expecting("narinfo.wrong-hash-algorithm", "the hash algorithm 'sha256'");
const SHA256_DIGEST = expecting(
  "narinfo.bad-hash",
  "a sha256 digest: 52 nix32, 64 lower-case hex or 44 base64 characters",
);
const SRI_DIGEST = expecting("narinfo.bad-hash", "a sha256 digest of 44 base64 characters");
const SIZE = expecting(
  "narinfo.bad-size",
  `a size: decimal digits after an optional '+', at most ${MAX_NARINFO_SIZE}`,
);
const NON_ZERO_SIZE = expecting("narinfo.bad-size", "a NarSize other than 0 (Nix refuses 0)");
const STORE_PATH = expecting(
  "narinfo.bad-store-path",
  "a store path: the store directory, '/', 32 nix32 characters, '-' and a name",
);
const BASE_NAME = expecting(
  "narinfo.bad-store-path",
  "a store path base name: 32 nix32 characters, '-' and a name",
);
const SIGNATURE = expecting(
  "narinfo.bad-signature",
  "a signature: a key name, ':' and the base64 of 64 bytes",
);
const CONTENT_ADDRESS = expecting(
  "narinfo.bad-content-address",
  "a content address: 'text:' or 'fixed:' ['r:' | 'git:'], the algorithm, ':' and the digest",
);
const CA_DIGEST = expecting(
  "narinfo.bad-content-address",
  "a content address digest in nix32, lower-case hex or canonical base64 (to print it back)",
);
const ONCE = expecting("narinfo.duplicate-field", "at most one line of this field");

/** The keys that must be present. */
const REQUIRED_KEYS = ["StorePath", "URL", "NarHash", "NarSize"] as const;
const REQUIRED: Readonly<Record<string, string>> = Object.fromEntries(
  REQUIRED_KEYS.map((k) => [k, expecting("narinfo.missing-field", `a '${k}' line`)]),
);

/** The keys that may appear once only (a repeat is refused; Nix 2.8 would fold or replace). */
const ONCE_KEYS: ReadonlySet<string> = new Set(["References", "Deriver", "CA"]);

// ---------------------------------------------------------------------------------------
// The value rules: each reads a whole value and returns what it means, or a refusal.

/** A value rule's refusal: what it expected, at which character of the value. */
class Refusal {
  constructor(
    readonly expected: string,
    readonly at: number,
  ) {}
}

type ValueRule = (value: string) => NarInfoFieldValue | Refusal;

/** The character index a core error points at, or 0. */
function indexOf(err: unknown): number {
  if (err instanceof MalformedInputError) return err.position.index ?? 0;
  throw err;
}

const TEXT: NarInfoFieldValue = Object.freeze({ kind: "text" });
const UNKNOWN: NarInfoFieldValue = Object.freeze({ kind: "unknown" });

/** `sha256:<digest>` (nix32, lower-case base16 or base64) or SRI `sha256-<base64>`. */
function sha256Value(value: string): NarInfoFieldValue | Refusal {
  const colon = value.indexOf(":");
  let sri = false;
  if (colon < 0) {
    const dash = value.indexOf("-");
    const algorithm = dash > 0 ? value.slice(0, dash) : "";
    if (!isHashAlgorithm(algorithm)) return new Refusal(HASH_PREFIX, 0);
    if (algorithm !== "sha256") return new Refusal(SHA256_ALGORITHM, 0);
    sri = true;
  } else if (value.slice(0, colon) !== "sha256") {
    return new Refusal(SHA256_ALGORITHM, 0);
  }
  const start = 7; // "sha256:" and "sha256-"
  const digest = value.slice(start);
  let encoding: HashEncoding;
  let bytes: Uint8Array;
  try {
    if (digest.length === 44) {
      encoding = sri ? "sri" : "base64";
      bytes = base64Decode(digest);
    } else if (sri) {
      return new Refusal(SRI_DIGEST, start);
    } else if (digest.length === 52) {
      encoding = "nix32";
      bytes = nixbase32Decode(digest);
    } else if (digest.length === 64 && !/[A-F]/.test(digest)) {
      encoding = "base16";
      bytes = base16Decode(digest);
    } else {
      return new Refusal(SHA256_DIGEST, start);
    }
  } catch (err) {
    return new Refusal(sri ? SRI_DIGEST : SHA256_DIGEST, start + indexOf(err));
  }
  if (bytes.length !== 32) return new Refusal(sri ? SRI_DIGEST : SHA256_DIGEST, start);
  return { kind: "hash", hash: { algorithm: "sha256", digest: bytes }, encoding };
}

/** A size as Nix 2.8 reads it (`boost::lexical_cast` to an unsigned integer). */
const SIZE_TEXT = /^\+?[0-9]+$/;

function sizeValue(value: string): NarInfoFieldValue | Refusal {
  if (SIZE_TEXT.test(value)) {
    const size = Number(value);
    if (size <= MAX_NARINFO_SIZE) return { kind: "size", size, plain: value === String(size) };
  }
  return new Refusal(SIZE, 0);
}

/** `name:base64` as Nix 2.8 reads it; plain when written as Nix writes it. */
function signatureValue(value: string): NarInfoFieldValue | Refusal {
  const signature = signatureAsNix(value);
  if (signature === undefined) return new Refusal(SIGNATURE, value.indexOf(":") + 1);
  return { kind: "Sig", signature, plain: formatSignature(signature) === value };
}

function contentAddressValue(value: string): NarInfoFieldValue | Refusal {
  let ca: ContentAddress;
  try {
    ca = parseContentAddress(value);
  } catch (err) {
    return new Refusal(CONTENT_ADDRESS, indexOf(err));
  }
  const encoding = contentAddressDigestEncoding(value, ca);
  if (encoding === undefined) return new Refusal(CA_DIGEST, value.lastIndexOf(":") + 1);
  return { kind: "CA", ca, encoding };
}

/** The value rule of each key, for the given store path options. */
function valueRules(options: NarInfoGrammarOptions): (key: string) => ValueRule {
  const pathOptions = { storeDir: options.storeDir, nameRules: options.nameRules };
  const baseName = (text: string): StorePath | Refusal => {
    try {
      return parseStorePathBaseName(text, pathOptions);
    } catch (err) {
      return new Refusal(BASE_NAME, indexOf(err));
    }
  };
  const storePath: ValueRule = (value) => {
    try {
      return { kind: "StorePath", storePath: parseStorePath(value, pathOptions) };
    } catch (err) {
      return new Refusal(STORE_PATH, indexOf(err));
    }
  };
  const references: ValueRule = (value) => {
    const out: StorePath[] = [];
    const seen = new Set<string>();
    let plain = true;
    let at = 0;
    for (const word of value.split(" ")) {
      if (word.length === 0 || seen.has(word)) plain = false;
      else {
        seen.add(word);
        const ref = baseName(word);
        if (ref instanceof Refusal) return new Refusal(ref.expected, at + ref.at);
        out.push(ref);
      }
      at += word.length + 1;
    }
    // "" splits into one empty word: an empty value is plain
    return { kind: "References", references: out, plain: plain || value.length === 0 };
  };
  const deriver: ValueRule = (value) => {
    if (value === "unknown-deriver") return { kind: "Deriver", deriver: undefined };
    const ref = baseName(value);
    return ref instanceof Refusal ? ref : { kind: "Deriver", deriver: ref };
  };
  const text: ValueRule = () => TEXT;
  const nonEmpty =
    (rule: ValueRule): ValueRule =>
    (value) =>
      value.length === 0 ? new Refusal(VALUE, 0) : rule(value);
  const rules: Readonly<Record<string, ValueRule>> = {
    StorePath: nonEmpty(storePath),
    URL: nonEmpty(text),
    Compression: nonEmpty(text),
    FileHash: nonEmpty(sha256Value),
    FileSize: nonEmpty(sizeValue),
    NarHash: nonEmpty(sha256Value),
    NarSize: nonEmpty(sizeValue),
    References: references,
    Deriver: nonEmpty(deriver),
    System: nonEmpty(text),
    Sig: nonEmpty(signatureValue),
    CA: nonEmpty(contentAddressValue),
  };
  return (key) => (Object.hasOwn(rules, key) ? rules[key]! : () => UNKNOWN);
}

// ---------------------------------------------------------------------------------------
// The line grammar.

/** Fails with `expected` at `offset` (a value rule's refusal, placed in the text). */
function refuseAt(offset: number, expected: string): P.Parser<never> {
  return P<never>(() => P.makeFailure(offset, expected));
}

/** The current character offset (`P.index` would also count lines, for every line). */
const offset: P.Parser<number> = P((_input, i) => P.makeSuccess(i, i));
/** A whole key: printable ASCII except `:`. */
const KEY_TEXT = /^[\x21-\x39\x3b-\x7e]+$/;
const key = P.regexp(/[\x21-\x39\x3b-\x7e]+/).desc(FIELD_NAME);
const separator = P.string(": ").desc(SEPARATOR);
const rawValue = P.regexp(/[^\r\n]*/);
/** `\n`; at the end of the text the last line's newline is missing, else a `\r` is in the way. */
const lineEnd: P.Parser<string> = P((input, i) =>
  input.charCodeAt(i) === 10
    ? P.makeSuccess(i + 1, "\n")
    : P.makeFailure(i, i === input.length ? FINAL_NEWLINE : LINE_END),
);

/** The whole-file line grammar for the given store path options. */
function buildGrammar(options: NarInfoGrammarOptions): P.Parser<NarInfoLine[]> {
  const ruleOf = valueRules(options);
  const line: P.Parser<NarInfoLine> = P.seq(
    offset,
    key.skip(separator),
    offset,
    rawValue.skip(P.lookahead(lineEnd)),
  )
    .chain(([start, k, at, value]) => {
      const field = ruleOf(k)(value);
      if (field instanceof Refusal) return refuseAt(at + field.at, field.expected);
      return P.succeed({ key: k, value, offset: start, field });
    })
    .skip(lineEnd);
  return line.many().skip(P.eof.desc(END_OF_TEXT));
}

const DEFAULT_GRAMMAR = buildGrammar({});

/**
 * The line grammar of a narinfo (Parsimmon), every value read by its field's rule; the rules
 * about the file as a whole are in {@link readNarInfoLines}.
 */
export function narinfoGrammar(options: NarInfoGrammarOptions = {}): GrammarRule<NarInfoLine[]> {
  return options.storeDir === undefined && options.nameRules === undefined
    ? DEFAULT_GRAMMAR
    : buildGrammar(options);
}

/** Reads a narinfo with the grammar: its lines, or the first rule it breaks. */
export function readNarInfoLines(
  text: string,
  options: NarInfoGrammarOptions = {},
): NarInfoGrammarResult {
  const r = (narinfoGrammar(options) as P.Parser<NarInfoLine[]>).parse(text);
  if (!r.status) return failure(text, r.index.offset, r.expected);
  const lines = r.value;
  const seen = new Set<string>();
  let narSize: NarInfoLine | undefined;
  for (const l of lines) {
    if (ONCE_KEYS.has(l.key)) {
      if (seen.has(l.key)) return failure(text, l.offset, [ONCE], `narinfo.${l.key}`);
      seen.add(l.key);
    }
    if (l.key in REQUIRED) seen.add(l.key);
    if (l.key === "NarSize") narSize = l;
  }
  for (const k of REQUIRED_KEYS) {
    if (!seen.has(k)) return failure(text, undefined, [REQUIRED[k]!]);
  }
  if (narSize!.field.kind === "size" && narSize!.field.size === 0) {
    return failure(text, narSize!.offset + "NarSize: ".length, [NON_ZERO_SIZE]);
  }
  return { status: true, lines };
}

/** The failure for `expected` at `offset` (undefined: the file as a whole). */
function failure(
  text: string,
  offset: number | undefined,
  expected: readonly string[],
  ruleOfFile?: string,
): NarInfoGrammarFailure {
  // the most specific code wins (a rule's own over "malformed line")
  const codes = expected.map((e) => CODES.get(e) ?? "narinfo.malformed-line");
  const code = codes.find((c) => c !== "narinfo.malformed-line") ?? codes[0]!;
  const shown = expected.filter((e) => CODES.has(e));
  const wanted = (shown.length > 0 ? shown : expected).join(" or ");
  if (offset === undefined) {
    return {
      status: false,
      code,
      rule: "narinfo",
      expected,
      detail: `expected ${wanted}`,
      index: undefined,
    };
  }
  const lineStart = offset === 0 ? 0 : text.lastIndexOf("\n", offset - 1) + 1;
  let line = 1;
  for (let i = text.indexOf("\n"); i >= 0 && i < lineStart; i = text.indexOf("\n", i + 1)) line++;
  const lineEnd = text.indexOf("\n", offset);
  const rest = text.slice(offset, lineEnd < 0 ? text.length : lineEnd);
  const colon = text.indexOf(": ", lineStart);
  const lineKey = colon >= 0 && colon < offset ? text.slice(lineStart, colon) : undefined;
  const rule =
    ruleOfFile ??
    (lineKey === undefined || !KEY_TEXT.test(lineKey) ? "narinfo.line" : `narinfo.${lineKey}`);
  const found =
    offset >= text.length
      ? "the end of the text"
      : rest.length === 0
        ? "the end of the line"
        : quoteInput(rest, MAX_QUOTED_REST);
  return {
    status: false,
    code,
    rule,
    expected,
    detail: `expected ${wanted}, found ${found}`,
    index: { offset, line, column: offset - lineStart + 1 },
  };
}

/** Characters of the rest of a line an error message quotes at most. */
const MAX_QUOTED_REST = 60;
