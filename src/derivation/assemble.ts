/**
 * The one assembler of the derivation model from the `.drv` terms the grammar read
 * (`src/grammar/derivation-grammar.ts`): every rule beyond the syntax, every error with its
 * byte offset, and every rarely taken path live here. The fast scanner (`aterm-scanner.ts`)
 * builds the same value for the canonical form only and declines anything else.
 *
 * ```text
 * output = (name, path, hashAlgo, hash)
 *   hashAlgo = ""                      hash = ""        path = ""   → deferred
 *                                                       path ≠ ""   → inputAddressed
 *   hashAlgo = [r:|git:|text:]algo     hash = ""        path = ""   → caFloating
 *                                      hash = "impure"  path = ""   → impure
 *                                      hash = digest    path ≠ ""   → caFixed
 * ```
 *
 * Strings must be UTF-8 text but for `system`, `builder`, arguments and environment values
 * (raw bytes then, see `DrvString`) and environment names (lone surrogates for their stray
 * bytes, `bytesToName`): `aterm.invalid-utf8`. What Nix 2.8 reads although it never writes it
 * is read the same way and recorded in `Derivation.quirks` (with `{ strict: true }`, refused):
 * duplicate outputs (the first stays), input derivations (the last stays), input sources and
 * output names within an input derivation (sets), environment variables (the last value
 * stays); escapes other than `\\ \" \n \r \t` (`\x` is `x`); bytes after the final `)`.
 * Checked with `nix show-derivation` (Nix 2.8) on such files. Refused: invalid store paths;
 * unknown hash algorithms and malformed digests; an unknown `DrvWithVersion` version; dynamic
 * outputs in the old `Derive` form, and duplicates among them. Entries out of order are
 * accepted (as Nix does) and sorted in the model. The first error in input order wins.
 *
 * A file that is not the canonical print of the value read from it keeps its bytes and the
 * canonical print of its value (`Derivation.spelling`, see {@link withSpelling}).
 *
 * @module
 */
import { type ContentAddressMethod, parseMethodAlgo } from "../core/content-address.js";
import { NixCompatError, quoteInput } from "../core/errors.js";
import { parseDigest } from "../core/hash.js";
import { parseStorePath } from "../core/store-path.js";
import type {
  DerivationStringTerm,
  DerivationTerms,
  OutputSetTerm,
} from "../grammar/derivation-grammar.js";
import {
  badEscape,
  binaryToDrvString,
  binaryToName,
  binaryToText,
} from "../grammar/aterm-strings.js";
import { ATermSyntaxError, DerivationFormatError } from "./errors.js";
import { copyBytes } from "../codecs/wire-bytes.js";
import { canonicalPrintUnlessSame, DYN_DRV_VERSION } from "./aterm-print.js";
import {
  compareUtf8,
  type Derivation,
  type DerivationOutput,
  type DerivationQuirk,
  type DrvString,
  drvStringToDisplay,
  EMPTY_DYNAMIC_OUTPUTS,
  type OutputSet,
} from "./types.js";

/**
 * Throws `derivation.invalid-store-path` at `offset` unless `path` is an absolute store path
 * in `storeDir` (Nix 2.8's name rules, as `parseStorePath`).
 */
function checkStorePath(path: string, offset: number, what: string, storeDir: string): void {
  try {
    parseStorePath(path, { storeDir });
  } catch (err) {
    if (err instanceof NixCompatError) {
      throw new DerivationFormatError(
        "derivation.invalid-store-path",
        `${what} ${quoteInput(path)} is not a valid store path: ${err.detail}`,
        { offset },
      );
    }
    throw err;
  }
}

/** The error for a key that appears twice. */
function duplicateError(
  code: string,
  what: string,
  key: string,
  offset: number,
): DerivationFormatError {
  return new DerivationFormatError(code, `duplicate ${what} ${quoteInput(key)}`, { offset });
}

function invalidOutput(detail: string, offset: number): DerivationFormatError {
  return new DerivationFormatError("derivation.invalid-output", detail, {
    offset,
  });
}

/** Parses `[r:|git:|text:]algo` into method and algorithm, as a derivation format error. */
function parseOutputMethodAlgo(
  hashAlgo: string,
  offset: number,
): { method: ContentAddressMethod; algorithm: ReturnType<typeof parseMethodAlgo>["algorithm"] } {
  try {
    return parseMethodAlgo(hashAlgo);
  } catch (err) {
    if (err instanceof NixCompatError) {
      throw new DerivationFormatError("derivation.invalid-hash-algorithm", err.detail, {
        offset,
      });
    }
    throw err;
  }
}

/** Builds an output from the four strings of its ATerm tuple. */
function makeOutputFromATerm(
  name: string,
  path: string,
  hashAlgo: string,
  hash: string,
  offset: number,
  storeDir: string,
): DerivationOutput {
  if (hashAlgo === "") {
    if (hash !== "") {
      throw invalidOutput(`output ${quoteInput(name)} has a hash but no hash algorithm`, offset);
    }
    if (path === "") return { kind: "deferred" };
    checkStorePath(path, offset, `path of output ${quoteInput(name)}`, storeDir);
    return { kind: "inputAddressed", path };
  }
  const { method, algorithm } = parseOutputMethodAlgo(hashAlgo, offset);
  if (hash === "" || hash === "impure") {
    if (path !== "") {
      throw invalidOutput(
        `${hash === "" ? "floating content-addressed" : "impure"} output ${quoteInput(name)} must not have a path`,
        offset,
      );
    }
    return hash === ""
      ? { kind: "caFloating", method, algorithm }
      : { kind: "impure", method, algorithm };
  }
  let digest: ReturnType<typeof parseDigest>;
  try {
    digest = parseDigest(algorithm, hash);
  } catch (err) {
    if (err instanceof NixCompatError) {
      throw new DerivationFormatError(
        "derivation.invalid-hash",
        `output ${quoteInput(name)}: ${err.detail}`,
        { offset },
      );
    }
    throw err;
  }
  checkStorePath(path, offset, `path of fixed output ${quoteInput(name)}`, storeDir);
  return { kind: "caFixed", method, hash: digest, path };
}

// --- maps and sets in input order ---------------------------------------------------------

/** Where a duplicate goes: thrown (`refuse`) or recorded as a quirk (`lenient`). */
type DuplicatePolicy = (err: NixCompatError) => void;

/**
 * Builds a map from entries in input order, sorting it; a duplicate goes to `onDuplicate`
 * and then the first value stays, or the last one with `keep: "last"`.
 */
class MapBuilder<V> {
  private readonly map = new Map<string, V>();
  private last: string | undefined;
  private sorted = true;
  constructor(
    private readonly code: string,
    private readonly what: string,
    private readonly onDuplicate: DuplicatePolicy,
    private readonly keep: "first" | "last" = "first",
    /** Keys are binary strings (one char per byte): `<` is byte order. */
    private readonly binaryKeys = false,
  ) {}
  add(key: string, value: V, offset: number): void {
    const last = this.last;
    if (
      this.sorted &&
      (last === undefined || (this.binaryKeys ? last < key : compareUtf8(last, key) < 0))
    ) {
      this.last = key;
    } else {
      if (this.map.has(key)) {
        const shown = this.binaryKeys ? drvStringToDisplay(binaryToName(key)) : key;
        this.onDuplicate(duplicateError(this.code, this.what, shown, offset));
        if (this.keep === "last") this.map.set(key, value);
        return;
      }
      this.sorted = false;
    }
    this.map.set(key, value);
  }
  result(): Map<string, V> {
    if (this.sorted) return this.map;
    const order = this.binaryKeys
      ? (a: string, b: string) => (a < b ? -1 : 1)
      : (a: string, b: string) => compareUtf8(a, b);
    return new Map([...this.map.entries()].sort((a, b) => order(a[0], b[0])));
  }
}

/** Sorted, de-duplicated items; a duplicate goes to `onDuplicate`. */
function sortedUnique(
  items: string[],
  offsets: readonly number[],
  code: string,
  what: string,
  onDuplicate: DuplicatePolicy,
): string[] {
  for (let i = 1; i < items.length; i++) {
    if (compareUtf8(items[i - 1]!, items[i]!) >= 0) {
      const seen = new Set<string>();
      for (let j = 0; j < items.length; j++) {
        if (seen.has(items[j]!)) onDuplicate(duplicateError(code, what, items[j]!, offsets[j]!));
        seen.add(items[j]!);
      }
      return [...seen].sort(compareUtf8);
    }
  }
  return items;
}

// --- the assembler ------------------------------------------------------------------------

/** How {@link assembleDerivation} reads. */
export interface AssembleOptions {
  /** Store directory the paths must be in. */
  readonly storeDir: string;
  /** Refuse what Nix 2.8 reads but never writes instead of recording it in `quirks`. */
  readonly strict: boolean;
}

/** The quirk a lenient parse records for what a strict parse refuses with `err`. */
function quirkOf(err: NixCompatError): DerivationQuirk {
  return { code: err.code, detail: err.detail, offset: err.position.offset ?? 0 };
}

/** The error for bytes after the final `)`. */
function trailingBytes(offset: number, end: number): ATermSyntaxError {
  return new ATermSyntaxError(
    "aterm.trailing-bytes",
    `unexpected bytes after the end of the derivation (${end - offset} bytes)`,
    { offset },
  );
}

/**
 * The derivation the terms of a `.drv` say, as Nix 2.8 reads it; `bytes` are the file's
 * bytes (for the trailing-bytes quirk and the {@link withSpelling} check). Throws
 * {@link DerivationFormatError} (and `aterm.invalid-utf8`) at the first problem in input
 * order.
 */
export function assembleDerivation(
  terms: DerivationTerms,
  bytes: Uint8Array,
  options: AssembleOptions,
): Derivation {
  const { storeDir, strict } = options;
  const quirks: DerivationQuirk[] = [];
  const refuse: DuplicatePolicy = (err) => {
    throw err;
  };
  const lenient: DuplicatePolicy = strict ? refuse : (err) => quirks.push(quirkOf(err));
  /** The value of a string term, its unknown escapes recorded (lenient grammar only). */
  const valueOf = (t: DerivationStringTerm): string => {
    if (t.unknownEscapes !== undefined) {
      for (const e of t.unknownEscapes) quirks.push(quirkOf(badEscape(e.char, e.offset)));
    }
    return t.value;
  };
  const text = (t: DerivationStringTerm, what: string) => binaryToText(valueOf(t), t.offset, what);
  const drvString = (t: DerivationStringTerm): DrvString => binaryToDrvString(valueOf(t));
  const dyn = terms.version !== undefined;
  if (terms.version !== undefined) {
    const v = text(terms.version, "version");
    if (v !== DYN_DRV_VERSION) {
      throw new DerivationFormatError(
        "derivation.unknown-version",
        `unknown derivation ATerm version ${quoteInput(v)}, expected ${quoteInput(DYN_DRV_VERSION)}`,
        { offset: terms.version.offset },
      );
    }
  }
  const outputs = new MapBuilder<DerivationOutput>(
    "derivation.duplicate-output",
    "output",
    lenient,
  );
  for (const [n, p, a, h] of terms.outputs) {
    const name = text(n, "output name");
    const path = text(p, "output path");
    const hashAlgo = text(a, "hash algorithm");
    const hash = text(h, "hash");
    outputs.add(
      name,
      makeOutputFromATerm(name, path, hashAlgo, hash, n.offset, storeDir),
      n.offset,
    );
  }
  const names = (ts: readonly DerivationStringTerm[]) =>
    sortedUnique(
      ts.map((t) => text(t, "output name")),
      ts.map((t) => t.offset),
      "derivation.duplicate-input-drv-output",
      "output name",
      dyn ? refuse : lenient,
    );
  const outputSet = (set: OutputSetTerm): OutputSet => {
    if (set.dynamicOutputs === undefined) {
      return { outputs: names(set.outputs), dynamicOutputs: EMPTY_DYNAMIC_OUTPUTS };
    }
    if (!dyn) {
      throw new DerivationFormatError(
        "derivation.dynamic-outputs-without-version",
        `dynamic outputs need the DrvWithVersion("${DYN_DRV_VERSION}",...) form`,
        { offset: set.offset },
      );
    }
    const outs = names(set.outputs);
    const m = new MapBuilder<OutputSet>(
      "derivation.duplicate-dynamic-output",
      "dynamic output",
      refuse,
    );
    for (const [k, child] of set.dynamicOutputs) {
      m.add(text(k, "output name"), outputSet(child), k.offset);
    }
    return { outputs: outs, dynamicOutputs: m.result() };
  };
  const inputDrvs = new MapBuilder<OutputSet>(
    "derivation.duplicate-input-drv",
    "input derivation",
    lenient,
    "last",
  );
  for (const [p, set] of terms.inputDrvs) {
    const path = text(p, "input derivation path");
    checkStorePath(path, p.offset, "input derivation", storeDir);
    inputDrvs.add(path, outputSet(set), p.offset);
  }
  const srcItems = terms.inputSrcs.map((t) => text(t, "input source"));
  srcItems.forEach((path, i) => {
    checkStorePath(path, terms.inputSrcs[i]!.offset, "input source", storeDir);
  });
  const inputSrcs = sortedUnique(
    srcItems,
    terms.inputSrcs.map((t) => t.offset),
    "derivation.duplicate-input-src",
    "input source",
    lenient,
  );
  const system = drvString(terms.system);
  const builder = drvString(terms.builder);
  const args = terms.args.map(drvString);
  // names as binary strings first (`<` is byte order, as Nix sorts them)
  const env = new MapBuilder<DrvString>(
    "derivation.duplicate-env",
    "environment variable",
    lenient,
    "last",
    true,
  );
  for (const [k, v] of terms.env) env.add(valueOf(k), drvString(v), k.offset);
  const named = new Map<string, DrvString>();
  for (const [k, v] of env.result()) named.set(binaryToName(k), v);
  if (terms.trailing !== undefined) lenient(trailingBytes(terms.trailing, bytes.length));
  const drv: Derivation = {
    outputs: outputs.result(),
    inputDrvs: inputDrvs.result(),
    inputSrcs,
    system,
    builder,
    args,
    env: named,
  };
  return withSpelling(
    quirks.length === 0 ? drv : { ...drv, quirks: quirks.sort((a, b) => a.offset - b.offset) },
    bytes,
  );
}

/**
 * `drv` as read from `bytes`, with its `DerivationSpelling` when `bytes` are not its
 * canonical print (quirks; entries out of order; a raw newline or tab; `system` escaped; a
 * fixed-output digest in nix32 or base64; `DrvWithVersion` without dynamic outputs).
 */
function withSpelling(drv: Derivation, bytes: Uint8Array): Derivation {
  const canonical = canonicalPrintUnlessSame(drv, bytes);
  if (canonical === undefined) return drv;
  return { ...drv, spelling: { bytes: copyBytes(bytes), canonical } };
}
