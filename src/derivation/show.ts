/**
 * A fast path for `nix show-derivation` output: transcoding an ATerm straight to Nix 2.8's
 * JSON, without building the model.
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
import { HASH_SIZES, type HashAlgorithm } from "../core/hash-algorithm.js";
import { DEFAULT_STORE_DIR } from "../core/store-path.js";
import { isPlainStorePath } from "./assemble.js";
import { fixedOutputStorePath } from "./hash.js";

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const RAW_CONTROL = /[\x00-\x1f]/;
const HIGH_CHARS = /[\ud800-\uffff]/;
const BAD_ESCAPE = /(?<!\\)(?:\\\\)*\\[^\\"nrt]/;
const HEX = /^[0-9a-f]+$/;
const METHOD_ALGO = /^(r:|text:)?(md5|sha1|sha256|sha512)$/;

const NONE = 0x3fffffff;

class Bail extends Error {}
const BAIL = new Bail();

const I4 = "\n    ";
const I6 = "\n      ";
const I8 = "\n        ";

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
  if (RAW_CONTROL.test(s) || HIGH_CHARS.test(s) || !s.startsWith("Derive([")) return undefined;
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
      if (BAD_ESCAPE.test(body)) throw BAIL;
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
        const expected = fixedOutputStorePath(
          drvName,
          name,
          { kind: "caFixed", method, hash: { algorithm, digest: base16Decode(hash) } },
          storeDir,
        );
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
