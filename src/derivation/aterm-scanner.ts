/**
 * The fast path of `.drv` parsing: a scanner that reads the canonical form (what Nix writes)
 * straight into the model, and declines anything else. It never builds an error: on decline
 * the grammar (`src/grammar/derivation-grammar.ts`) and the assembler (`assemble.ts`) read the
 * file and say what is wrong, or read the rarer forms (raw bytes, quirks, entries out of order,
 * `DrvWithVersion`, paths of unusual shape, other hash spellings).
 *
 * ```text
 * accepted = "Derive(" body ")"                    (see derivation-grammar.ts), with
 *   valid UTF-8, no raw "\n" "\r" "\t" anywhere
 *   outputs, input derivations, their output names, input sources, environment names:
 *     strictly ascending (UTF-8 byte order), written without escapes
 *   paths: store paths of the common shape (isPlainStorePath)
 *   outputs: "" | [r:|text:](md5|sha1|sha256|sha512), digests in lower-case base16
 *   system: without escapes; builder, arguments, environment values: \\ \" \n \r \t only
 * ```
 *
 * What it accepts is exactly what the grammar and assembler give for the same bytes (the
 * value has no `spelling`: the bytes are its canonical print); a property test pins the two
 * together.
 *
 * @module
 */
import { base16Decode } from "../core/base16.js";
import type { ContentAddressMethod } from "../core/content-address.js";
import { HASH_SIZES, type HashAlgorithm } from "../core/hash-algorithm.js";
import { compareUtf8 } from "../core/canonical-json.js";
import { hasEscapeMatching } from "../grammar/aterm-strings.js";
import { DEFAULT_STORE_DIR } from "../core/store-path.js";
import {
  type Derivation,
  type DerivationOutput,
  type DrvString,
  EMPTY_DYNAMIC_OUTPUTS,
  type OutputSet,
} from "./types.js";

const HASH_PART = "[0123456789abcdfghijklmnpqrsvwxyz]{32}";
const FAST_NAME = "[A-Za-z0-9+\\-_?=][A-Za-z0-9+\\-._?=]{0,210}";
const fastPathRegexes = new Map<string, RegExp>();

function fastPathRegex(storeDir: string): RegExp {
  let re = fastPathRegexes.get(storeDir);
  if (re === undefined) {
    const dir = storeDir.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
    re = new RegExp(`^${dir}/${HASH_PART}-${FAST_NAME}$`);
    fastPathRegexes.set(storeDir, re);
  }
  return re;
}

/** True if `path` is a store path of the common shape (fast regex; false does not mean invalid). */
export function isPlainStorePath(path: string, storeDir: string = DEFAULT_STORE_DIR): boolean {
  return fastPathRegex(storeDir).test(path);
}

/** Characters at or above U+D800, where `<` on JS strings and UTF-8 byte order differ. */
const HIGH_CHARS = /[\ud800-\uffff]/;
/** The output specs the fast path takes (anything newer goes to the grammar). */
const METHOD_ALGO = /^(r:|text:)?(md5|sha1|sha256|sha512)$/;
const LOWER_HEX = /^[0-9a-f]+$/;
/** A backslash before a letter JSON escapes and ATerm does not (for `hasEscapeMatching`). */
const JSON_ONLY_ESCAPES = /\\[/bfu]/g;
/** "No more backslashes": a large small integer (keeps the field a Smi, unlike Infinity). */
const NO_BACKSLASH = 0x3fffffff;
const QUOTE = 0x22;
const COMMA = 0x2c;
const LBRACK = 0x5b;
const RBRACK = 0x5d;
const LPAREN = 0x28;
const RPAREN = 0x29;
const BACKSLASH = 0x5c;

const DEFERRED: DerivationOutput = Object.freeze({ kind: "deferred" });
const METHODS: Record<string, ContentAddressMethod> = { "r:": "nar", "text:": "text", "": "flat" };

/**
 * The output the four strings of an output tuple say, in the canonical form only (see the
 * module comment); `undefined` for anything else.
 */
export function canonicalOutput(
  path: string,
  hashAlgo: string,
  hash: string,
  storeDir: string,
): DerivationOutput | undefined {
  if (hashAlgo === "") {
    if (hash !== "") return undefined;
    if (path === "") return DEFERRED;
    return isPlainStorePath(path, storeDir) ? { kind: "inputAddressed", path } : undefined;
  }
  const m = METHOD_ALGO.exec(hashAlgo);
  if (m === null) return undefined;
  const method = METHODS[m[1] ?? ""]!;
  const algorithm = m[2] as HashAlgorithm;
  if (hash === "" || hash === "impure") {
    if (path !== "") return undefined;
    return { kind: hash === "" ? "caFloating" : "impure", method, algorithm };
  }
  if (hash.length !== 2 * HASH_SIZES[algorithm] || !LOWER_HEX.test(hash)) return undefined;
  if (!isPlainStorePath(path, storeDir)) return undefined;
  return { kind: "caFixed", method, hash: { algorithm, digest: base16Decode(hash) }, path };
}

/** The value of a string body holding backslashes, or `undefined` if one is not ATerm's. */
function unescapeCanonical(body: string): string | undefined {
  // A body whose escapes are all ATerm's and that holds no raw control character is a JSON
  // string body meaning the same: V8's JSON parser unescapes it natively. Of JSON's escapes
  // only `\/ \b \f \u` are not ATerm's; a match counts only where its backslash starts an
  // escape (`\\b` is an escaped backslash and a `b`).
  let json: string | undefined;
  try {
    json = JSON.parse(`"${body}"`) as string;
  } catch {
    // a raw control character, or an escape JSON does not have
  }
  if (json !== undefined && !hasEscapeMatching(body, JSON_ONLY_ESCAPES)) return json;
  // by hand; pieces joined at the end (a flat string, not a rope of concatenations)
  const pieces: string[] = [];
  let from = 0;
  for (let bs = body.indexOf("\\"); bs >= 0; bs = body.indexOf("\\", from)) {
    pieces.push(body.slice(from, bs));
    const c = body.charCodeAt(bs + 1);
    const unescaped = UNESCAPED[c];
    if (unescaped === undefined) return undefined;
    pieces.push(unescaped);
    from = bs + 2;
  }
  pieces.push(body.slice(from));
  return pieces.join("");
}

/** What each of ATerm's escapes stands for, by the character after the backslash. */
const UNESCAPED: (string | undefined)[] = [];
UNESCAPED[BACKSLASH] = "\\";
UNESCAPED[QUOTE] = '"';
UNESCAPED[0x6e] = "\n";
UNESCAPED[0x72] = "\r";
UNESCAPED[0x74] = "\t";

/** Distinct single-output sets shared at most (beyond, new ones are made). */
const MAX_SHARED_OUTPUT_SETS = 256;
const sharedOutputSets = new Map<string, OutputSet>();

/**
 * The output set of the one output `name` (most input derivations are used for one output,
 * mostly `out`), shared by every derivation read here: the model is never changed in place,
 * and results kept by the thousand then hold one object per input derivation fewer, and one
 * array and one string (frozen, like {@link EMPTY_DYNAMIC_OUTPUTS}).
 */
function singleOutputSet(name: string): OutputSet {
  let set = sharedOutputSets.get(name);
  if (set === undefined) {
    set = Object.freeze({
      outputs: Object.freeze([name]),
      dynamicOutputs: EMPTY_DYNAMIC_OUTPUTS,
    });
    if (sharedOutputSets.size < MAX_SHARED_OUTPUT_SETS) sharedOutputSets.set(name, set);
  }
  return set;
}

/**
 * One scan of the canonical form (also run by the `show` transcoder); `declined` once the
 * input is not in it, and every read then fails at once.
 */
export class CanonicalScanner {
  p = 0;
  declined = false;
  private nextBackslash = -1;
  /** Past the end: where a declined scan stands, so that every later read fails at once. */
  private readonly end: number;
  /** Whether keys need `compareUtf8` (the input holds characters ≥ U+D800). */
  private readonly high: boolean;

  constructor(
    private readonly s: string,
    readonly storeDir: string,
    /** Where to start (after `Derive(`). */
    start: number,
  ) {
    this.p = start;
    this.end = s.length + 1;
    this.high = HIGH_CHARS.test(s);
  }

  decline(): void {
    this.declined = true;
    this.p = this.end;
  }

  /** `a` strictly before `b` in UTF-8 byte order. */
  before(a: string, b: string): boolean {
    return this.high ? compareUtf8(a, b) < 0 : a < b;
  }

  expect(code: number): void {
    if (this.s.charCodeAt(this.p) === code) this.p++;
    else this.decline();
  }

  /** Consumes `[`; true if a first item follows, false if the list was `[]`. */
  open(): boolean {
    this.expect(LBRACK);
    if (this.s.charCodeAt(this.p) !== RBRACK) return !this.declined;
    this.p++;
    return false;
  }

  /** After an item: true on `,` (another follows), false on `]` (or once declined). */
  more(): boolean {
    const c = this.s.charCodeAt(this.p++);
    if (c === COMMA) return true;
    if (c !== RBRACK) this.decline();
    return false;
  }

  /** A string term without escapes (names, paths, hashes, `system`). */
  plain(): string {
    const s = this.s;
    const p = this.p;
    if (s.charCodeAt(p) !== QUOTE) {
      this.decline();
      return "";
    }
    const q = s.indexOf('"', p + 1);
    if (q < 0 || this.backslashFrom(p + 1) < q) {
      this.decline();
      return "";
    }
    this.p = q + 1;
    return s.slice(p + 1, q);
  }

  /** The next backslash at or after `from` (cached: most files hold few). */
  private backslashFrom(from: number): number {
    let b = this.nextBackslash;
    if (b < from) {
      b = this.s.indexOf("\\", from);
      if (b < 0) b = NO_BACKSLASH;
      this.nextBackslash = b;
    }
    return b;
  }

  /** Whether the last {@link body} held escapes. */
  escaped = false;

  /** A string term's body as written (escapes kept); {@link escaped} says if it holds any. */
  body(): string {
    const s = this.s;
    const start = this.p + 1;
    let end = s.charCodeAt(this.p) === QUOTE ? s.indexOf('"', start) : -1;
    if (end < 0) {
      this.decline();
      return "";
    }
    this.escaped = this.backslashFrom(start) < end;
    if (this.escaped) {
      // the closing quote is the first one after an even run of backslashes
      for (;;) {
        let k = end - 1;
        while (s.charCodeAt(k) === BACKSLASH) k--;
        if (((end - 1 - k) & 1) === 0) break;
        end = s.indexOf('"', end + 1);
        if (end < 0) {
          this.decline();
          return "";
        }
      }
    }
    this.p = end + 1;
    return s.slice(start, end);
  }

  /** A string term with ATerm's escapes, unescaped (builder, arguments, environment values). */
  value(): string {
    const body = this.body();
    if (!this.escaped) return body;
    const v = unescapeCanonical(body);
    if (v !== undefined) return v;
    this.decline();
    return "";
  }

  /** `[` name,* `]`, strictly ascending. */
  names(): string[] {
    const items: string[] = [];
    if (this.open()) {
      do {
        const name = this.plain();
        if (items.length > 0 && !this.before(items[items.length - 1]!, name)) this.decline();
        items.push(name);
      } while (this.more());
    }
    return items;
  }

  /** `(name, path, hashAlgo, hash)`: an output tuple's four strings, without escapes. */
  outputTerms(): { name: string; path: string; hashAlgo: string; hash: string } {
    this.expect(LPAREN);
    const name = this.plain();
    this.expect(COMMA);
    const path = this.plain();
    this.expect(COMMA);
    const hashAlgo = this.plain();
    this.expect(COMMA);
    const hash = this.plain();
    this.expect(RPAREN);
    return { name, path, hashAlgo, hash };
  }

  outputs(): Map<string, DerivationOutput> {
    const map = new Map<string, DerivationOutput>();
    let last: string | undefined;
    if (this.open()) {
      do {
        const { name, path, hashAlgo, hash } = this.outputTerms();
        const out = canonicalOutput(path, hashAlgo, hash, this.storeDir);
        if (out === undefined || (last !== undefined && !this.before(last, name))) this.decline();
        else map.set(name, out);
        last = name;
      } while (this.more());
    }
    return map;
  }

  inputDrvs(): Map<string, OutputSet> {
    const map = new Map<string, OutputSet>();
    let last: string | undefined;
    if (this.open()) {
      do {
        this.expect(LPAREN);
        const path = this.plain();
        this.expect(COMMA);
        // `(` opens dynamic outputs: DrvWithVersion only, which this path declines anyway
        const outputs = this.names();
        this.expect(RPAREN);
        if (
          !isPlainStorePath(path, this.storeDir) ||
          (last !== undefined && !this.before(last, path))
        )
          this.decline();
        else
          map.set(
            path,
            outputs.length === 1
              ? singleOutputSet(outputs[0]!)
              : { outputs, dynamicOutputs: EMPTY_DYNAMIC_OUTPUTS },
          );
        last = path;
      } while (this.more());
    }
    return map;
  }

  inputSrcs(): string[] {
    const srcs = this.names();
    for (const path of srcs) if (!isPlainStorePath(path, this.storeDir)) this.decline();
    return srcs;
  }

  values(): DrvString[] {
    const items: DrvString[] = [];
    if (this.open()) {
      do items.push(this.value());
      while (this.more());
    }
    return items;
  }

  env(): Map<string, DrvString> {
    const map = new Map<string, DrvString>();
    let last: string | undefined;
    if (this.open()) {
      do {
        this.expect(LPAREN);
        const key = this.plain();
        this.expect(COMMA);
        const value = this.value();
        this.expect(RPAREN);
        if (last !== undefined && !this.before(last, key)) this.decline();
        map.set(key, value);
        last = key;
      } while (this.more());
    }
    return map;
  }
}

/**
 * The derivation whose canonical `.drv` text is `text` (see the module comment), or
 * `undefined` when `text` is not in the canonical form this path takes.
 */
export function scanCanonicalDerivation(text: string, storeDir: string): Derivation | undefined {
  // Nix escapes these everywhere but in `system`: raw, the file is not canonical (three
  // `includes` are much faster than a regex test here)
  if (
    !text.startsWith("Derive(") ||
    text.includes("\n") ||
    text.includes("\t") ||
    text.includes("\r")
  ) {
    return undefined;
  }
  const scan = new CanonicalScanner(text, storeDir, 7);
  const outputs = scan.outputs();
  scan.expect(COMMA);
  const inputDrvs = scan.inputDrvs();
  scan.expect(COMMA);
  const inputSrcs = scan.inputSrcs();
  scan.expect(COMMA);
  const system = scan.plain();
  scan.expect(COMMA);
  const builder = scan.value();
  scan.expect(COMMA);
  const args = scan.values();
  scan.expect(COMMA);
  const env = scan.env();
  scan.expect(RPAREN);
  if (scan.declined || scan.p !== text.length) return undefined;
  return { outputs, inputDrvs, inputSrcs, system, builder, args, env };
}
