/**
 * `nix show-derivation` (Nix 2.8) output, byte for byte: from the model
 * ({@link printShowDerivationJson}, {@link showDerivationJsonChunks}), and a fast path
 * transcoding an ATerm straight to that JSON without building the model
 * ({@link transcodeShowEntry}). This module does not load zod.
 *
 * It works because ATerm's escapes (`\\ \" \n \r \t`) are written exactly as Nix 2.8 writes
 * them in JSON: a string body without raw control characters can be copied verbatim. The
 * transcoder runs the fast scanner of `aterm-scanner.ts` over the canonical form only (no raw
 * control characters, no impure outputs, fixed outputs whose path is the computed one) and
 * declines anything else (`undefined`); callers then go through the model
 * (`parseDerivationATerm` + {@link showDerivationJsonChunks}), which gives the same bytes, or
 * the grammar's errors. A property test pins the two paths together.
 *
 * @module
 */

import { binaryStringBytes, isBytes } from "../core/bytes.js";
import { formatMethodAlgo } from "../core/content-address.js";
import { formatDigest } from "../core/hash.js";
import { DEFAULT_STORE_DIR } from "../core/store-path.js";
import { outputPathName } from "../core/store-path-compute.js";
import {
  bytesToBinary,
  decodeUtf8OrUndefined,
  drvStringToBinary,
  hasEscapeMatching,
  hasRawByteChars,
} from "../grammar/aterm-strings.js";
import { CanonicalScanner, canonicalOutput, isPlainStorePath } from "./aterm-scanner.js";
import { DerivationFormatError } from "./errors.js";
import { fixedOutputStorePath } from "./hash.js";
import {
  compareUtf8,
  type Derivation,
  type DerivationOutput,
  type DrvString,
  derivationName,
  type OutputSet,
} from "./types.js";
import { concatBytes } from "../codecs/wire-bytes.js";

/** Raw control characters: JSON escapes them, ATerm does not. */
const RAW_CONTROL = /[\x00-\x1f]/;
const RAW_CONTROL_ALL = /[\x00-\x1f]/g;
const NON_ATERM_ESCAPES = /\\[^\\"nrt]/g;
/** The same once raw control characters were written as JSON escapes (`\u00XX`) beforehand. */
const NON_ATERM_OR_CONTROL_ESCAPES = /\\[^\\"nrtu]/g;
/** A `\u` escape in the ATerm itself (Nix reads it as `u`: not copied). */
const U_ESCAPE = /\\u/g;
/** A backslash before a raw control character. */
const BACKSLASH_CONTROL = /\\[\x00-\x1f]/;
const LPAREN = 0x28;
const RPAREN = 0x29;
const COMMA = 0x2c;

/**
 * The `"drvPath": {...}` member of Nix 2.8's show-derivation output for the ATerm `bytes`
 * (two-space indented at depth 1, no trailing comma), or `undefined` when the input is not in
 * the canonical form the scanner takes (see `aterm-scanner.ts`), is not UTF-8, or holds a
 * fixed output whose path is not the one Nix computes.
 */
export function transcodeShowEntry(
  drvPath: string,
  bytes: Uint8Array,
  storeDir: string = DEFAULT_STORE_DIR,
): string | undefined {
  const s = decodeUtf8OrUndefined(bytes);
  if (s === undefined || /["\\\x00-\x1f]/.test(drvPath)) return undefined;
  return transcode(drvPath, s, storeDir, false);
}

/**
 * {@link transcodeShowEntry} over the ATerm as a binary string (one character per byte, e.g.
 * Node's `latin1` decoding): the member is a binary string too, its bytes as Nix writes them
 * (raw bytes that are not UTF-8 stay as they are). One-byte strings throughout, whatever the
 * text holds. `drvPath` must be printable ASCII (else `undefined`).
 */
export function transcodeShowEntryBinary(
  drvPath: string,
  binary: string,
  storeDir: string = DEFAULT_STORE_DIR,
): string | undefined {
  if (/[^\x20-\x7e]|["\\]/.test(drvPath)) return undefined;
  return transcode(drvPath, binary, storeDir, true);
}

/** Characters of a binary string that are not ASCII. */
const NON_ASCII_BYTES = /[\x80-\xff]/;

function transcode(
  drvPath: string,
  text: string,
  storeDir: string,
  binary: boolean,
): string | undefined {
  let s = text;
  if (!s.startsWith("Derive([")) return undefined;
  // Output names and paths, input sources and input derivations' output names must be UTF-8
  // (the model refuses them otherwise): in a binary string holding bytes above 127, those
  // with such bytes are left to the model.
  const checkNames = binary && NON_ASCII_BYTES.test(s);
  const ascii = (x: string) => {
    if (checkNames && NON_ASCII_BYTES.test(x)) scan.decline();
  };
  // Raw control characters are written as JSON writes them, beforehand: bodies are then
  // copied as they are (a name or path holding one gets a backslash, which declines).
  let nonAterm = NON_ATERM_ESCAPES;
  if (RAW_CONTROL.test(s)) {
    // (a backslash right before one, which ATerm reads as an escape of it, is the model's)
    if (BACKSLASH_CONTROL.test(s) || hasEscapeMatching(s, U_ESCAPE)) return undefined;
    s = s.replace(RAW_CONTROL_ALL, nix28EscapeChar);
    nonAterm = NON_ATERM_OR_CONTROL_ESCAPES;
  }
  /** A string body for the JSON as written in the ATerm (ATerm's escapes are JSON's). */
  const verbatim = (scan: CanonicalScanner): string => {
    const body = scan.body();
    if (scan.escaped && hasEscapeMatching(body, nonAterm)) scan.decline();
    return body;
  };
  const base = drvPath.startsWith(`${storeDir}/`) ? drvPath.slice(storeDir.length + 1) : "";
  const drvName = base.length > 37 && base.endsWith(".drv") ? base.slice(33, -4) : undefined;
  const scan = new CanonicalScanner(s, storeDir, 7);
  const q = (body: string) => `"${body}"`;
  const arr = (items: readonly string[], inner: string, outer: string): string => {
    if (items.length === 0) return "[]";
    let out = "[";
    for (let i = 0; i < items.length; i++) out += `${i === 0 ? "" : ","}${inner}"${items[i]}"`;
    return `${out}${outer}]`;
  };
  let outputs = "";
  let last: string | undefined;
  if (scan.open()) {
    do {
      const { name, path, hashAlgo, hash } = scan.outputTerms();
      ascii(name);
      ascii(path);
      const out = canonicalOutput(path, hashAlgo, hash, storeDir);
      if (out === undefined || (last !== undefined && !scan.before(last, name))) {
        scan.decline();
        break;
      }
      last = name;
      let body: string;
      switch (out.kind) {
        case "deferred":
          body = "{}";
          break;
        case "inputAddressed":
          body = `{${I8}"path": ${q(path)}${I6}}`;
          break;
        case "caFloating":
          body = `{${I8}"hashAlgo": ${q(hashAlgo)}${I6}}`;
          break;
        case "caFixed":
          // Nix prints the path computed from name, method and hash: take this path only when
          // the ATerm holds exactly that one (its name part first, so that the name is valid)
          if (
            drvName === undefined ||
            !path.endsWith(`-${outputPathName(drvName, name)}`) ||
            fixedOutputStorePath(drvName, name, out, storeDir) !== path
          ) {
            scan.decline();
            break;
          }
          body = `{${I8}"path": ${q(path)},${I8}"hashAlgo": ${q(hashAlgo)},${I8}"hash": ${q(hash)}${I6}}`;
          break;
        case "impure":
          scan.decline();
          break;
      }
      if (scan.declined) break;
      outputs += `${outputs === "" ? "" : ","}${I6}${q(name)}: ${body!}`;
    } while (scan.more());
  }
  scan.expect(COMMA);
  let inputDrvs = "";
  last = undefined;
  if (scan.open()) {
    do {
      scan.expect(LPAREN);
      const path = scan.plain();
      scan.expect(COMMA);
      const names = scan.names();
      for (const n of names) ascii(n);
      scan.expect(RPAREN);
      if (!isPlainStorePath(path, storeDir) || (last !== undefined && !scan.before(last, path))) {
        scan.decline();
      }
      last = path;
      inputDrvs += `${inputDrvs === "" ? "" : ","}${I6}${q(path)}: ${arr(names, I8, I6)}`;
    } while (scan.more());
  }
  scan.expect(COMMA);
  const srcs = scan.inputSrcs();
  for (const src of srcs) ascii(src);
  scan.expect(COMMA);
  const system = scan.plain();
  scan.expect(COMMA);
  const builder = verbatim(scan);
  scan.expect(COMMA);
  const args: string[] = [];
  if (scan.open()) {
    do args.push(verbatim(scan));
    while (scan.more());
  }
  scan.expect(COMMA);
  let env = "";
  last = undefined;
  if (scan.open()) {
    do {
      scan.expect(LPAREN);
      const key = scan.plain();
      scan.expect(COMMA);
      const value = verbatim(scan);
      scan.expect(RPAREN);
      if (last !== undefined && !scan.before(last, key)) scan.decline();
      last = key;
      env += `${env === "" ? "" : ","}${I6}${q(key)}: ${q(value)}`;
    } while (scan.more());
  }
  scan.expect(RPAREN);
  if (scan.declined || scan.p !== s.length) return undefined;
  return (
    `  "${drvPath}": {${I4}"outputs": ${outputs === "" ? "{}" : `{${outputs}${I4}}`}` +
    `,${I4}"inputSrcs": ${arr(srcs, I6, I4)}` +
    `,${I4}"inputDrvs": ${inputDrvs === "" ? "{}" : `{${inputDrvs}${I4}}`}` +
    `,${I4}"system": ${q(system)},${I4}"builder": ${q(builder)},${I4}"args": ${arr(args, I6, I4)}` +
    `,${I4}"env": ${env === "" ? "{}" : `{${env}${I4}}`}\n  }`
  );
}

// --- Nix 2.8 byte-exact printing ------------------------------------------------------------

const NIX28_ESCAPE = /["\\\x00-\x1f]/;
const NIX28_ESCAPE_ALL = /["\\\x00-\x1f]/g;

function nix28EscapeChar(c: string): string {
  switch (c) {
    case '"':
      return '\\"';
    case "\\":
      return "\\\\";
    case "\n":
      return "\\n";
    case "\r":
      return "\\r";
    case "\t":
      return "\\t";
    default:
      return `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`;
  }
}

/** Where `JSON.stringify` and Nix 2.8 escape differently (`\b`, `\f`, lone surrogates). */
const STRINGIFY_DIFFERS = /[\x08\x0c\ud800-\udfff]/;

/** A JSON string as Nix 2.8 writes it. */
export function nix28JsonString(text: string): string {
  if (!NIX28_ESCAPE.test(text)) return `"${text}"`;
  // Natively, when JSON.stringify escapes exactly as Nix 2.8 does.
  if (!STRINGIFY_DIFFERS.test(text)) return JSON.stringify(text);
  return `"${text.replace(NIX28_ESCAPE_ALL, nix28EscapeChar)}"`;
}

/** `NIX28_ESCAPE`, or a character that may be a raw byte (U+DC80–U+DCFF, see `bytesToName`). */
const NIX28_ESCAPE_OR_RAW = /["\\\x00-\x1f\udc80-\udcff]/;

/** Thrown by the text-mode printer on text holding raw bytes: print in binary mode instead. */
const RAW_TEXT = new Error("raw bytes in text");

/** {@link nix28JsonString} for the text-mode printer; throws {@link RAW_TEXT} on raw bytes. */
function jsonText(text: string): string {
  if (!NIX28_ESCAPE_OR_RAW.test(text)) return `"${text}"`;
  if (hasRawByteChars(text)) throw RAW_TEXT;
  return nix28JsonString(text);
}

function hasBytes(drv: Derivation): boolean {
  if (typeof drv.system !== "string" || typeof drv.builder !== "string") return true;
  for (const a of drv.args) if (typeof a !== "string") return true;
  for (const v of drv.env.values()) if (typeof v !== "string") return true;
  return false;
}

const I2 = "\n  ";
const I4 = "\n    ";
const I6 = "\n      ";
const I8 = "\n        ";

/** One `"drvPath": {...}` member of the show-derivation document, at depth 1. */
function showEntry(drvPath: string, drv: Derivation, storeDir: string, binary: boolean): string {
  const t = binary ? (x: string) => nix28JsonString(drvStringToBinary(x)) : jsonText;
  const d = (x: DrvString) => (typeof x === "string" ? t(x) : nix28JsonString(bytesToBinary(x)));
  let out = `  ${t(drvPath)}: {${I4}"outputs": `;
  if (drv.outputs.size === 0) out += "{}";
  else {
    out += "{";
    let first = true;
    for (const [name, o] of drv.outputs) {
      out += `${first ? "" : ","}${I6}${t(name)}: `;
      first = false;
      const j = outputV1(drv, name, o, storeDir);
      const keys = Object.keys(j);
      if (keys.length === 0) out += "{}";
      else {
        out += "{";
        keys.forEach((k, i) => {
          const v = j[k];
          out += `${i === 0 ? "" : ","}${I8}"${k}": ${typeof v === "string" ? t(v) : String(v)}`;
        });
        out += `${I6}}`;
      }
    }
    out += `${I4}}`;
  }
  out += `,${I4}"inputSrcs": `;
  out += list(drv.inputSrcs, t, I6, I4);
  out += `,${I4}"inputDrvs": `;
  if (drv.inputDrvs.size === 0) out += "{}";
  else {
    out += "{";
    let first = true;
    for (const [path, set] of drv.inputDrvs) {
      out += `${first ? "" : ","}${I6}${t(path)}: ${outputSetText(set, t, "      ")}`;
      first = false;
    }
    out += `${I4}}`;
  }
  out += `,${I4}"system": ${d(drv.system)},${I4}"builder": ${d(drv.builder)},${I4}"args": `;
  out += list(drv.args, d, I6, I4);
  out += `,${I4}"env": `;
  if (drv.env.size === 0) out += "{}";
  else {
    out += "{";
    let first = true;
    // The model's maps are sorted by name (compareNames); names with raw bytes are printed
    // as those bytes.
    for (const [k, v] of drv.env) {
      out += `${first ? "" : ","}${I6}${t(k)}: ${d(v)}`;
      first = false;
    }
    out += `${I4}}`;
  }
  return `${out}${I2}}`;
}

function list<T>(items: readonly T[], f: (x: T) => string, inner: string, outer: string): string {
  if (items.length === 0) return "[]";
  let out = "[";
  for (let i = 0; i < items.length; i++) out += `${i === 0 ? "" : ","}${inner}${f(items[i]!)}`;
  return `${out}${outer}]`;
}

function outputSetText(
  set: OutputSet,
  t: (x: string) => string,
  indent: string,
  forceObject = false,
): string {
  const inner = `\n${indent}  `;
  const outer = `\n${indent}`;
  if (!forceObject && set.dynamicOutputs.size === 0) return list(set.outputs, t, inner, outer);
  const inner2 = `\n${indent}    `;
  let dyn = "{}";
  if (set.dynamicOutputs.size > 0) {
    dyn = "{";
    let first = true;
    for (const [k, v] of set.dynamicOutputs) {
      dyn += `${first ? "" : ","}${inner2}${t(k)}: ${outputSetText(v, t, `${indent}    `, true)}`;
      first = false;
    }
    dyn += `${inner}}`;
  }
  return `{${inner}"dynamicOutputs": ${dyn},${inner}"outputs": ${list(set.outputs, t, inner2, inner)}${outer}}`;
}

const encoder = new TextEncoder();

/** Collects output bytes in chunks of about `size` bytes, encoding text as it comes. */
class ChunkWriter {
  private buf: Uint8Array;
  private pos = 0;
  constructor(
    private readonly size: number,
    /** Hand out views of one buffer (each consumed before the next is asked for). */
    private readonly reuse = false,
  ) {
    this.buf = new Uint8Array(Math.min(size, 1 << 20) + 64);
  }
  /** Appends text (UTF-8) or bytes. */
  add(piece: string | Uint8Array): void {
    // UTF-8 takes at most 3 bytes per UTF-16 unit.
    const max = typeof piece === "string" ? 3 * piece.length : piece.length;
    if (this.pos + max > this.buf.length) {
      const bigger = new Uint8Array(Math.max(2 * this.buf.length, this.pos + max));
      bigger.set(this.buf.subarray(0, this.pos));
      this.buf = bigger;
    }
    if (typeof piece !== "string") {
      this.buf.set(piece, this.pos);
      this.pos += piece.length;
    } else {
      // Encoding each entry on its own keeps the all-ASCII ones one-byte strings; a single
      // join of everything would turn into a two-byte string at the first non-ASCII entry.
      this.pos += encoder.encodeInto(piece, this.buf.subarray(this.pos)).written;
    }
  }
  /** The bytes collected so far once there are at least `size` of them (or `force`). */
  take(force = false): Uint8Array | undefined {
    if (this.pos === 0 || (!force && this.pos < this.size)) return undefined;
    const out = this.buf.subarray(0, this.pos);
    if (!this.reuse) this.buf = new Uint8Array(this.buf.length);
    this.pos = 0;
    return out;
  }
}

/**
 * `nix show-derivation` output of Nix 2.8 as a stream of chunks, for many derivations without
 * holding them all: `keys` are the drv paths (sorted and de-duplicated here), `get` parses
 * one when its turn comes (or returns the member already rendered, as text, e.g. by
 * `transcodeShowEntry`, or as bytes). Chunks are about `chunkSize` bytes; with `reuseBuffer`,
 * they are views of one reused buffer (consume or copy each before asking for the next: no
 * fresh megabyte per chunk).
 */
export function* showDerivationJsonChunks(
  keys: Iterable<string>,
  get: (drvPath: string) => Derivation | string | Uint8Array,
  options: {
    readonly storeDir?: string;
    readonly chunkSize?: number;
    readonly reuseBuffer?: boolean;
  } = {},
): Generator<Uint8Array> {
  const storeDir = options.storeDir ?? DEFAULT_STORE_DIR;
  const sorted = [...new Set(keys)].sort(compareUtf8);
  if (sorted.length === 0) {
    yield encoder.encode("{}\n");
    return;
  }
  const w = new ChunkWriter(options.chunkSize ?? 1 << 20, options.reuseBuffer === true);
  w.add("{\n");
  for (let i = 0; i < sorted.length; i++) {
    const k = sorted[i]!;
    const drv = get(k);
    if (typeof drv === "string" || isBytes(drv)) w.add(drv);
    else if (hasBytes(drv)) w.add(binaryStringBytes(showEntry(k, drv, storeDir, true)));
    else {
      let text: string;
      try {
        text = showEntry(k, drv, storeDir, false);
      } catch (err) {
        if (err !== RAW_TEXT) throw err;
        text = "";
      }
      if (text === "") w.add(binaryStringBytes(showEntry(k, drv, storeDir, true)));
      else w.add(text);
    }
    w.add(i + 1 < sorted.length ? ",\n" : "\n}\n");
    const chunk = w.take();
    if (chunk !== undefined) yield chunk;
  }
  const last = w.take(true);
  if (last !== undefined) yield last;
}

/**
 * `nix show-derivation` output of Nix 2.8, byte for byte: a JSON object keyed by drv path
 * (sorted, duplicates dropped), two-space indentation, a final newline. Raw-byte values are
 * written raw, as Nix does.
 */
export function printShowDerivationJson(
  entries: readonly { drvPath: string; drv: Derivation }[],
  options: { readonly storeDir?: string } = {},
): Uint8Array {
  const byPath = new Map<string, Derivation>();
  for (const e of entries) if (!byPath.has(e.drvPath)) byPath.set(e.drvPath, e.drv);
  const parts = [
    ...showDerivationJsonChunks(byPath.keys(), (k) => byPath.get(k)!, {
      ...options,
      chunkSize: Number.POSITIVE_INFINITY,
    }),
  ];
  return parts.length === 1 ? parts[0]! : concatBytes(parts);
}

/** The Nix 2.8 JSON object of one output (`path`, `hashAlgo`, `hash`, `impure`). */
function outputV1(
  drv: Derivation,
  name: string,
  o: DerivationOutput,
  storeDir: string,
): Record<string, string | boolean> {
  switch (o.kind) {
    case "inputAddressed":
      return { path: o.path };
    case "deferred":
      return {};
    case "caFixed": {
      let path = o.path;
      if (path === undefined) {
        const n = derivationName(drv);
        if (n === undefined) {
          throw new DerivationFormatError(
            "derivation.missing-name",
            "cannot compute a fixed output path without the derivation name",
          );
        }
        path = fixedOutputStorePath(n, name, o, storeDir);
      }
      return {
        path,
        hashAlgo: formatMethodAlgo(o.method, o.hash.algorithm),
        hash: formatDigest(o.hash, "base16"),
      };
    }
    case "caFloating":
      return { hashAlgo: formatMethodAlgo(o.method, o.algorithm) };
    case "impure":
      return { hashAlgo: formatMethodAlgo(o.method, o.algorithm), impure: true };
  }
}
