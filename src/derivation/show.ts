/**
 * `nix show-derivation` (Nix 2.8) output, byte for byte: from the model
 * ({@link printShowDerivationJson}, {@link showDerivationJsonChunks}), and a fast path
 * transcoding an ATerm straight to that JSON without building the model
 * ({@link transcodeShowEntry}). This module does not load zod.
 *
 * It works because ATerm's escapes (`\\ \" \n \r \t`) are written exactly as Nix 2.8 writes
 * them in JSON: a string body without raw control characters can be copied verbatim. The
 * transcoder only handles the plain, canonical case (valid UTF-8, entries sorted, no raw
 * control characters, no impure outputs, fixed outputs whose path is the computed one, no
 * dynamic outputs, paths of the usual shape) and returns `undefined` for anything else; callers then go through the
 * model ({@link parseDerivationATerm} + {@link showDerivationJsonChunks}), which gives the
 * same bytes and the proper errors. A property test pins the two paths together.
 *
 * @module
 */

import { base16Decode } from "../core/base16.js";
import { formatMethodAlgo } from "../core/content-address.js";
import { formatDigest } from "../core/hash.js";
import { HASH_SIZES, type HashAlgorithm } from "../core/hash-algorithm.js";
import { DEFAULT_STORE_DIR } from "../core/store-path.js";
import {
  bytesToBinary,
  drvStringToBinary,
  hasEscapeMatching,
  hasRawByteChars,
} from "../grammar/aterm-strings.js";
import { isPlainStorePath } from "./assemble.js";
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

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
/** Raw control characters (JSON escapes them, ATerm does not), or characters ≥ U+D800
 * (UTF-16 and UTF-8 order differ there: the sort checks below would not hold). */
const RAW_CONTROL_OR_HIGH = /[\x00-\x1f\ud800-\uffff]/;
const NON_ATERM_ESCAPES = /\\[^\\"nrt]/g;
const HEX = /^[0-9a-f]+$/;
/** The fast path's output specs: Nix 2.8's methods and algorithms (blake3, `git:` and anything
 * else newer take the model path, which prints them too). */
const METHOD_ALGO = /^(r:|text:)?(md5|sha1|sha256|sha512)$/;

const NONE = 0x3fffffff;

class Bail extends Error {}
const BAIL = new Bail();

/**
 * The `"drvPath": {...}` member of Nix 2.8's show-derivation output for the ATerm `bytes`
 * (two-space indented at depth 1, no trailing comma), or `undefined` when the fast path does
 * not apply.
 */
export function transcodeShowEntry(
  drvPath: string,
  bytes: Uint8Array,
  storeDir: string = DEFAULT_STORE_DIR,
): string | undefined {
  let s: string;
  try {
    s = utf8.decode(bytes);
  } catch {
    return undefined;
  }
  if (!s.startsWith("Derive([") || RAW_CONTROL_OR_HIGH.test(s)) return undefined;
  if (/["\\\x00-\x1f]/.test(drvPath)) return undefined;
  const base = drvPath.startsWith(`${storeDir}/`) ? drvPath.slice(storeDir.length + 1) : "";
  const drvName = base.length > 37 && base.endsWith(".drv") ? base.slice(33, -4) : undefined;
  let p = 7;
  /** Position of the next backslash at or after the last string start (cached). */
  let nextBs = -1;
  const ch = (c: number) => {
    if (s.charCodeAt(p) !== c) throw BAIL;
    p++;
  };
  /** A string token: returns the raw body (escapes kept), checked. */
  const str = (): string => {
    if (s.charCodeAt(p) !== 0x22) throw BAIL;
    const start = p + 1;
    let end = s.indexOf('"', start);
    if (end < 0) throw BAIL;
    if (nextBs < start) {
      nextBs = s.indexOf("\\", start);
      if (nextBs < 0) nextBs = NONE;
    }
    if (nextBs < end) {
      for (;;) {
        let k = end - 1;
        while (k >= start && s.charCodeAt(k) === 0x5c) k--;
        if (((end - 1 - k) & 1) === 0) break;
        end = s.indexOf('"', end + 1);
        if (end < 0) throw BAIL;
      }
      const body = s.slice(start, end);
      if (hasEscapeMatching(body, NON_ATERM_ESCAPES)) throw BAIL;
      p = end + 1;
      return body;
    }
    p = end + 1;
    return s.slice(start, end);
  };
  /** A plain token: no escapes (names, paths, hashes). */
  const plain = (): string => {
    const v = str();
    if (v.includes("\\")) throw BAIL;
    return v;
  };
  /** `[` item,* `]`, calling `item` for each. */
  const list = (item: () => void): void => {
    ch(0x5b);
    if (s.charCodeAt(p) === 0x5d) {
      p++;
      return;
    }
    for (;;) {
      item();
      const c = s.charCodeAt(p++);
      if (c === 0x5d) return;
      if (c !== 0x2c) throw BAIL;
    }
  };
  const sortedStrings = (items: string[]): void => {
    for (let i = 1; i < items.length; i++) if (!(items[i - 1]! < items[i]!)) throw BAIL;
  };
  const q = (body: string) => `"${body}"`;
  const arr = (items: string[], inner: string, outer: string): string => {
    if (items.length === 0) return "[]";
    let out = "[";
    for (let i = 0; i < items.length; i++) out += `${i === 0 ? "" : ","}${inner}"${items[i]}"`;
    return `${out}${outer}]`;
  };
  try {
    // outputs
    let outputs = "";
    let last: string | undefined;
    list(() => {
      ch(0x28);
      const name = plain();
      ch(0x2c);
      const path = plain();
      ch(0x2c);
      const hashAlgo = plain();
      ch(0x2c);
      const hash = plain();
      ch(0x29);
      if (last !== undefined && !(last < name)) throw BAIL;
      last = name;
      let body: string;
      if (hashAlgo === "" && hash === "") {
        if (path === "") body = "{}";
        else {
          if (!isPlainStorePath(path, storeDir)) throw BAIL;
          body = `{${I8}"path": ${q(path)}${I6}}`;
        }
      } else if (hash === "" && path === "" && METHOD_ALGO.test(hashAlgo)) {
        body = `{${I8}"hashAlgo": ${q(hashAlgo)}${I6}}`;
      } else if (hash !== "impure" && path !== "" && METHOD_ALGO.test(hashAlgo)) {
        // fixed: Nix prints the path computed from name, method and hash; take the fast path
        // only when the ATerm holds exactly that path and a canonical hex digest.
        const method = hashAlgo.startsWith("r:")
          ? "nar"
          : hashAlgo.startsWith("text:")
            ? "text"
            : "flat";
        const algorithm = hashAlgo.slice(hashAlgo.indexOf(":") + 1) as HashAlgorithm;
        if (hash.length !== HASH_SIZES[algorithm] * 2 || !HEX.test(hash) || drvName === undefined)
          throw BAIL;
        let expected: string;
        try {
          expected = fixedOutputStorePath(
            drvName,
            name,
            { kind: "caFixed", method, hash: { algorithm, digest: base16Decode(hash) } },
            storeDir,
          );
        } catch {
          throw BAIL; // e.g. an output name no store path may hold: the model path says so
        }
        if (expected !== path) throw BAIL;
        body = `{${I8}"path": ${q(path)},${I8}"hashAlgo": ${q(hashAlgo)},${I8}"hash": ${q(hash)}${I6}}`;
      } else throw BAIL; // impure, or anything unusual: the model path
      outputs += `${outputs === "" ? "" : ","}${I6}${q(name)}: ${body}`;
    });
    ch(0x2c);
    // input derivations
    let inputDrvs = "";
    last = undefined;
    list(() => {
      ch(0x28);
      const path = plain();
      if (!isPlainStorePath(path, storeDir)) throw BAIL;
      if (last !== undefined && !(last < path)) throw BAIL;
      last = path;
      ch(0x2c);
      if (s.charCodeAt(p) !== 0x5b) throw BAIL; // dynamic outputs
      const names: string[] = [];
      list(() => {
        names.push(plain());
      });
      sortedStrings(names);
      ch(0x29);
      inputDrvs += `${inputDrvs === "" ? "" : ","}${I6}${q(path)}: ${arr(names, I8, I6)}`;
    });
    ch(0x2c);
    const srcs: string[] = [];
    list(() => {
      const path = plain();
      if (!isPlainStorePath(path, storeDir)) throw BAIL;
      srcs.push(path);
    });
    sortedStrings(srcs);
    ch(0x2c);
    const system = str();
    ch(0x2c);
    const builder = str();
    ch(0x2c);
    const args: string[] = [];
    list(() => {
      args.push(str());
    });
    ch(0x2c);
    let env = "";
    last = undefined;
    list(() => {
      ch(0x28);
      const key = plain();
      ch(0x2c);
      const value = str();
      ch(0x29);
      if (last !== undefined && !(last < key)) throw BAIL;
      last = key;
      env += `${env === "" ? "" : ","}${I6}${q(key)}: ${q(value)}`;
    });
    ch(0x29);
    if (p !== s.length) return undefined;
    return (
      `  "${drvPath}": {${I4}"outputs": ${outputs === "" ? "{}" : `{${outputs}${I4}}`}` +
      `,${I4}"inputSrcs": ${arr(srcs, I6, I4)}` +
      `,${I4}"inputDrvs": ${inputDrvs === "" ? "{}" : `{${inputDrvs}${I4}}`}` +
      `,${I4}"system": ${q(system)},${I4}"builder": ${q(builder)},${I4}"args": ${arr(args, I6, I4)}` +
      `,${I4}"env": ${env === "" ? "{}" : `{${env}${I4}}`}\n  }`
    );
  } catch (err) {
    if (err === BAIL) return undefined;
    if (err instanceof RangeError) return undefined;
    throw err;
  }
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

function binaryStringToBytes(s: string): Uint8Array {
  const bytes = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) bytes[i] = s.charCodeAt(i);
  return bytes;
}

/** Collects output bytes in chunks of about `size` bytes, encoding text as it comes. */
class ChunkWriter {
  private buf: Uint8Array;
  private pos = 0;
  constructor(private readonly size: number) {
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
    this.buf = new Uint8Array(this.buf.length);
    this.pos = 0;
    return out;
  }
}

/**
 * `nix show-derivation` output of Nix 2.8 as a stream of chunks, for many derivations without
 * holding them all: `keys` are the drv paths (sorted and de-duplicated here), `get` parses
 * one when its turn comes (or returns the member already rendered as text, e.g. by
 * `transcodeShowEntry`). Chunks are about `chunkSize` bytes.
 */
export function* showDerivationJsonChunks(
  keys: Iterable<string>,
  get: (drvPath: string) => Derivation | string,
  options: { readonly storeDir?: string; readonly chunkSize?: number } = {},
): Generator<Uint8Array> {
  const storeDir = options.storeDir ?? DEFAULT_STORE_DIR;
  const sorted = [...new Set(keys)].sort(compareUtf8);
  if (sorted.length === 0) {
    yield encoder.encode("{}\n");
    return;
  }
  const w = new ChunkWriter(options.chunkSize ?? 1 << 20);
  w.add("{\n");
  for (let i = 0; i < sorted.length; i++) {
    const k = sorted[i]!;
    const drv = get(k);
    if (typeof drv === "string") w.add(drv);
    else if (hasBytes(drv)) w.add(binaryStringToBytes(showEntry(k, drv, storeDir, true)));
    else {
      let text: string;
      try {
        text = showEntry(k, drv, storeDir, false);
      } catch (err) {
        if (err !== RAW_TEXT) throw err;
        text = "";
      }
      if (text === "") w.add(binaryStringToBytes(showEntry(k, drv, storeDir, true)));
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
