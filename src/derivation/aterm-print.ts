/**
 * Printing derivations as `.drv` files, byte for byte as Nix writes them (Nix's
 * `Derivation::unparse`): paths, output names and hashes are written as they are, `system` is
 * written raw except for `"` and `\` (Nix writes it unescaped, so a system holding those
 * yields a file Nix itself cannot read), everything else is escaped (`\\ \" \n \r \t`).
 * Raw-byte values are written back unchanged. Nix prints `DrvWithVersion("xp-dyn-drv",...)`
 * exactly when some input derivation has dynamic outputs, and `Derive(...)` otherwise; so does
 * {@link printDerivationATerm}.
 *
 * A value read from a file that is not the canonical print of it keeps that file's bytes
 * (`Derivation.spelling`); {@link printDerivationATerm} returns them exactly when the
 * canonical print of the value is still the one recorded, i.e. while the value still says
 * what the file said. `{ canonical: true }`, `maskOutputs` and `actualInputs` always print the
 * canonical form: it is what Nix writes and what `hashDerivationModulo` hashes (Nix hashes its
 * own unparse of the parsed value), while the drv path of a file is the text hash of its
 * actual bytes.
 *
 * @module
 */
import { binaryStringBytes } from "../core/bytes.js";
import { formatMethodAlgo } from "../core/content-address.js";
import { bytesEqual, copyBytes } from "../codecs/wire-bytes.js";
import { quoteInput } from "../core/errors.js";
import { formatDigest } from "../core/hash.js";
import { storePathToAbsolute } from "../core/store-path.js";
import { makeFixedOutputPath, outputPathName } from "../core/store-path-compute.js";
import {
  binaryToName,
  bytesToBinary,
  decodeUtf8OrUndefined,
  drvStringToBinary,
  hasRawByteChars,
  quoteATermString,
  quoteATermText,
} from "../grammar/aterm-strings.js";
import { DerivationFormatError } from "./errors.js";
import {
  compareUtf8,
  type Derivation,
  type DerivationOutput,
  type DrvString,
  derivationName,
  type OutputSet,
} from "./types.js";

/** The only `DrvWithVersion` version Nix knows. */
export const DYN_DRV_VERSION = "xp-dyn-drv";

/** Characters at or above U+D800, where `<` on JS strings and UTF-8 byte order differ. */
const HIGH_CHARS = /[\ud800-\uffff]/;

/** True if some input derivation has dynamic outputs (Nix then writes `DrvWithVersion`). */
function hasDynamicOutputs(drv: Derivation): boolean {
  for (const node of drv.inputDrvs.values()) if (node.dynamicOutputs.size > 0) return true;
  return false;
}

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
  const { text, binary } = canonicalString(drv, options);
  return binary ? binaryStringBytes(text) : encoder.encode(text);
}

/** The canonical ATerm as text, or as a binary string (one char per byte) when it holds raw bytes. */
function canonicalString(
  drv: Derivation,
  options: PrintDerivationOptions,
): { text: string; binary: boolean } {
  if (!hasBytes(drv)) {
    try {
      return { text: printToString(drv, options, false), binary: false };
    } catch (err) {
      if (err !== RAW_TEXT) throw err;
    }
  }
  return { text: printToString(drv, options, true), binary: true };
}

/**
 * The canonical print of `drv` (what Nix writes for it), or `undefined` when that is exactly
 * `bytes`: compared as strings, without encoding the print (for the spelling check of every
 * file the grammar reads).
 */
export function canonicalPrintUnlessSame(
  drv: Derivation,
  bytes: Uint8Array,
): Uint8Array | undefined {
  const { text, binary } = canonicalString(drv, {});
  if (binary) return text === bytesToBinary(bytes) ? undefined : binaryStringBytes(text);
  return text === decodeUtf8OrUndefined(bytes) ? undefined : encoder.encode(text);
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
