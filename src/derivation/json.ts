/**
 * Derivation JSON: converting the model to and from every shape Nix has printed, detecting
 * which one a document is, and printing `nix show-derivation` (Nix 2.8) byte for byte.
 *
 * ```text
 * version 1  Nix 2.8 `show-derivation` (to 2.22): keyed by absolute drv path; hashAlgo "r:sha256"
 * version 2  Nix 2.23-2.31: outputs with separate method / hashAlgo; no "version" field
 * version 3  Nix 2.32: base-name paths, "version": 3, fixed outputs without path
 * version 4  Nix ≥ 2.33: inputs.{srcs,drvs}, fixed hash as SRI, {version, derivations} wrapper,
 *            structured attributes as an object
 * ```
 *
 * Nix 2.8 writes JSON strings byte for byte (`"`, `\`, `\n`, `\r`, `\t` escaped, other
 * control characters as `\u00xx`, everything else raw, even bytes that are not UTF-8):
 * {@link printShowDerivationJson} does the same, and {@link readDerivationJsonBytes} reads
 * such JSON back with every byte (see `json-text.ts`), so non-UTF-8 values survive. Object
 * keys are data: `__proto__`, `constructor` or `prototype` are names like any other, checked
 * and read as such. The object API
 * ({@link derivationToJson}) cannot hold raw bytes and throws `derivation.raw-bytes` for them
 * unless `lossy` is set.
 *
 * @module
 */
import type { z } from "zod";
import { formatMethodAlgo, parseMethodAlgo } from "../core/content-address.js";
import { clipInput, NixCompatError, quoteInput } from "../core/errors.js";
import { formatDigest, formatHash, type Hash, parseDigest, parseHash } from "../core/hash.js";
import type { HashAlgorithm } from "../core/hash-algorithm.js";
import { DEFAULT_STORE_DIR } from "../core/store-path.js";
import { makeDerivationV1Schema } from "../schemas/derivation-v1.js";
import { makeDerivationV2Schema } from "../schemas/derivation-v2.js";
import { derivationV3Schema } from "../schemas/derivation-v3.js";
import { derivationV4DocumentSchema, derivationV4Schema } from "../schemas/derivation-v4.js";
import { JsonValidationError } from "../schemas/validate.js";
import { DerivationFormatError } from "./errors.js";
import { fixedOutputStorePath } from "./hash.js";
import { type DerivationJsonLimits, derivationJsonDepthProblem } from "./json-limits.js";
import {
  compareNames,
  compareUtf8,
  type Derivation,
  type DerivationOutput,
  type DrvString,
  derivationName,
  type OutputSet,
} from "./types.js";
import { derivationProblems } from "./validate.js";
import { hasRawByteChars, nameToBytes } from "../grammar/aterm-strings.js";
import { parseDerivationJsonBytes } from "./json-text.js";
import { canonicalJson } from "../core/canonical-json.js";

export { canonicalJson };
export * from "./json-text.js";

/** The derivation JSON versions. */
export type DerivationJsonVersion = 1 | 2 | 3 | 4;

/** What {@link detectDerivationJson} found. */
export interface DerivationJsonShape {
  readonly version: DerivationJsonVersion;
  /** `keyed`: `{drvPath: derivation}` (v1/v2); `wrapped`: `{version: 4, derivations}`; `bare`: one derivation. */
  readonly form: "keyed" | "wrapped" | "bare";
}

/** Options of the JSON functions. */
export interface DerivationJsonOptions extends DerivationJsonLimits {
  /** Store directory (absolute paths in v1/v2; prefix added to base names in v3/v4). */
  readonly storeDir?: string;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

/** An own member (never one inherited from `Object.prototype`, such as `constructor`). */
function own(v: Record<string, unknown>, key: string): unknown {
  return Object.hasOwn(v, key) ? v[key] : undefined;
}

/** The members every derivation JSON shape has (one of `inputs` / `inputSrcs`+`inputDrvs`). */
const DERIVATION_KEYS = [
  "outputs",
  "inputs",
  "inputSrcs",
  "inputDrvs",
  "system",
  "builder",
  "args",
  "env",
];

/** True when `v` has at least two of the members of a derivation: clearly meant as one. */
function looksLikeDerivation(v: Record<string, unknown>): boolean {
  let n = 0;
  for (const k of DERIVATION_KEYS) if (Object.hasOwn(v, k) && ++n >= 2) return true;
  return false;
}

function bareVersion(v: Record<string, unknown>): DerivationJsonVersion | undefined {
  const version = own(v, "version");
  if (version === 4 && !Object.hasOwn(v, "derivations")) return 4;
  if (version === 3) return 3;
  if (version === 2) return 2;
  if (version === undefined && looksLikeDerivation(v)) {
    // `inputs` came with version 4: a document with it is a version 4 one missing `version`
    if (Object.hasOwn(v, "inputs")) return 4;
    const outs = own(v, "outputs");
    if (
      isObject(outs) &&
      Object.values(outs).some((o) => isObject(o) && Object.hasOwn(o, "method"))
    )
      return 2;
    return 1;
  }
  return undefined;
}

/** Detects which version and form a parsed JSON document is; undefined when it is none. */
export function detectDerivationJson(value: unknown): DerivationJsonShape | undefined {
  if (!isObject(value)) return undefined;
  if (own(value, "version") === 4 && Object.hasOwn(value, "derivations"))
    return { version: 4, form: "wrapped" };
  const bare = bareVersion(value);
  if (bare !== undefined) return { version: bare, form: "bare" };
  const keys = Object.keys(value);
  const vals = Object.values(value);
  // keyed by drv path: every member an object, keyed like drv paths
  if (vals.length > 0 && vals.every(isObject) && keys.some((k) => k.endsWith(".drv"))) {
    for (const v of vals) {
      const version = bareVersion(v as Record<string, unknown>);
      if (version === 1 || version === 2) return { version, form: "keyed" };
    }
    return { version: 1, form: "keyed" };
  }
  return undefined;
}

/** Why a document is no derivation JSON at all: one problem at `$` (or `$.version`). */
function unknownShape(value: unknown): DerivationJsonProblem {
  const expected = "a derivation, {drvPath: derivation}, or {version: 4, derivations}";
  if (!isObject(value)) {
    const found = Array.isArray(value) ? "an array" : value === null ? "null" : typeof value;
    return {
      path: [],
      message: `expected a JSON object (${expected}), found ${found}`,
      code: "derivation-json.not-an-object",
    };
  }
  const version = own(value, "version");
  if (version !== undefined && looksLikeDerivation(value)) {
    return {
      path: ["version"],
      message: `unknown derivation JSON version ${JSON.stringify(version)} (expected 3 or 4, or none for the versions before)`,
      code: "derivation-json.unknown-version",
    };
  }
  return {
    path: [],
    message: `not a derivation JSON document (expected ${expected})`,
    code: "derivation-json.unknown-shape",
  };
}

/** One problem in a JSON document: where (JSON path) and what. */
export interface DerivationJsonProblem {
  readonly path: readonly (string | number)[];
  readonly message: string;
  readonly code: string;
}

function schemaFor(shape: DerivationJsonShape, options: DerivationJsonOptions): z.ZodType {
  switch (shape.version) {
    case 1:
      return makeDerivationV1Schema(options);
    case 2:
      return makeDerivationV2Schema(options);
    case 3:
      return derivationV3Schema;
    case 4:
      return shape.form === "wrapped" ? derivationV4DocumentSchema : derivationV4Schema;
  }
}

/** Characters of a zod issue message kept (they quote input, e.g. unrecognized keys). */
const MAX_ZOD_MESSAGE = 300;

function zodProblems(
  schema: z.ZodType,
  value: unknown,
  prefix: readonly (string | number)[],
): DerivationJsonProblem[] {
  const r = schema.safeParse(value);
  if (r.success) return [];
  return r.error.issues.map((i) => ({
    path: [...prefix, ...(i.path as (string | number)[])],
    // zod quotes input in some messages (unrecognized keys, invalid values): cut it
    message: isMissing(value, i.path) ? "required" : clipInput(issueMessage(i), MAX_ZOD_MESSAGE),
    code: `derivation-json.${i.code}`,
  }));
}

/** True when the member at `path` is absent from its (present) object. */
function isMissing(value: unknown, path: readonly PropertyKey[]): boolean {
  if (path.length === 0) return false;
  let v = value;
  for (let i = 0; i < path.length - 1; i++) {
    if (v === null || typeof v !== "object") return false;
    v = (v as Record<PropertyKey, unknown>)[path[i]!];
  }
  const last = path[path.length - 1]!;
  return isObject(v) && typeof last === "string" && !Object.hasOwn(v, last);
}

/** zod's message, said plainly where zod is vague (a bad record key). */
function issueMessage(i: z.core.$ZodIssue): string {
  if (i.code === "invalid_key") {
    const inner = i.issues[0]?.message;
    if (inner !== undefined) return `invalid key: ${inner}`;
  }
  return i.message;
}

/**
 * Every problem of a derivation JSON document, all at once: schema errors (with their JSON
 * paths) and, when the document is well-formed, Nix's derivation rules. Accepts every version
 * and form; `version` forces one.
 */
export function derivationJsonProblems(
  value: unknown,
  options: DerivationJsonOptions & { readonly version?: DerivationJsonVersion } = {},
): DerivationJsonProblem[] {
  // before anything recursive (zod, the converters, the key shield) walks the document
  const tooDeep = derivationJsonDepthProblem(value, options);
  if (tooDeep !== undefined) return [tooDeep];
  return problemsOf(value, options).map(unshieldProblem);
}

function problemsOf(
  value: unknown,
  options: DerivationJsonOptions & { readonly version?: DerivationJsonVersion },
): DerivationJsonProblem[] {
  value = shieldKeys(value);
  const detected = detectDerivationJson(value);
  const shape: DerivationJsonShape | undefined =
    options.version !== undefined && isObject(value)
      ? { version: options.version, form: detected?.form ?? "bare" }
      : detected;
  if (shape === undefined) return [unknownShape(value)];
  const problems: DerivationJsonProblem[] = [];
  if (shape.form === "keyed") {
    const keySchema = schemaFor({ version: shape.version, form: "bare" }, options);
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      problems.push(...zodProblems(keySchema, v, [k]));
      if (!/\.drv$/.test(k) || !k.startsWith(`${options.storeDir ?? DEFAULT_STORE_DIR}/`)) {
        problems.push({
          path: [k],
          message: `key ${quoteInput(k)} is not a derivation path`,
          code: "derivation-json.invalid-key",
        });
      }
    }
  } else problems.push(...zodProblems(schemaFor(shape, options), value, []));
  if (problems.length > 0) return problems;
  let entries: DerivationJsonEntry[];
  try {
    entries = readEntries(value, shape, options);
  } catch (err) {
    if (!(err instanceof NixCompatError)) throw err;
    return [
      {
        path: err.position.path ?? [],
        message: err.detail,
        code: err.code.replace(/^derivation\./, "derivation-json."),
      },
    ];
  }
  for (const entry of entries) {
    const prefix =
      entry.key === undefined
        ? []
        : shape.form === "wrapped"
          ? ["derivations", entry.key]
          : [entry.key];
    for (const p of derivationProblems(entry.drv, { storeDir: options.storeDir })) {
      problems.push({
        path: [...prefix, ...(p.position.path ?? [])],
        message: p.detail,
        code: p.code,
      });
    }
  }
  return problems;
}

/** One derivation read from a document: its key (drv path or base name) when keyed, and the model. */
export interface DerivationJsonEntry {
  readonly key?: string;
  readonly drv: Derivation;
}

/** Result of {@link readDerivationJson}. */
export interface DerivationJsonDocument {
  readonly shape: DerivationJsonShape;
  readonly entries: readonly DerivationJsonEntry[];
}

/**
 * Reads a derivation JSON document of any version and form into models. Throws
 * `JsonValidationError` (`json.invalid`) listing every schema problem with its JSON path in
 * `issues`; Nix's derivation rules are not enforced here (see {@link derivationJsonProblems}).
 */
export function readDerivationJson(
  value: unknown,
  options: DerivationJsonOptions & { readonly version?: DerivationJsonVersion } = {},
): DerivationJsonDocument {
  const problems = derivationJsonProblems(value, options);
  const structural = problems.filter((p) => !p.code.startsWith("derivation."));
  if (structural.length > 0) throw new JsonValidationError(structural);
  value = shieldKeys(value);
  const detected = detectDerivationJson(value)!;
  const shape =
    options.version !== undefined ? { version: options.version, form: detected.form } : detected;
  return { shape, entries: readEntries(value, shape, options) };
}

function readEntries(
  value: unknown,
  shape: DerivationJsonShape,
  options: DerivationJsonOptions,
): DerivationJsonEntry[] {
  const storeDir = options.storeDir ?? DEFAULT_STORE_DIR;
  const obj = value as Record<string, unknown>;
  if (shape.form === "bare") return [{ drv: fromBare(obj, shape.version, storeDir) }];
  const map = (shape.form === "wrapped" ? obj.derivations : obj) as Record<string, unknown>;
  return Object.keys(map).map((shielded) => {
    const key = unshieldKey(shielded);
    const drv = fromBare(map[shielded] as Record<string, unknown>, shape.version, storeDir);
    const base = key.startsWith(`${storeDir}/`) ? key.slice(storeDir.length + 1) : key;
    const name =
      drv.name ?? (base.length > 33 && base.endsWith(".drv") ? base.slice(33, -4) : undefined);
    return { key, drv: name === undefined ? drv : { ...drv, name } };
  });
}

function outputSetFromJson(v: unknown): OutputSet {
  if (Array.isArray(v)) {
    return { outputs: [...new Set(v as string[])].sort(compareUtf8), dynamicOutputs: new Map() };
  }
  const o = v as { outputs: string[]; dynamicOutputs: Record<string, unknown> };
  const dyn = new Map<string, OutputSet>();
  for (const k of Object.keys(o.dynamicOutputs).sort(compareUtf8))
    dyn.set(unshieldKey(k), outputSetFromJson(o.dynamicOutputs[k]));
  return { outputs: [...new Set(o.outputs)].sort(compareUtf8), dynamicOutputs: dyn };
}

function sortedRecordMap<V>(
  rec: Record<string, unknown>,
  fn: (k: string, v: unknown) => [string, V],
): Map<string, V> {
  const entries = Object.keys(rec).map((k) => fn(unshieldKey(k), rec[k]));
  entries.sort((a, b) => compareNames(a[0], b[0]));
  return new Map(entries);
}

function hashOf(algorithm: HashAlgorithm, text: string, outputName: string): Hash {
  try {
    return text.includes("-") && !/^[0-9a-f]+$/.test(text)
      ? parseHash(text, { algorithm })
      : parseDigest(algorithm, text);
  } catch (err) {
    if (err instanceof NixCompatError) {
      throw new DerivationFormatError("derivation-json.invalid-hash", err.detail, {
        path: ["outputs", outputName, "hash"],
      });
    }
    throw err;
  }
}

function outputFromJson(
  name: string,
  o: Record<string, unknown>,
  version: DerivationJsonVersion,
  storeDir: string,
): DerivationOutput {
  const abs = (p: string) => (version >= 3 ? `${storeDir}/${p}` : p);
  let method: ReturnType<typeof parseMethodAlgo>["method"] | undefined;
  let algorithm: HashAlgorithm | undefined;
  if (version === 1 && typeof o.hashAlgo === "string") {
    const ma = parseMethodAlgo(o.hashAlgo);
    method = ma.method;
    algorithm = ma.algorithm;
  } else if (typeof o.method === "string") {
    method = o.method as typeof method;
    algorithm = o.hashAlgo as HashAlgorithm | undefined;
  }
  if (o.impure === true) return { kind: "impure", method: method!, algorithm: algorithm! };
  if (typeof o.hash === "string") {
    const hash =
      version === 4 || (algorithm === undefined && typeof o.hash === "string")
        ? parseHash(o.hash)
        : hashOf(algorithm!, o.hash, name);
    const out: DerivationOutput = { kind: "caFixed", method: method!, hash };
    return typeof o.path === "string" ? { ...out, path: abs(o.path) } : out;
  }
  if (method !== undefined && algorithm !== undefined)
    return { kind: "caFloating", method, algorithm };
  if (typeof o.path === "string") return { kind: "inputAddressed", path: abs(o.path) };
  return { kind: "deferred" };
}

function fromBare(
  o: Record<string, unknown>,
  version: DerivationJsonVersion,
  storeDir: string,
): Derivation {
  const abs = (p: string) => (version >= 3 ? `${storeDir}/${p}` : p);
  // v4: `inputs` is `{srcs, drvs}`, or (a resolved derivation) the list of sources alone
  const inputsObj = (
    version === 4 ? (Array.isArray(o.inputs) ? { srcs: o.inputs, drvs: {} } : o.inputs) : o
  ) as Record<string, unknown>;
  const srcs = (version === 4 ? inputsObj.srcs : inputsObj.inputSrcs) as string[];
  const drvs = (version === 4 ? inputsObj.drvs : inputsObj.inputDrvs) as Record<string, unknown>;
  const envRec = o.env as Record<string, string>;
  const env = sortedRecordMap<DrvString>(envRec, (k, v) => [k, drvStringOf(v as string)]);
  if (o.structuredAttrs !== undefined && !env.has("__json")) {
    env.set("__json", canonicalJson(unshieldValue(o.structuredAttrs)));
    const sorted = new Map([...env.entries()].sort((a, b) => compareNames(a[0], b[0])));
    env.clear();
    for (const [k, v] of sorted) env.set(k, v);
  }
  const drv: Derivation = {
    outputs: sortedRecordMap(o.outputs as Record<string, unknown>, (k, v) => [
      k,
      outputFromJson(k, v as Record<string, unknown>, version, storeDir),
    ]),
    inputDrvs: sortedRecordMap(drvs, (k, v) => [abs(k), outputSetFromJson(v)]),
    inputSrcs: [...new Set(srcs.map(abs))].sort(compareUtf8),
    system: drvStringOf(o.system as string),
    builder: drvStringOf(o.builder as string),
    args: (o.args as string[]).map(drvStringOf),
    env,
  };
  return typeof o.name === "string" ? { name: o.name, ...drv } : drv;
}

/**
 * A JSON string as a {@link DrvString}: raw bytes when it holds some (lone surrogates
 * U+DC80–U+DCFF, as {@link parseDerivationJsonBytes} reads bytes that are not UTF-8).
 */
function drvStringOf(text: string): DrvString {
  return hasRawByteChars(text) ? nameToBytes(text) : text;
}

/** Stands for an own `__proto__` key while zod checks a document (zod skips that key). */
const PROTO_KEY = "\u0000__proto__\u0000nix-compat";

function unshieldKey(key: string): string {
  return key === PROTO_KEY ? "__proto__" : key;
}

function unshieldProblem(p: DerivationJsonProblem): DerivationJsonProblem {
  if (!p.path.includes(PROTO_KEY) && !p.message.includes(PROTO_KEY)) return p;
  return {
    ...p,
    path: p.path.map((x) => (x === PROTO_KEY ? "__proto__" : x)),
    message: p.message.replaceAll(PROTO_KEY, "__proto__"),
  };
}

/** The inverse of {@link shieldKeys}: `__proto__` keys back, as own data properties. */
function unshieldValue(value: unknown): unknown {
  if (value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map(unshieldValue);
  const entries = Object.keys(value).map(
    (k) => [unshieldKey(k), unshieldValue((value as Record<string, unknown>)[k])] as const,
  );
  return Object.fromEntries(entries);
}

/**
 * `value` with every own `__proto__` key renamed to {@link PROTO_KEY}, so that schema checks
 * see it as data (JSON object keys are data: `__proto__` may be an environment name). The
 * same value when there is none; copies only the objects on the way to one.
 */
function shieldKeys(value: unknown): unknown {
  if (value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const v = shieldKeys(value[i]);
      if (v !== value[i]) (copy ??= [...value])[i] = v;
    }
    return copy ?? value;
  }
  const obj = value as Record<string, unknown>;
  let changed = Object.hasOwn(obj, "__proto__");
  const entries: [string, unknown][] = [];
  for (const k of Object.keys(obj)) {
    const v = shieldKeys(obj[k]);
    if (v !== obj[k]) changed = true;
    entries.push([k === "__proto__" ? PROTO_KEY : k, v]);
  }
  return changed ? Object.fromEntries(entries) : value;
}

/**
 * Reads a derivation JSON document from its bytes, keeping every byte: Nix 2.8's
 * `show-derivation` output with values that are not UTF-8 gives back those bytes (see
 * `json-text.ts`). Throws `DerivationJsonSyntaxError` / `DerivationJsonTruncatedError` for
 * text that is not JSON, `JsonValidationError` as {@link readDerivationJson}.
 */
export function readDerivationJsonBytes(
  bytes: Uint8Array,
  options: DerivationJsonOptions & {
    readonly version?: DerivationJsonVersion;
    readonly file?: string;
  } = {},
): DerivationJsonDocument {
  return readDerivationJson(parseDerivationJsonBytes(bytes, { file: options.file }), options);
}

/** Converts one bare derivation JSON object of a known version (already schema-checked) to the model. */
export function derivationFromJson(
  value: unknown,
  options: DerivationJsonOptions & { readonly version?: DerivationJsonVersion } = {},
): Derivation {
  const doc = readDerivationJson(value, options);
  if (doc.entries.length !== 1) {
    throw new DerivationFormatError(
      "derivation-json.not-one",
      `expected one derivation, the document holds ${doc.entries.length}`,
    );
  }
  return doc.entries[0]!.drv;
}

// --- model → JSON -------------------------------------------------------------------------

/** Options of {@link derivationToJson}. */
export interface DerivationToJsonOptions extends DerivationJsonOptions {
  readonly version?: DerivationJsonVersion;
  /** Replace raw-byte values by their lossy UTF-8 decoding instead of throwing. */
  readonly lossy?: boolean;
  /** Name, when the derivation does not say (needed for fixed output paths and v3/v4 `name`). */
  readonly name?: string;
}

const lossyDecoder = new TextDecoder("utf-8", { ignoreBOM: true });

function textOf(v: DrvString, lossy: boolean, where: string): string {
  if (typeof v === "string") return v;
  if (lossy) return lossyDecoder.decode(v);
  throw new DerivationFormatError(
    "derivation.raw-bytes",
    `${where} is not valid UTF-8 and cannot be represented in a JSON object (use the byte-exact printer or lossy)`,
  );
}

function rec(entries: Iterable<[string, unknown]>): Record<string, unknown> {
  return Object.fromEntries(entries);
}

function outputSetToJson(set: OutputSet, forceObject: boolean): unknown {
  if (!forceObject && set.dynamicOutputs.size === 0) return [...set.outputs];
  return rec([
    ["dynamicOutputs", rec([...set.dynamicOutputs].map(([k, v]) => [k, outputSetToJson(v, true)]))],
    ["outputs", [...set.outputs]],
  ]);
}

function fixedPath(
  drv: Derivation,
  name: string,
  o: Extract<DerivationOutput, { kind: "caFixed" }>,
  storeDir: string,
  optName?: string,
): string {
  if (o.path !== undefined) return o.path;
  const n = optName ?? derivationName(drv);
  if (n === undefined)
    throw new DerivationFormatError(
      "derivation.missing-name",
      "cannot compute a fixed output path without the derivation name",
    );
  return fixedOutputStorePath(n, name, o, storeDir);
}

function outputToJson(
  drv: Derivation,
  name: string,
  o: DerivationOutput,
  version: DerivationJsonVersion,
  storeDir: string,
  optName: string | undefined,
): Record<string, unknown> {
  const rel = (p: string) =>
    version >= 3 && p.startsWith(`${storeDir}/`) ? p.slice(storeDir.length + 1) : p;
  switch (o.kind) {
    case "inputAddressed":
      return { path: rel(o.path) };
    case "deferred":
      return {};
    case "caFixed": {
      const path = rel(fixedPath(drv, name, o, storeDir, optName));
      if (version === 1) {
        return {
          path,
          hashAlgo: formatMethodAlgo(o.method, o.hash.algorithm),
          hash: formatDigest(o.hash, "base16"),
        };
      }
      if (version === 4) return { hash: formatHash(o.hash, "sri"), method: o.method };
      // Nix 2.32 (v3) stopped printing the path of fixed outputs: without the store directory
      // its serialiser could not compute it.
      const fixed = {
        hash: formatDigest(o.hash, "base16"),
        hashAlgo: o.hash.algorithm,
        method: o.method,
      };
      return version === 3 ? fixed : { ...fixed, path };
    }
    case "caFloating":
      return version === 1
        ? { hashAlgo: formatMethodAlgo(o.method, o.algorithm) }
        : { hashAlgo: o.algorithm, method: o.method };
    case "impure":
      return version === 1
        ? { hashAlgo: formatMethodAlgo(o.method, o.algorithm), impure: true }
        : { hashAlgo: o.algorithm, impure: true, method: o.method };
  }
}

/**
 * Converts a derivation to a JSON object of the given version (default 1, Nix 2.8's bare
 * shape). Keys come in the order Nix prints them.
 */
export function derivationToJson(
  drv: Derivation,
  options: DerivationToJsonOptions = {},
): Record<string, unknown> {
  const version = options.version ?? 1;
  const storeDir = options.storeDir ?? DEFAULT_STORE_DIR;
  const lossy = options.lossy === true;
  const rel = (p: string) =>
    version >= 3 && p.startsWith(`${storeDir}/`) ? p.slice(storeDir.length + 1) : p;
  const outputs = rec(
    [...drv.outputs].map(([k, o]) => [k, outputToJson(drv, k, o, version, storeDir, options.name)]),
  );
  const args = drv.args.map((a, i) => textOf(a, lossy, `argument ${i}`));
  let envEntries: [string, unknown][] = [...drv.env].map(([k, v]) => [
    hasRawByteChars(k) ? textOf(nameToBytes(k), lossy, "an environment variable name") : k,
    textOf(v, lossy, `environment variable ${quoteInput(k)}`),
  ]);
  let structuredAttrs: unknown;
  if (version >= 3) {
    const j = drv.env.get("__json");
    if (typeof j === "string") {
      try {
        structuredAttrs = JSON.parse(j);
        envEntries = envEntries.filter(([k]) => k !== "__json");
      } catch {
        structuredAttrs = undefined;
      }
    }
  }
  const env = rec(envEntries);
  // Nix 2.8 printed input derivations as lists of output names; since dynamic derivations
  // (Nix 2.18) every later shape has `{dynamicOutputs, outputs}` objects.
  const inputDrvs = rec(
    [...drv.inputDrvs].map(([k, v]) => [rel(k), outputSetToJson(v, version >= 2)]),
  );
  const inputSrcs = drv.inputSrcs.map(rel);
  if (version === 1) {
    const out: Record<string, unknown> = {};
    out.outputs = outputs;
    out.inputSrcs = inputSrcs;
    out.inputDrvs = inputDrvs;
    out.system = textOf(drv.system, lossy, "system");
    out.builder = textOf(drv.builder, lossy, "builder");
    out.args = args;
    out.env = env;
    return out;
  }
  const name = options.name ?? derivationName(drv);
  if (version === 2) {
    // Nix 2.23 to 2.31: no `version` field yet; keys sorted, as nlohmann::json prints them.
    return rec([
      ["args", args],
      ["builder", textOf(drv.builder, lossy, "builder")],
      ["env", env],
      ["inputDrvs", inputDrvs],
      ["inputSrcs", inputSrcs],
      ...(name === undefined ? [] : [["name", name] as [string, unknown]]),
      ["outputs", outputs],
      ["system", textOf(drv.system, lossy, "system")],
    ]);
  }
  if (name === undefined)
    throw new DerivationFormatError(
      "derivation.missing-name",
      "version 3 and 4 JSON need the derivation name",
    );
  if (version === 3) {
    return rec([
      ["args", args],
      ["builder", textOf(drv.builder, lossy, "builder")],
      ["env", env],
      ["inputDrvs", inputDrvs],
      ["inputSrcs", inputSrcs],
      ["name", name],
      ["outputs", outputs],
      ...(structuredAttrs === undefined
        ? []
        : [["structuredAttrs", structuredAttrs] as [string, unknown]]),
      ["system", textOf(drv.system, lossy, "system")],
      ["version", 3],
    ]);
  }
  return rec([
    ["args", args],
    ["builder", textOf(drv.builder, lossy, "builder")],
    ["env", env],
    [
      "inputs",
      rec([
        ["drvs", inputDrvs],
        ["srcs", inputSrcs],
      ]),
    ],
    ["name", name],
    ["outputs", outputs],
    ...(structuredAttrs === undefined
      ? []
      : [["structuredAttrs", structuredAttrs] as [string, unknown]]),
    ["system", textOf(drv.system, lossy, "system")],
    ["version", 4],
  ]);
}

/** The `{version: 4, derivations: {base: drv}}` document `nix derivation show` (Nix ≥ 2.33) prints. */
export function derivationsToJsonV4(
  entries: readonly { drvPath: string; drv: Derivation }[],
  options: DerivationToJsonOptions = {},
): Record<string, unknown> {
  const storeDir = options.storeDir ?? DEFAULT_STORE_DIR;
  const sorted = [...entries].sort((a, b) => compareUtf8(a.drvPath, b.drvPath));
  return {
    version: 4,
    derivations: rec(
      sorted.map((e) => [
        e.drvPath.startsWith(`${storeDir}/`) ? e.drvPath.slice(storeDir.length + 1) : e.drvPath,
        derivationToJson(e.drv, { ...options, version: 4 }),
      ]),
    ),
  };
}

/** Throws `JsonValidationError` with every problem (schema and rules, see {@link derivationJsonProblems}). */
export function assertDerivationJson(value: unknown, options: DerivationJsonOptions = {}): void {
  const problems = derivationJsonProblems(value, options);
  if (problems.length > 0) throw new JsonValidationError(problems);
}
