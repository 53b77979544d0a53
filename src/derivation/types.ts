/**
 * The derivation model: a plain-data view of what a `.drv` file holds.
 *
 * ```text
 * Derivation = outputs      : output name → DerivationOutput            (sorted by name)
 *              inputDrvs    : absolute drv path → OutputSet              (sorted by path)
 *              inputSrcs    : absolute store paths                       (sorted)
 *              system, builder : text
 *              args         : DrvString list
 *              env          : name → DrvString                           (sorted by name)
 *
 * DerivationOutput = inputAddressed {path}
 *                  | caFixed {method, hash, path?}   fixed-output ("fixed content-addressed")
 *                  | caFloating {method, algorithm}  (ca-derivations)
 *                  | deferred {}                     path not computed yet
 *                  | impure {method, algorithm}      (impure-derivations)
 * ```
 *
 * Strings Nix stores are bytes. {@link DrvString} makes the difference visible: a JS `string`
 * when the bytes are valid UTF-8 (the usual case), a `Uint8Array` when they are not (a latin1
 * or cp1252 value, for instance). Nothing is ever replaced by U+FFFD. `system`, `builder`,
 * arguments and environment values are DrvStrings. Environment *names* are map keys, hence
 * strings: a name that is not valid UTF-8 holds each stray byte as a lone surrogate
 * U+DC80–U+DCFF (see `bytesToName` / `nameToBytes`), which no valid UTF-8 name can hold.
 *
 * A `.drv` that Nix 2.8 reads although Nix never writes it so (duplicate entries, an escape
 * ATerm does not have, bytes after the final `)`) parses to what Nix reads, with
 * {@link Derivation.quirks} saying what was merged or dropped; `{ strict: true }` refuses it.
 * Such a value, and one read from any other spelling Nix would not write (entries out of order,
 * for instance), also keeps its {@link DerivationSpelling}, so that printing it back gives the
 * file's bytes as long as the value still says what was read.
 *
 * Paths are kept as absolute strings (`/nix/store/<hash>-<name>`), as in the ATerm and in
 * Nix 2.8's JSON; the JSON schemas of newer Nix convert them to and from base names.
 *
 * Maps are JavaScript `Map`s (keys such as `__proto__` are legal env names). Functions that
 * print a derivation sort keys themselves, so insertion order does not matter.
 *
 * @module
 */
import type { ContentAddressMethod } from "../core/content-address.js";
import type { Hash } from "../core/hash.js";
import type { HashAlgorithm } from "../core/hash-algorithm.js";
import { compareUtf8 } from "../core/canonical-json.js";
import { bytesToName, hasRawByteChars, nameToBytes } from "../grammar/aterm-strings.js";

export { compareUtf8 };

/** A string as Nix stores it: text when the bytes are valid UTF-8, else the raw bytes. */
export type DrvString = string | Uint8Array;

/** An input-addressed output: its path is computed from the derivation itself. */
export interface InputAddressedOutput {
  readonly kind: "inputAddressed";
  /** Absolute store path. */
  readonly path: string;
}

/** A fixed-output (fixed content-addressed) output: the expected hash is known in advance. */
export interface CaFixedOutput {
  readonly kind: "caFixed";
  /** `flat`, `nar` (`r:`), `git` (`git:`, sha1 or sha256) or `text` (`text:`). */
  readonly method: ContentAddressMethod;
  /** The expected hash. */
  readonly hash: Hash;
  /**
   * The absolute output path as written in the ATerm. Optional: newer JSON omits it, and it is
   * then computed from the name, method and hash.
   */
  readonly path?: string;
}

/** A floating content-addressed output (experimental `ca-derivations`). */
export interface CaFloatingOutput {
  readonly kind: "caFloating";
  readonly method: ContentAddressMethod;
  readonly algorithm: HashAlgorithm;
}

/** An input-addressed output whose path is not computed yet (it depends on a floating CA derivation, or is blank). */
export interface DeferredOutput {
  readonly kind: "deferred";
}

/** An impure output (experimental `impure-derivations`). */
export interface ImpureOutput {
  readonly kind: "impure";
  readonly method: ContentAddressMethod;
  readonly algorithm: HashAlgorithm;
}

/** One output of a derivation, in any of Nix's kinds. */
export type DerivationOutput =
  InputAddressedOutput | CaFixedOutput | CaFloatingOutput | DeferredOutput | ImpureOutput;

/**
 * The outputs wanted from one input derivation: plain output names, plus (experimental
 * `dynamic-derivations`) outputs of the derivations those outputs are.
 */
export interface OutputSet {
  /** Output names, sorted, without duplicates. */
  readonly outputs: readonly string[];
  /** Output name → outputs wanted from the derivation that output is. Usually empty. */
  readonly dynamicOutputs: ReadonlyMap<string, OutputSet>;
}

/**
 * Something in a `.drv` file that Nix 2.8 reads but never writes: what the parser merged,
 * dropped or read leniently. `code` is the error a strict parse gives for it.
 *
 * | code | Nix 2.8 reads |
 * |---|---|
 * | `derivation.duplicate-output` | the first output of that name |
 * | `derivation.duplicate-input-drv` | the last entry of that input derivation |
 * | `derivation.duplicate-input-drv-output` | the output names as a set |
 * | `derivation.duplicate-input-src` | the input sources as a set |
 * | `derivation.duplicate-env` | the last value of that variable |
 * | `aterm.bad-escape` | `\x` as `x` for any `x` but `n r t` |
 * | `aterm.trailing-bytes` | nothing after the final `)` (ignored) |
 */
export interface DerivationQuirk {
  readonly code: string;
  /** What was found, as the strict error says it. */
  readonly detail: string;
  /** Byte offset in the `.drv` file. */
  readonly offset: number;
}

/** The empty dynamic-outputs map, shared by the output sets that have none (the model is never changed in place). */
export const EMPTY_DYNAMIC_OUTPUTS: ReadonlyMap<string, OutputSet> = new Map();

/** A derivation, as stored in a `.drv` file. */
export interface Derivation {
  /**
   * The derivation name (the drv path's name without `.drv`). The ATerm does not hold it;
   * functions that need it fall back on {@link derivationName}.
   */
  readonly name?: string;
  readonly outputs: ReadonlyMap<string, DerivationOutput>;
  readonly inputDrvs: ReadonlyMap<string, OutputSet>;
  /** Absolute store paths, sorted, without duplicates. */
  readonly inputSrcs: readonly string[];
  readonly system: DrvString;
  readonly builder: DrvString;
  readonly args: readonly DrvString[];
  /** Names as strings (see the module doc for names that are not UTF-8). */
  readonly env: ReadonlyMap<string, DrvString>;
  /**
   * Present only on a parsed `.drv` that Nix would not have written so (see
   * {@link DerivationQuirk}). Describes the file read; it is not updated when the value
   * changes.
   */
  readonly quirks?: readonly DerivationQuirk[];
  /**
   * Present only on a parsed `.drv` whose bytes are not what Nix writes for the value read from
   * them (one with {@link quirks}, entries out of order, a nix32 digest ...): printing gives
   * those bytes back while the value is unchanged (see {@link DerivationSpelling}).
   */
  readonly spelling?: DerivationSpelling;
}

/**
 * How a `.drv` that is not Nix's own print of its value was spelled: its bytes, and the canonical file (what Nix writes, and
 * hashes) of the value read from them. The printer writes `bytes` exactly when its canonical
 * print of the derivation equals `canonical`, that is while the value still says what the
 * file said; once a caller changes the value (even through a spread copy, which carries this
 * record along), the canonical print differs and is what gets written. Plain data: it
 * survives `structuredClone` and is compared by value.
 */
export interface DerivationSpelling {
  /** The `.drv` file as read (a copy). */
  readonly bytes: Uint8Array;
  /** The canonical ATerm of the value read from {@link bytes}. */
  readonly canonical: Uint8Array;
}

const utf8Decoder = new TextDecoder("utf-8", { ignoreBOM: true });

/** The text of a DrvString, decoding bytes with U+FFFD replacement (for display only). */
export function drvStringToDisplay(value: DrvString): string {
  return typeof value === "string" ? value : utf8Decoder.decode(value);
}

/** True if two DrvStrings hold the same bytes. */
export function drvStringEquals(a: DrvString, b: DrvString): boolean {
  if (typeof a === "string" || typeof b === "string") return a === b;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * The derivation's name: `drv.name`, else the env `name`, else the `name` in structured
 * attributes (`__json`). Undefined when none is present.
 */
export function derivationName(drv: Derivation): string | undefined {
  if (drv.name !== undefined) return drv.name;
  const n = drv.env.get("name");
  if (typeof n === "string") return n;
  const json = drv.env.get("__json");
  if (json !== undefined) {
    try {
      // bytes that are not UTF-8 (a raw-byte attribute) as lone surrogates: the name is text
      const parsed = JSON.parse(typeof json === "string" ? json : bytesToName(json)) as unknown;
      if (parsed !== null && typeof parsed === "object" && "name" in parsed) {
        const v = (parsed as { name: unknown }).name;
        if (typeof v === "string") return v;
      }
    } catch {
      // not JSON: no name
    }
  }
  return undefined;
}

/**
 * The structured attributes of a derivation built with `__structuredAttrs = true`: the parsed
 * `__json` environment variable, or undefined when there is none (or it is not a JSON object).
 */
export function derivationStructuredAttrs(drv: Derivation): Record<string, unknown> | undefined {
  const json = drv.env.get("__json");
  if (typeof json !== "string") return undefined;
  try {
    const parsed = JSON.parse(json) as unknown;
    return parsed !== null && typeof parsed === "object" && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** An empty output set node (no outputs, no dynamic outputs). */
export function outputSet(
  outputs: readonly string[],
  dynamicOutputs: ReadonlyMap<string, OutputSet> = new Map(),
): OutputSet {
  return { outputs: [...new Set(outputs)].sort(compareUtf8), dynamicOutputs };
}

/**
 * Byte order of two names as Nix sorts them (`std::string` comparison): {@link compareUtf8},
 * with lone surrogates U+DC80–U+DCFF compared as the raw bytes they stand for.
 */
export function compareNames(a: string, b: string): number {
  if (!hasRawByteChars(a) && !hasRawByteChars(b)) return compareUtf8(a, b);
  return compareBytes(nameToBytes(a), nameToBytes(b));
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

/** Returns `map` with its keys in {@link compareUtf8} order (the same map if already sorted). */
export function sortedMap<V>(map: ReadonlyMap<string, V>): ReadonlyMap<string, V> {
  let prev: string | undefined;
  let sorted = true;
  for (const k of map.keys()) {
    if (prev !== undefined && compareNames(prev, k) >= 0) {
      sorted = false;
      break;
    }
    prev = k;
  }
  if (sorted) return map;
  return new Map([...map.entries()].sort((x, y) => compareNames(x[0], y[0])));
}
