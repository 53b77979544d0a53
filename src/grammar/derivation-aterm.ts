/**
 * The derivation ATerm: parsing (a Parsimmon grammar and a fast scanner that agree) and
 * printing, byte for byte as Nix writes `.drv` files.
 *
 * ```text
 * drv       = "Derive(" body ")"
 *           | "DrvWithVersion(" "\"xp-dyn-drv\"" "," body ")"
 * body      = "[" output,* "]" "," "[" inputDrv,* "]" "," "[" path,* "]" ","
 *             system "," builder "," "[" arg,* "]" "," "[" envPair,* "]"
 * output    = "(" name "," path "," hashAlgo "," hash ")"
 * inputDrv  = "(" drvPath "," outputs ")"
 * outputs   = "[" name,* "]"
 *           | "(" "[" name,* "]" "," "[" ( "(" name "," outputs ")" ),* "]" ")"   only in DrvWithVersion
 * envPair   = "(" key "," value ")"
 * every terminal is a string term (see aterm.ts), no whitespace anywhere
 * ```
 *
 * Nix prints `DrvWithVersion("xp-dyn-drv",...)` exactly when some input derivation has
 * dynamic outputs, and `Derive(...)` otherwise; so does {@link printDerivationATerm}.
 *
 * Parsing is byte-exact: the input is decoded as UTF-8 when it is valid UTF-8 (the fast path);
 * otherwise it is scanned as bytes and `system`, `builder`, each argument and environment
 * value that is not valid UTF-8 comes out as a `Uint8Array` (see {@link DrvString}), each such
 * environment name as a string with lone surrogates for its stray bytes (`bytesToName`);
 * output names, paths and hashes must be text (`aterm.invalid-utf8`). Errors carry the byte
 * offset of the offending token.
 *
 * What Nix 2.8 reads although it never writes it is read the same way, and recorded in
 * `Derivation.quirks` (with `{ strict: true }`, refused): duplicate outputs (the first stays),
 * input derivations (the last stays), input sources and output names within an input
 * derivation (sets), environment variables (the last value stays); escapes other than
 * `\\ \" \n \r \t` (`\x` is `x`); bytes after the final `)`. Checked with `nix show-derivation`
 * (Nix 2.8) on such files. Rejected beyond the grammar: invalid store paths; unknown hash
 * algorithms and malformed digests; an unknown `DrvWithVersion` version; dynamic outputs in
 * the old `Derive` form, and duplicates among them; dynamic outputs nested deeper than
 * {@link MAX_DYNAMIC_OUTPUT_DEPTH} (`derivation.dynamic-outputs-too-deep`, a limit: the scanner
 * recurses once per level). Entries out of order are accepted (as Nix does) and sorted in the
 * model.
 *
 * Round trips are exact. A file that is not the canonical print of the value read from it (one
 * with quirks; entries out of order; a raw newline or tab; `system` escaped; a fixed-output
 * digest in nix32 or base64; `DrvWithVersion` without dynamic outputs) keeps its bytes and the
 * canonical print of its value (`Derivation.spelling`). {@link printDerivationATerm} prints the
 * canonical form and returns the original bytes instead exactly when the two canonical forms
 * are equal, i.e. while the value still says what the file said; a changed value (a blanked
 * output path, an added variable) prints canonically. `{ canonical: true }`, `maskOutputs` and
 * `actualInputs` always print the canonical form: it is what Nix writes and what
 * `hashDerivationModulo` hashes (Nix hashes its own unparse of the parsed value), while the
 * drv path of a file is the text hash of its actual bytes. The scanner notes on the way what
 * may not be canonical (cheap checks: sort flags, three `includes`, a digest comparison) and
 * compares the canonical print with the input only then; a file Nix wrote records nothing and
 * costs nothing. The Parsimmon grammar, the reference, compares every input.
 *
 * Printing follows Nix's `Derivation::unparse`: paths, output names and hashes are written
 * as they are, `system` is written raw except for `"` and `\` (Nix writes it unescaped, so a
 * system holding those yields a file Nix itself cannot read), everything else is escaped.
 *
 * @module
 */
import { formatMethodAlgo } from "../core/content-address.js";
import { bytesEqual, copyBytes } from "../codecs/wire-bytes.js";
import { NixCompatError, quoteInput } from "../core/errors.js";
import { formatDigest } from "../core/hash.js";
import { DEFAULT_STORE_DIR, storePathToAbsolute } from "../core/store-path.js";
import { makeFixedOutputPath, outputPathName } from "../core/store-path-compute.js";
import {
  checkStorePath,
  duplicateError,
  isPlainStorePath,
  makeOutputFromATerm,
} from "../derivation/assemble.js";
import {
  ATermSyntaxError,
  ATermTruncatedError,
  DerivationFormatError,
  DerivationLimitError,
} from "../derivation/errors.js";
import { MAX_DYNAMIC_OUTPUT_DEPTH } from "../derivation/limits.js";
import {
  compareUtf8,
  type Derivation,
  type DerivationOutput,
  type DerivationQuirk,
  type DrvString,
  derivationName,
  drvStringToDisplay,
  type OutputSet,
} from "../derivation/types.js";
import {
  badEscape,
  binaryToBytes,
  binaryToDrvString,
  binaryToName,
  binaryToText,
  bytesToBinary,
  decodeUtf8OrUndefined,
  drvStringToBinary,
  escapedChar,
  hasEscapeMatching,
  hasRawByteChars,
  quoteATermString,
  quoteATermText,
  utf8Length,
} from "./aterm-strings.js";

/** The only `DrvWithVersion` version Nix knows. */
export const DYN_DRV_VERSION = "xp-dyn-drv";

/** Options of the derivation parsers. */
export interface ParseDerivationOptions {
  /** Store directory the paths must be in (default `/nix/store`). */
  readonly storeDir?: string;
  /** File name for error messages. */
  readonly file?: string;
  /**
   * Refuse what Nix 2.8 reads but never writes (duplicates, unknown escapes, bytes after the
   * final `)`, see {@link DerivationQuirk}) instead of reading it as Nix does and recording it
   * in `quirks`. Default false.
   */
  readonly strict?: boolean;
  /** How deep dynamic outputs may nest (default {@link MAX_DYNAMIC_OUTPUT_DEPTH}). */
  readonly maxDynamicOutputDepth?: number;
}

/**
 * The error for an output set nested deeper than `max` dynamic-output levels, opening at
 * byte `offset` (internal: the scanner and the grammar refuse with the same error).
 */
export function dynamicOutputsTooDeep(max: number, offset: number): DerivationLimitError {
  return new DerivationLimitError(
    "derivation.dynamic-outputs-too-deep",
    `dynamic outputs nest deeper than ${max} levels (the limit maxDynamicOutputDepth)`,
    { offset },
  );
}

// --- shared model building ---------------------------------------------------------------

/**
 * Builds a map from entries in input order, sorting it; a duplicate goes to `fail` (which
 * throws, records the error, or records a quirk) and then the first value stays, or the last
 * one with `keep: "last"` (internal).
 */
export class MapBuilder<V> {
  readonly map = new Map<string, V>();
  private last: string | undefined;
  private sorted = true;
  constructor(
    private readonly code: string,
    private readonly what: string,
    /** `<` is UTF-8 byte order when no key holds characters ≥ U+D800. */
    private readonly plainOrder = false,
    private readonly toOffset: (at: number) => number = (at) => at,
    private readonly fail: (err: NixCompatError) => void = throwIt,
    private readonly keep: "first" | "last" = "first",
    /** How a key is shown in the duplicate message. */
    private readonly show: (key: string) => string = (key) => key,
  ) {}
  add(key: string, value: V, at: number): void {
    const m = this.map;
    const last = this.last;
    if (
      this.sorted &&
      (last === undefined || (this.plainOrder ? last < key : compareUtf8(last, key) < 0))
    ) {
      this.last = key;
    } else {
      if (m.has(key)) {
        this.fail(duplicateError(this.code, this.what, this.show(key), this.toOffset(at)));
        if (this.keep === "last") m.set(key, value);
        return;
      }
      this.sorted = false;
    }
    m.set(key, value);
  }
  /** True if the keys did not come in order (or one came twice). */
  get reordered(): boolean {
    return !this.sorted;
  }
  result(): Map<string, V> {
    if (this.sorted) return this.map;
    return new Map([...this.map.entries()].sort((a, b) => compareUtf8(a[0], b[0])));
  }
}

function throwIt(err: NixCompatError): never {
  throw err;
}

/** Sorted, de-duplicated items; a duplicate goes to `fail` (internal). */
export function sortedUnique(
  items: string[],
  offsets: number[],
  code: string,
  what: string,
  toOffset: (i: number) => number = (i) => i,
  fail: (err: NixCompatError) => void = throwIt,
): string[] {
  for (let i = 1; i < items.length; i++) {
    if (compareUtf8(items[i - 1]!, items[i]!) >= 0) {
      const seen = new Set<string>();
      for (let j = 0; j < items.length; j++) {
        if (seen.has(items[j]!)) fail(duplicateError(code, what, items[j]!, toOffset(offsets[j]!)));
        seen.add(items[j]!);
      }
      return [...seen].sort(compareUtf8);
    }
  }
  return items;
}

/** The empty dynamic-outputs map (internal). */
export const EMPTY_DYN: ReadonlyMap<string, OutputSet> = new Map();
const DEFERRED: DerivationOutput = { kind: "deferred" };

// --- the fast scanner ---------------------------------------------------------------------

const HIGH_CHARS = /[\ud800-\uffff]/;
/** A backslash before a letter JSON escapes and ATerm does not (for {@link hasEscapeMatching}). */
const JSON_ONLY_ESCAPES = /\\[/bfu]/g;

/** The JSON string `"body"`, or undefined when it is not valid JSON. */
function parseJsonBody(body: string): string | undefined {
  try {
    return JSON.parse(`"${body}"`) as string;
  } catch {
    return undefined;
  }
}
const UNESCAPES: Record<string, string | undefined> = {
  "\\": "\\",
  '"': '"',
  n: "\n",
  r: "\r",
  t: "\t",
};
/** "No more backslashes": a large small integer (keeps the field a Smi, unlike Infinity). */
const NONE = 0x3fffffff;
const Q = 0x22; // "
const COMMA = 0x2c;
const LBRACK = 0x5b;
const RBRACK = 0x5d;
const LPAREN = 0x28;
const RPAREN = 0x29;

class Scanner {
  p = 0;
  private nextQ = -1;
  private nextBs = -1;
  private readonly storeDir: string;
  private readonly strict: boolean;
  private readonly maxDynDepth: number;
  dyn = false;
  /** What Nix reads leniently (not strict). */
  readonly quirks: DerivationQuirk[] = [];
  /**
   * True if the input may not be the canonical print of its value (see {@link withSpelling}):
   * a superset, found cheaply while scanning; the parse then compares the two.
   */
  respell = false;
  /** The map builders, to ask whether their keys came in order. */
  private readonly builders: MapBuilder<unknown>[] = [];

  constructor(
    private readonly s: string,
    private readonly binary: boolean,
    options: ParseDerivationOptions,
  ) {
    this.storeDir = options.storeDir ?? DEFAULT_STORE_DIR;
    this.strict = options.strict === true;
    this.maxDynDepth = options.maxDynamicOutputDepth ?? MAX_DYNAMIC_OUTPUT_DEPTH;
    this.plainOrder = !binary && !HIGH_CHARS.test(s);
  }

  /** Something Nix 2.8 reads leniently: an error when strict, else a quirk. */
  readonly lenient = (err: unknown): void => {
    if (this.strict || !(err instanceof NixCompatError)) this.soft(err);
    else this.quirks.push(quirkOf(err));
  };

  readonly toOffset = (idx: number): number => this.offsetOf(idx);
  private readonly plainOrder: boolean;

  mapBuilder<V>(
    code: string,
    what: string,
    keep?: "first" | "last",
    lenient = keep !== undefined,
  ): MapBuilder<V> {
    const builder = new MapBuilder<V>(
      code,
      what,
      this.plainOrder,
      this.toOffset,
      lenient ? this.lenient : this.soft,
      keep,
    );
    this.builders.push(builder);
    return builder;
  }

  /**
   * The first error that is not about syntax (a duplicate, a bad path ...). The scanner goes
   * on to the end, so that a syntax error or truncation later in the input wins, as in the
   * grammar, which checks the syntax of everything before assembling the model.
   */
  private pending: NixCompatError | undefined;
  readonly soft = (err: unknown): void => {
    if (!(err instanceof NixCompatError)) throw err;
    this.pending ??= err;
  };

  /** An offset computed only when an error needs it. */
  lazy(at: number): () => number {
    return () => this.offsetOf(at);
  }

  offsetOf(idx: number): number {
    return this.binary ? idx : utf8Length(this.s.slice(0, idx));
  }

  truncated(detail = "unexpected end of input"): never {
    throw new ATermTruncatedError("aterm.truncated", detail, {
      offset: this.offsetOf(this.s.length),
    });
  }

  unexpected(expected: string, idx = this.p): never {
    if (idx >= this.s.length) this.truncated(`unexpected end of input, expected ${expected}`);
    throw new ATermSyntaxError(
      "aterm.unexpected",
      `unexpected ${JSON.stringify(this.s.charAt(idx))}, expected ${expected}`,
      { offset: this.offsetOf(idx) },
    );
  }

  expect(code: number): void {
    if (this.s.charCodeAt(this.p) !== code) this.unexpected(`'${String.fromCharCode(code)}'`);
    this.p++;
  }

  /** Reads a string token; returns the raw value (binary string in binary mode). */
  raw(): string {
    const s = this.s;
    let p = this.p;
    if (s.charCodeAt(p) !== Q) this.unexpected("'\"'");
    p++;
    let q = this.nextQ;
    if (q < p) {
      q = s.indexOf('"', p);
      if (q < 0) this.truncated("input ends inside a string");
      this.nextQ = q;
    }
    let b = this.nextBs;
    if (b < p) {
      b = s.indexOf("\\", p);
      if (b < 0) b = NONE;
      this.nextBs = b;
    }
    if (b > q) {
      this.p = q + 1;
      return s.slice(p, q);
    }
    // Escapes before the first quote: find the closing quote (one preceded by an even run of
    // backslashes), then unescape the body in one regex pass.
    let end = q;
    for (;;) {
      let k = end - 1;
      while (k >= p && s.charCodeAt(k) === 0x5c) k--;
      if (((end - 1 - k) & 1) === 0) break;
      end = s.indexOf('"', end + 1);
      if (end < 0) this.truncated("input ends inside a string");
    }
    this.p = end + 1;
    this.nextQ = -1;
    this.nextBs = -1;
    return this.unescape(s.slice(p, end), p);
  }

  /** Unescapes a string body that holds backslashes; `start` is its index in the input. */
  unescape(body: string, start: number): string {
    // A body whose escapes are all ATerm ones and that holds no raw control character is a
    // valid JSON string body meaning the same thing: V8's JSON parser unescapes it natively.
    // JSON.parse itself rejects raw control characters and escapes other than JSON's; of
    // JSON's, only `\/ \b \f \u` are not ATerm's, and a body without a backslash before one
    // of those letters cannot hold them (with one, check exactly: `\\b` is fine).
    const json = parseJsonBody(body);
    if (json !== undefined && !hasEscapeMatching(body, JSON_ONLY_ESCAPES)) {
      return json;
    }
    const pieces = body.indexOf("\\\\") < 0 ? [body] : body.split("\\\\");
    let ok = true;
    for (let i = 0; i < pieces.length; i++) {
      let r = pieces[i]!;
      if (r.indexOf("\\") < 0) continue;
      if (r.includes("\\n")) r = r.replaceAll("\\n", "\n");
      if (r.includes('\\"')) r = r.replaceAll('\\"', '"');
      if (r.includes("\\t")) r = r.replaceAll("\\t", "\t");
      if (r.includes("\\r")) r = r.replaceAll("\\r", "\r");
      if (r.indexOf("\\") >= 0) {
        ok = false;
        break;
      }
      pieces[i] = r;
    }
    if (ok) return pieces.length === 1 ? pieces[0]! : pieces.join("\\");
    // A bad escape somewhere: find it (and its offset) the slow way.
    const parts: string[] = [];
    let from = 0;
    let bs = body.indexOf("\\");
    while (bs >= 0) {
      parts.push(body.slice(from, bs));
      const c = body.charAt(bs + 1);
      const r = UNESCAPES[c];
      if (r === undefined) {
        // Nix 2.8 reads `\x` as `x`.
        const err = badEscape(escapedChar(body, bs + 1, this.binary), this.offsetOf(start + bs));
        if (this.strict) throw err;
        this.quirks.push(quirkOf(err));
      }
      parts.push(r ?? c);
      from = bs + 2;
      bs = body.indexOf("\\", from);
    }
    parts.push(body.slice(from));
    return parts.join("");
  }

  text(what: string): string {
    if (!this.binary) return this.raw();
    const at = this.p;
    const raw = this.raw();
    try {
      return binaryToText(raw, at, what);
    } catch (err) {
      this.soft(err);
      return raw;
    }
  }

  drvString(): DrvString {
    const v = this.raw();
    return this.binary ? binaryToDrvString(v) : v;
  }

  /** A string as it is: a binary string (one char per byte) in binary mode, else text. */
  rawName(): string {
    return this.raw();
  }

  /** `[` item,* `]` */
  list(item: () => void): void {
    if (this.open()) {
      do item();
      while (this.more());
    }
  }

  /** Consumes `[`; true if a first item follows, false if the list was `[]` (consumed). */
  open(): boolean {
    this.expect(LBRACK);
    if (this.s.charCodeAt(this.p) === RBRACK) {
      this.p++;
      return false;
    }
    return true;
  }

  /** After an item: true on `,` (another item follows), false on `]` (list closed). */
  more(): boolean {
    const c = this.s.charCodeAt(this.p);
    if (c === COMMA) {
      this.p++;
      return true;
    }
    if (c === RBRACK) {
      this.p++;
      return false;
    }
    this.unexpected("',' or ']'");
  }

  stringList(what: string): { items: string[]; offsets: number[] } {
    const items: string[] = [];
    const offsets: number[] = [];
    if (this.open()) {
      do {
        offsets.push(this.p);
        items.push(this.text(what));
      } while (this.more());
    }
    return { items, offsets };
  }

  outputNames(): string[] {
    const { items, offsets } = this.stringList("output name");
    if (items.length === 1) return items;
    const names = sortedUnique(
      items,
      offsets,
      "derivation.duplicate-input-drv-output",
      "output name",
      this.toOffset,
      this.dyn ? this.soft : this.lenient,
    );
    if (names !== items) this.respell = true;
    return names;
  }

  /** An input derivation's output set, `depth` dynamic-output levels down. */
  outputSet(depth = 0): OutputSet {
    if (depth > this.maxDynDepth)
      throw dynamicOutputsTooDeep(this.maxDynDepth, this.offsetOf(this.p));
    if (this.s.charCodeAt(this.p) !== LPAREN) {
      return { outputs: this.outputNames(), dynamicOutputs: EMPTY_DYN };
    }
    if (!this.dyn) {
      this.soft(
        new DerivationFormatError(
          "derivation.dynamic-outputs-without-version",
          `dynamic outputs need the DrvWithVersion("${DYN_DRV_VERSION}",...) form`,
          { offset: this.offsetOf(this.p) },
        ),
      );
    }
    this.p++;
    const outputs = this.outputNames();
    this.expect(COMMA);
    const dyn = this.mapBuilder<OutputSet>("derivation.duplicate-dynamic-output", "dynamic output");
    this.list(() => {
      this.expect(LPAREN);
      const at = this.p;
      const name = this.text("output name");
      this.expect(COMMA);
      dyn.add(name, this.outputSet(depth + 1), at);
      this.expect(RPAREN);
    });
    this.expect(RPAREN);
    return { outputs, dynamicOutputs: dyn.result() };
  }

  literal(lit: string): boolean {
    if (this.s.startsWith(lit, this.p)) {
      this.p += lit.length;
      return true;
    }
    return false;
  }

  parse(): Derivation {
    const s = this.s;
    // Nix escapes these everywhere but in `system` (three `includes` are ten times faster than
    // a regex test here)
    if (s.includes("\n") || s.includes("\t") || s.includes("\r")) this.respell = true;
    if (this.literal("DrvWithVersion(")) {
      const at = this.p;
      const version = this.text("version");
      if (version !== DYN_DRV_VERSION) {
        this.soft(
          new DerivationFormatError(
            "derivation.unknown-version",
            `unknown derivation ATerm version ${quoteInput(version)}, expected ${quoteInput(DYN_DRV_VERSION)}`,
            { offset: this.offsetOf(at) },
          ),
        );
      }
      this.dyn = true;
      this.expect(COMMA);
    } else if (!this.literal("Derive(")) {
      const rest = s.slice(0, 15);
      if ("Derive(".startsWith(rest) || "DrvWithVersion(".startsWith(rest)) this.truncated();
      this.unexpected("'Derive(' or 'DrvWithVersion('", 0);
    }
    const storeDir = this.storeDir;
    const outputs = this.mapBuilder<DerivationOutput>(
      "derivation.duplicate-output",
      "output",
      "first",
    );
    this.list(() => {
      this.expect(LPAREN);
      const at = this.p;
      const name = this.text("output name");
      this.expect(COMMA);
      const path = this.text("output path");
      this.expect(COMMA);
      const hashAlgo = this.text("hash algorithm");
      this.expect(COMMA);
      const hash = this.text("hash");
      this.expect(RPAREN);
      let out: DerivationOutput;
      try {
        out = makeOutputFromATerm(name, path, hashAlgo, hash, this.lazy(at), storeDir);
        // Nix reads a nix32 or base64 digest too, and writes base16
        if (out.kind === "caFixed" && hash !== formatDigest(out.hash, "base16")) {
          this.respell = true;
        }
      } catch (err) {
        this.soft(err);
        out = DEFERRED;
      }
      outputs.add(name, out, at);
    });
    this.expect(COMMA);
    const inputDrvs = this.mapBuilder<OutputSet>(
      "derivation.duplicate-input-drv",
      "input derivation",
      "last",
    );
    if (this.open()) {
      do {
        this.expect(LPAREN);
        const at = this.p;
        const path = this.text("input derivation path");
        if (!isPlainStorePath(path, storeDir)) {
          try {
            checkStorePath(path, this.offsetOf(at), "input derivation", storeDir);
          } catch (err) {
            this.soft(err);
          }
        }
        this.expect(COMMA);
        inputDrvs.add(path, this.outputSet(), at);
        this.expect(RPAREN);
      } while (this.more());
    }
    this.expect(COMMA);
    const srcs = this.stringList("input source");
    const srcItems = srcs.items;
    for (let i = 0; i < srcItems.length; i++) {
      const at = srcs.offsets[i]!;
      if (!isPlainStorePath(srcItems[i]!, storeDir)) {
        try {
          checkStorePath(srcItems[i]!, this.offsetOf(at), "input source", storeDir);
        } catch (err) {
          this.soft(err);
        }
      }
    }
    const inputSrcs = sortedUnique(
      srcItems,
      srcs.offsets,
      "derivation.duplicate-input-src",
      "input source",
      this.toOffset,
      this.lenient,
    );
    if (inputSrcs !== srcItems) this.respell = true;
    this.expect(COMMA);
    const systemAt = this.p;
    const system = this.drvString();
    // Nix writes `system` raw: an escape other than `\"` `\\` is not its spelling
    if (s.slice(systemAt, this.p).includes("\\")) this.respell = true;
    this.expect(COMMA);
    const builder = this.drvString();
    this.expect(COMMA);
    const args: DrvString[] = [];
    this.list(() => {
      args.push(this.drvString());
    });
    this.expect(COMMA);
    // In binary mode the names stay binary strings until the map is complete: `<` on them is
    // byte order, as Nix sorts them.
    const env: MapBuilder<DrvString> = this.binary
      ? new MapBuilder<DrvString>(
          "derivation.duplicate-env",
          "environment variable",
          true,
          this.toOffset,
          this.lenient,
          "last",
          (k) => drvStringToDisplay(binaryToName(k)),
        )
      : this.mapBuilder<DrvString>("derivation.duplicate-env", "environment variable", "last");
    if (this.open()) {
      do {
        this.expect(LPAREN);
        const at = this.p;
        const key = this.rawName();
        this.expect(COMMA);
        const value = this.drvString();
        this.expect(RPAREN);
        env.add(key, value, at);
      } while (this.more());
    }
    this.expect(RPAREN);
    this.builders.push(env as MapBuilder<unknown>);
    if (this.builders.some((b) => b.reordered)) this.respell = true;
    if (this.p < s.length) {
      // Nix 2.8 reads nothing after the final `)`.
      const err = trailingBytes(this.offsetOf(this.p), this.offsetOf(s.length));
      if (this.strict) throw err;
      this.quirks.push(quirkOf(err));
    }
    if (this.pending !== undefined) throw this.pending;
    let envMap = env.result();
    if (this.binary) {
      const named = new Map<string, DrvString>();
      for (const [k, v] of envMap) named.set(binaryToName(k), v);
      envMap = named;
    }
    const drv: Derivation = {
      outputs: outputs.result(),
      inputDrvs: inputDrvs.result(),
      inputSrcs,
      system,
      builder,
      args,
      env: envMap,
    };
    if (this.dyn && !hasDynamicOutputs(drv)) this.respell = true;
    if (this.quirks.length === 0) return drv;
    this.respell = true;
    return { ...drv, quirks: sortQuirks(this.quirks) };
  }
}

/** True if some input derivation has dynamic outputs (Nix then writes `DrvWithVersion`). */
function hasDynamicOutputs(drv: Derivation): boolean {
  for (const node of drv.inputDrvs.values()) if (node.dynamicOutputs.size > 0) return true;
  return false;
}

/** The quirk a lenient parse records for what a strict parse refuses with `err` (internal). */
export function quirkOf(err: NixCompatError): DerivationQuirk {
  return { code: err.code, detail: err.detail, offset: err.position.offset ?? 0 };
}

/** Quirks in the order of their offsets (internal). */
export function sortQuirks(quirks: DerivationQuirk[]): DerivationQuirk[] {
  return quirks.sort((a, b) => a.offset - b.offset);
}

/** The error for bytes after the final `)` (internal). */
export function trailingBytes(offset: number, end: number): ATermSyntaxError {
  return new ATermSyntaxError(
    "aterm.trailing-bytes",
    `unexpected bytes after the end of the derivation (${end - offset} bytes)`,
    { offset },
  );
}

/**
 * `drv` as parsed from `bytes`, with its {@link DerivationSpelling} when `bytes` are not its
 * canonical print (internal: both parsers end here; the scanner only when it saw something
 * that may not be canonical).
 */
export function withSpelling(drv: Derivation, bytes: Uint8Array): Derivation {
  const canonical = printDerivationATerm(drv, { canonical: true });
  if (bytesEqual(canonical, bytes)) return drv;
  return { ...drv, spelling: { bytes: copyBytes(bytes), canonical } };
}

/** Adds the file name to the library's errors (internal). */
export function withFile<T>(options: ParseDerivationOptions, fn: () => T): T {
  if (options.file === undefined) return fn();
  try {
    return fn();
  } catch (err) {
    if (
      err instanceof ATermSyntaxError ||
      err instanceof ATermTruncatedError ||
      err instanceof DerivationFormatError ||
      err instanceof DerivationLimitError
    ) {
      throw err.withContext({ file: options.file });
    }
    throw err;
  }
}

/**
 * Parses a derivation from the bytes of a `.drv` file (the fast scanner).
 * Throws {@link ATermSyntaxError}, {@link ATermTruncatedError} or {@link DerivationFormatError}.
 */
export function parseDerivationATerm(
  bytes: Uint8Array,
  options: ParseDerivationOptions = {},
): Derivation {
  return withFile(options, () => {
    const text = decodeUtf8OrUndefined(bytes);
    const scanner =
      text !== undefined
        ? new Scanner(text, false, options)
        : new Scanner(bytesToBinary(bytes), true, options);
    const drv = scanner.parse();
    return scanner.respell ? withSpelling(drv, bytes) : drv;
  });
}

/**
 * Parses a derivation from a JS string (text already decoded). Offsets in errors are byte
 * offsets of the UTF-8 encoding.
 */
export function parseDerivationATermString(
  text: string,
  options: ParseDerivationOptions = {},
): Derivation {
  return withFile(options, () => {
    const scanner = new Scanner(text, false, options);
    const drv = scanner.parse();
    return scanner.respell ? withSpelling(drv, encoder.encode(text)) : drv;
  });
}

// --- printing -----------------------------------------------------------------------------

/** Options of {@link printDerivationATerm}. */
export interface PrintDerivationOptions {
  /**
   * Blank the output paths and the environment variables named after outputs, as Nix's
   * `hashDerivationModulo(..., maskOutputs = true)` does.
   */
  readonly maskOutputs?: boolean;
  /**
   * Print these instead of `drv.inputDrvs` (keys printed as they are: Nix puts the hex hash
   * modulo of each input derivation here when hashing). The `Derive` / `DrvWithVersion` form
   * still follows `drv.inputDrvs`, as in Nix's `Derivation::unparse`.
   */
  readonly actualInputs?: ReadonlyMap<string, OutputSet>;
  /** Store directory for fixed-output paths computed on the fly (default `/nix/store`). */
  readonly storeDir?: string;
  /**
   * Print what Nix writes for the value, even for a derivation read from a quirky `.drv`
   * whose bytes would otherwise come back (see `Derivation.spelling`). Implied by
   * `maskOutputs` and `actualInputs`.
   */
  readonly canonical?: boolean;
}

function hasBytes(drv: Derivation): boolean {
  if (typeof drv.system !== "string" || typeof drv.builder !== "string") return true;
  for (const a of drv.args) if (typeof a !== "string") return true;
  for (const v of drv.env.values()) if (typeof v !== "string") return true;
  return false;
}

/** `a` before `b` in UTF-8 byte order; `<` unless both hold characters ≥ U+D800. */
function before(a: string, b: string): boolean {
  if (!HIGH_CHARS.test(a) || !HIGH_CHARS.test(b)) return a < b;
  return compareUtf8(a, b) < 0;
}

function sortedEntries<V>(map: ReadonlyMap<string, V>): Iterable<[string, V]> {
  let prev: string | undefined;
  for (const k of map.keys()) {
    if (prev !== undefined && !before(prev, k)) {
      return [...map.entries()].sort((a, b) => compareUtf8(a[0], b[0]));
    }
    prev = k;
  }
  return map.entries();
}

/** Entries sorted by the bytes of their keys, given as binary strings (`<` is byte order). */
function sortedBinaryEntries<V>(map: ReadonlyMap<string, V>): [string, V][] {
  const entries: [string, V][] = [];
  for (const [k, v] of map) entries.push([drvStringToBinary(k), v]);
  return entries.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

/** Thrown when text to be printed holds raw bytes: print in binary mode instead. */
const RAW_TEXT = new Error("raw bytes in text");

/** Quotes text for the text-mode printer, or throws {@link RAW_TEXT}. */
function quoteText(text: string): string {
  const q = quoteATermText(text);
  if (q === undefined) throw RAW_TEXT;
  return q;
}

function sortedStrings(items: readonly string[]): readonly string[] {
  for (let i = 1; i < items.length; i++) {
    if (!before(items[i - 1]!, items[i]!)) return [...new Set(items)].sort(compareUtf8);
  }
  return items;
}

const SYSTEM_ESCAPE = /["\\]/g;
const SYSTEM_ESCAPE_OR_RAW = /["\\\udc80-\udcff]/;

/** `system` for the text-mode printer (raw, but `"` and `\` escaped), or throws {@link RAW_TEXT}. */
function systemText(system: string): string {
  if (!SYSTEM_ESCAPE_OR_RAW.test(system)) return system;
  if (hasRawByteChars(system)) throw RAW_TEXT;
  return system.replace(SYSTEM_ESCAPE, (c) => `\\${c}`);
}

/** The ATerm (`Derive(...)`) of a derivation as a JS string; undefined-free. See {@link printDerivationATerm}. */
function printToString(drv: Derivation, options: PrintDerivationOptions, binary: boolean): string {
  const mask = options.maskOutputs === true;
  const enc = binary ? (s: DrvString) => drvStringToBinary(s) : (s: DrvString) => s as string;
  const q = binary ? (s: string) => quoteATermString(drvStringToBinary(s)) : quoteText;
  const qd = binary
    ? (s: DrvString) => quoteATermString(drvStringToBinary(s))
    : (s: DrvString) => quoteText(s as string);
  const inputs = options.actualInputs ?? drv.inputDrvs;
  // Nix (2.18 to 2.3x) chooses the form from the derivation's own inputs, even when it prints
  // `actualInputs` instead: the hash-modulo ATerm of a derivation with dynamic inputs opens
  // with `DrvWithVersion` although its hashed inputs carry no dynamic outputs.
  const dyn = hasDynamicOutputs(drv);
  let out = dyn ? `DrvWithVersion("${DYN_DRV_VERSION}",[` : "Derive([";
  let first = true;
  for (const [name, o] of sortedEntries(drv.outputs)) {
    if (first) first = false;
    else out += ",";
    out += `(${q(name)},`;
    switch (o.kind) {
      case "inputAddressed":
        out += mask ? `"","",""` : `${q(o.path)},"",""`;
        break;
      case "caFixed": {
        const path = mask ? "" : (o.path ?? fixedOutputPath(drv, name, o, options.storeDir));
        out += `${q(path)},"${formatMethodAlgo(o.method, o.hash.algorithm)}","${formatDigest(o.hash, "base16")}"`;
        break;
      }
      case "caFloating":
        out += `"","${formatMethodAlgo(o.method, o.algorithm)}",""`;
        break;
      case "deferred":
        out += `"","",""`;
        break;
      case "impure":
        out += `"","${formatMethodAlgo(o.method, o.algorithm)}","impure"`;
        break;
    }
    out += ")";
  }
  out += "],[";
  first = true;
  const node = (n: OutputSet): string => {
    const outs = sortedStrings(n.outputs);
    let names = "[";
    for (let i = 0; i < outs.length; i++) names += i === 0 ? q(outs[i]!) : `,${q(outs[i]!)}`;
    names += "]";
    if (n.dynamicOutputs.size === 0) return names;
    let s = `(${names},[`;
    let f = true;
    for (const [k, child] of sortedEntries(n.dynamicOutputs)) {
      if (f) f = false;
      else s += ",";
      s += `(${q(k)},${node(child)})`;
    }
    return `${s}])`;
  };
  for (const [path, n] of sortedEntries(inputs)) {
    if (first) first = false;
    else out += ",";
    out += `(${q(path)},${node(n)})`;
  }
  out += "],[";
  out += sortedStrings(drv.inputSrcs).map(q).join(",");
  out += `],"${binary ? enc(drv.system).replace(SYSTEM_ESCAPE, (c) => `\\${c}`) : systemText(drv.system as string)}",${qd(drv.builder)},[`;
  first = true;
  for (const a of drv.args) {
    if (first) first = false;
    else out += ",";
    out += qd(a);
  }
  out += "],[";
  first = true;
  if (binary) {
    // names as bytes: sorted by their bytes, as Nix sorts them
    for (const [k, v] of sortedBinaryEntries(drv.env)) {
      if (first) first = false;
      else out += ",";
      const masked = mask && drv.outputs.has(binaryToName(k));
      out += `(${quoteATermString(k)},${masked ? '""' : qd(v)})`;
    }
  } else {
    for (const [k, v] of sortedEntries(drv.env)) {
      if (first) first = false;
      else out += ",";
      out += `(${q(k)},${mask && drv.outputs.has(k) ? '""' : qd(v)})`;
    }
  }
  return `${out}])`;
}

function fixedOutputPath(
  drv: Derivation,
  outputName: string,
  o: Extract<DerivationOutput, { kind: "caFixed" }>,
  storeDir: string | undefined,
): string {
  const name = derivationName(drv);
  if (name === undefined) {
    throw new DerivationFormatError(
      "derivation.missing-name",
      `cannot compute the path of fixed output ${quoteInput(outputName)}: the derivation has no name`,
    );
  }
  const sp = makeFixedOutputPath(
    outputPathName(name, outputName),
    { method: o.method, hash: o.hash },
    [],
    { storeDir },
  );
  return storePathToAbsolute(sp, storeDir);
}

const encoder = new TextEncoder();

/** True if printing must give the canonical form, whatever spelling the value keeps. */
function forcesCanonical(options: PrintDerivationOptions): boolean {
  return (
    options.canonical === true || options.maskOutputs === true || options.actualInputs !== undefined
  );
}

/**
 * Prints a derivation as Nix writes its `.drv` file (`Derive(...)`, or
 * `DrvWithVersion("xp-dyn-drv",...)` when an input has dynamic outputs). Raw-byte values are
 * written back unchanged. A derivation read from a quirky `.drv` and not changed since prints
 * as that file's bytes, unless `options` ask for the canonical form (see
 * {@link PrintDerivationOptions.canonical}).
 */
export function printDerivationATerm(
  drv: Derivation,
  options: PrintDerivationOptions = {},
): Uint8Array {
  const spelling = drv.spelling;
  if (spelling === undefined || forcesCanonical(options)) return printCanonical(drv, options);
  const canonical = printCanonical(drv, options);
  return bytesEqual(canonical, spelling.canonical) ? copyBytes(spelling.bytes) : canonical;
}

/** The canonical ATerm (what Nix writes for the value). */
function printCanonical(drv: Derivation, options: PrintDerivationOptions): Uint8Array {
  if (hasBytes(drv)) return binaryToBytes(printToString(drv, options, true));
  let text: string;
  try {
    text = printToString(drv, options, false);
  } catch (err) {
    if (err !== RAW_TEXT) throw err;
    return binaryToBytes(printToString(drv, options, true));
  }
  return encoder.encode(text);
}

/**
 * The ATerm as a JS string, for derivations without raw-byte values (throws
 * `derivation.raw-bytes` otherwise: use {@link printDerivationATerm}). A derivation read from
 * a quirky `.drv` comes back as that file's text as {@link printDerivationATerm} says; a file
 * that is not UTF-8 (bytes after the final `)`) then counts as raw bytes.
 */
export function printDerivationATermString(
  drv: Derivation,
  options: PrintDerivationOptions = {},
): string {
  const raw = new DerivationFormatError(
    "derivation.raw-bytes",
    "the derivation holds values that are not UTF-8: print it as bytes",
  );
  if (hasBytes(drv)) throw raw;
  let text: string;
  try {
    text = printToString(drv, options, false);
  } catch (err) {
    throw err === RAW_TEXT ? raw : err;
  }
  const spelling = drv.spelling;
  if (spelling === undefined || forcesCanonical(options)) return text;
  if (!bytesEqual(encoder.encode(text), spelling.canonical)) return text;
  const original = decodeUtf8OrUndefined(spelling.bytes);
  if (original === undefined) throw raw;
  return original;
}
