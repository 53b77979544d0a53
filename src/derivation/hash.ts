/**
 * Nix's derivation hashing: the drv path, `hashDerivationModulo`, output paths.
 *
 * ```text
 * drvPath          = makeTextPath(name ".drv", sha256(ATerm), inputSrcs ∪ keys(inputDrvs))
 *
 * hashDerivationModulo(drv, mask):
 *   fixed output   → { out: sha256("fixed:out:" methodAlgo ":" hex(hash) ":" outPath) }   regular
 *   impure         → every output ↦ sha256("impure")                                     deferred
 *   otherwise      → inputs' = { hex(hashModulo(input)[o]) ↦ outputs o wanted }          (merged)
 *                    h = sha256(ATerm(drv, inputDrvs := inputs', mask))
 *                    every output ↦ h; deferred if floating or any input is deferred
 *   (inputs are hashed with mask = false: their output paths stay in place)
 *   dynamic outputs: only each input's static output names enter inputs' (an input wanted
 *   only for dynamic outputs drops out), but the ATerm keeps the `DrvWithVersion` form when
 *   the derivation's own inputs have dynamic outputs (Nix 2.18 to 2.3x, `Derivation::unparse`;
 *   the 2026 rework in Nix master gives such a derivation no hash modulo until resolved)
 *
 * output path of o = makeOutputPath(o, hashDerivationModulo(drv, mask = true)[o], name)
 * ```
 *
 * Input derivations come from a {@link DerivationLookup} (sync or async) and their hashes
 * are memoised in a {@link DrvHashCache} shared between calls.
 *
 * @module
 */

import { base16Encode } from "../core/base16.js";
import { formatMethodAlgo } from "../core/content-address.js";
import { formatDigest } from "../core/hash.js";
import { hashBytes } from "../core/hasher.js";
import {
  DEFAULT_STORE_DIR,
  parseStorePath,
  type StorePath,
  storePathToAbsolute,
} from "../core/store-path.js";
import {
  makeFixedOutputPath,
  makeOutputPath,
  makeTextPath,
  outputPathName,
} from "../core/store-path-compute.js";
import { quoteInput } from "../core/errors.js";
import { printDerivationATerm } from "./aterm-print.js";
import { DerivationFormatError, DerivationValidationError } from "./errors.js";
import { derivationKind } from "./kind.js";
import { type CaFixedOutput, type Derivation, derivationName, type OutputSet } from "./types.js";

/** The result of `hashDerivationModulo`: one sha256 digest per output, and whether it is final. */
export interface DrvHash {
  /** `regular`: the hashes determine output paths; `deferred`: they depend on floating CA inputs. */
  readonly kind: "regular" | "deferred";
  /** Output name → 32-byte sha256 digest. */
  readonly hashes: ReadonlyMap<string, Uint8Array>;
}

/** Reads an input derivation given its absolute drv path. */
export type DerivationLookup = (drvPath: string) => Derivation | Promise<Derivation>;

/** Synchronous {@link DerivationLookup}. */
export type DerivationLookupSync = (drvPath: string) => Derivation;

/** Memo of input derivations' hashes, keyed by absolute drv path. */
export type DrvHashCache = Map<string, DrvHash | Promise<DrvHash>>;

/** Options of the hashing functions. */
export interface DerivationHashOptions {
  /** Store directory (default `/nix/store`). */
  readonly storeDir?: string;
  /** Blank output paths and their env variables (Nix's `maskOutputs`). Default false. */
  readonly maskOutputs?: boolean;
  /** The derivation's name, if `drv.name` / env `name` do not say. */
  readonly name?: string;
}

/** Options with an async lookup. */
export interface HashModuloOptions extends DerivationHashOptions {
  /** Reads input derivations. Required when the derivation has any. */
  readonly lookup?: DerivationLookup;
  /** Memo shared across calls (pre-fill it to supply known hashes). */
  readonly cache?: DrvHashCache;
}

/** Options with a sync lookup. */
export interface HashModuloSyncOptions extends DerivationHashOptions {
  readonly lookup?: DerivationLookupSync;
  readonly cache?: DrvHashCache;
}

function requireName(drv: Derivation, options: { name?: string }): string {
  const name = options.name ?? derivationName(drv);
  if (name === undefined) {
    throw new DerivationFormatError(
      "derivation.missing-name",
      "the derivation has no name (no env 'name', none in __json, none given)",
    );
  }
  return name;
}

/** The name of a derivation from its drv path (`/nix/store/<hash>-<name>.drv` → `<name>`). */
export function nameFromDrvPath(drvPath: string, storeDir = DEFAULT_STORE_DIR): string {
  const sp = parseStorePath(drvPath, { storeDir });
  if (!sp.name.endsWith(".drv")) {
    throw new DerivationFormatError(
      "derivation.not-a-drv-path",
      `${quoteInput(drvPath)} is not a derivation path (it does not end in .drv)`,
    );
  }
  return sp.name.slice(0, -4);
}

/** The store path of a fixed output, computed from name, method and hash. */
export function fixedOutputStorePath(
  drvName: string,
  outputName: string,
  output: CaFixedOutput,
  storeDir = DEFAULT_STORE_DIR,
): string {
  const sp = makeFixedOutputPath(
    outputPathName(drvName, outputName),
    { method: output.method, hash: output.hash },
    [],
    { storeDir },
  );
  return storePathToAbsolute(sp, storeDir);
}

/**
 * The string a fixed-output derivation's hash modulo is the sha256 of:
 * `fixed:out:<methodAlgo>:<hex>:<path>` (no trailing colon after the path).
 */
export function fixedOutputHashInput(output: CaFixedOutput, path: string): string {
  return `fixed:out:${formatMethodAlgo(output.method, output.hash.algorithm)}:${formatDigest(output.hash, "base16")}:${path}`;
}

const IMPURE_HASH = hashBytes("sha256", "impure");

/** The hash modulo when it does not depend on inputs (fixed, impure); undefined otherwise. */
function shortcutHash(drv: Derivation, options: DerivationHashOptions): DrvHash | undefined {
  const kind = derivationKind(drv);
  if (kind.kind === "fixed") {
    const storeDir = options.storeDir ?? DEFAULT_STORE_DIR;
    const name = options.name ?? derivationName(drv);
    const path =
      name !== undefined
        ? fixedOutputStorePath(name, "out", kind.output, storeDir)
        : kind.output.path;
    if (path === undefined) requireName(drv, options);
    const h = hashBytes("sha256", fixedOutputHashInput(kind.output, path!));
    return { kind: "regular", hashes: new Map([["out", h]]) };
  }
  if (kind.kind === "impure") {
    return {
      kind: "deferred",
      hashes: new Map([...drv.outputs.keys()].map((k) => [k, IMPURE_HASH])),
    };
  }
  return undefined;
}

const NO_DYN: ReadonlyMap<string, OutputSet> = new Map();

function mergeSets(a: OutputSet, b: OutputSet): OutputSet {
  const dyn = new Map(a.dynamicOutputs);
  for (const [k, v] of b.dynamicOutputs) {
    const prev = dyn.get(k);
    dyn.set(k, prev === undefined ? v : mergeSets(prev, v));
  }
  return { outputs: [...new Set([...a.outputs, ...b.outputs])], dynamicOutputs: dyn };
}

function hashWithInputs(
  drv: Derivation,
  options: DerivationHashOptions,
  inputHash: (drvPath: string) => DrvHash,
): DrvHash {
  const kind = derivationKind(drv);
  let deferred = kind.kind === "floating";
  const actualInputs = new Map<string, OutputSet>();
  for (const [path, set] of drv.inputDrvs) {
    const res = inputHash(path);
    if (res.kind === "deferred") deferred = true;
    for (const o of set.outputs) {
      const h = res.hashes.get(o);
      if (h === undefined) {
        throw new DerivationValidationError(
          "derivation.missing-input-output",
          `input derivation ${quoteInput(path)} has no output ${quoteInput(o)}`,
          { rule: "inputDrvs" },
        );
      }
      // Nix keeps only the output names here (dynamic outputs do not enter the hash).
      const key = base16Encode(h);
      const node: OutputSet = { outputs: [o], dynamicOutputs: NO_DYN };
      const prev = actualInputs.get(key);
      actualInputs.set(key, prev === undefined ? node : mergeSets(prev, node));
    }
  }
  const aterm = printDerivationATerm(drv, {
    maskOutputs: options.maskOutputs,
    actualInputs,
    storeDir: options.storeDir,
  });
  const h = hashBytes("sha256", aterm);
  const hashes = new Map<string, Uint8Array>();
  for (const o of drv.outputs.keys()) hashes.set(o, h);
  return { kind: deferred ? "deferred" : "regular", hashes };
}

function withPathName(drv: Derivation, drvPath: string, storeDir: string): Derivation {
  if (drv.name !== undefined) return drv;
  try {
    return { ...drv, name: nameFromDrvPath(drvPath, storeDir) };
  } catch {
    return drv;
  }
}

function missingLookup(path: string): never {
  throw new DerivationFormatError(
    "derivation.missing-lookup",
    `cannot hash input derivation ${quoteInput(path)}: no lookup was given and it is not in the cache`,
  );
}

/** What the hashing walk asks its driver for: read an input derivation, or await a cached promise. */
type WalkRequest =
  { readonly lookup: string } | { readonly await: Promise<DrvHash>; readonly path: string };

/** One derivation of the walk whose inputs are being hashed. */
interface WalkFrame {
  readonly drv: Derivation;
  /** Its drv path; undefined for the derivation the walk started from. */
  readonly path: string | undefined;
  readonly options: DerivationHashOptions;
  readonly inputs: Iterator<string>;
}

function cycleError(path: string, stack: readonly WalkFrame[]): DerivationFormatError {
  const from = stack.findIndex((f) => f.path === path);
  const chain = [...stack.slice(from).map((f) => f.path!), path];
  const shown =
    chain.length <= 6
      ? chain
      : [...chain.slice(0, 3), `... (${chain.length - 5} more)`, ...chain.slice(-2)];
  return new DerivationFormatError(
    "derivation.input-cycle",
    `input derivations form a cycle: ${shown.map((p) => quoteInput(p)).join(" -> ")}`,
    { rule: "inputDrvs" },
  );
}

/**
 * `hashDerivationModulo` as a walk over the input derivations with its own stack (a chain of
 * inputs thousands deep, as in real closures, uses no call stack), each input hashed once
 * (memoised in `cache`) and a cycle refused (`derivation.input-cycle`). It yields what it
 * needs read and is driven by {@link hashDerivationModulo} (async lookups) or
 * {@link hashDerivationModuloSync}.
 */
function* hashModuloWalk(
  drv: Derivation,
  options: DerivationHashOptions,
  cache: DrvHashCache,
  awaitPromises: boolean,
): Generator<WalkRequest, DrvHash, Derivation | DrvHash> {
  const short = shortcutHash(drv, options);
  if (short !== undefined) return short;
  const storeDir = options.storeDir ?? DEFAULT_STORE_DIR;
  const onStack = new Set<string>();
  const stack: WalkFrame[] = [{ drv, path: undefined, options, inputs: drv.inputDrvs.keys() }];
  const inputOptions: DerivationHashOptions = { storeDir, maskOutputs: false };
  const known = (path: string): DrvHash | undefined => {
    const entry = cache.get(path);
    return entry === undefined || entry instanceof Promise ? undefined : entry;
  };
  for (;;) {
    const frame = stack[stack.length - 1]!;
    const next = frame.inputs.next();
    if (next.done === true) {
      const h = hashWithInputs(frame.drv, frame.options, (p) => known(p)!);
      stack.pop();
      if (frame.path === undefined) return h;
      onStack.delete(frame.path);
      cache.set(frame.path, h);
      continue;
    }
    const path = next.value;
    if (known(path) !== undefined) continue;
    if (onStack.has(path)) throw cycleError(path, stack);
    const pending = cache.get(path);
    if (pending instanceof Promise && awaitPromises) {
      cache.set(path, (yield { await: pending, path }) as DrvHash);
      continue;
    }
    const input = withPathName((yield { lookup: path }) as Derivation, path, storeDir);
    const short = shortcutHash(input, inputOptions);
    if (short !== undefined) {
      cache.set(path, short);
      continue;
    }
    onStack.add(path);
    stack.push({ drv: input, path, options: inputOptions, inputs: input.inputDrvs.keys() });
  }
}

/**
 * Nix's `hashDerivationModulo`. Input derivations are read with `options.lookup` and hashed
 * with their output paths in place; results are memoised in `options.cache` (a cached
 * promise is awaited). Chains of any depth are walked without recursion; input derivations
 * that form a cycle are refused with `derivation.input-cycle`.
 */
export async function hashDerivationModulo(
  drv: Derivation,
  options: HashModuloOptions = {},
): Promise<DrvHash> {
  const cache = options.cache ?? new Map();
  const lookup = options.lookup ?? missingLookup;
  const walk = hashModuloWalk(drv, options, cache, true);
  let step = walk.next();
  while (step.done !== true) {
    const request = step.value;
    step = walk.next("lookup" in request ? await lookup(request.lookup) : await request.await);
  }
  return step.value;
}

/**
 * Synchronous {@link hashDerivationModulo} (sync lookup; a cached promise counts as absent
 * and the input is read and hashed again).
 */
export function hashDerivationModuloSync(
  drv: Derivation,
  options: HashModuloSyncOptions = {},
): DrvHash {
  const cache = options.cache ?? new Map();
  const lookup = options.lookup ?? missingLookup;
  const walk = hashModuloWalk(drv, options, cache, false);
  let step = walk.next();
  while (step.done !== true) {
    const request = step.value as { lookup: string };
    step = walk.next(lookup(request.lookup));
  }
  return step.value;
}

/** Lowercase hex of the hash modulo of output `out` (or the first output): what `derivation hash-modulo` prints. */
export function drvHashHex(h: DrvHash): string {
  const v = h.hashes.get("out") ?? h.hashes.values().next().value;
  if (v === undefined) {
    throw new DerivationFormatError("derivation.no-outputs", "the derivation has no outputs");
  }
  return base16Encode(v);
}

/** Options of {@link derivationPath}. */
export interface DerivationPathOptions {
  readonly storeDir?: string;
  readonly name?: string;
}

/**
 * The drv path Nix writes the derivation to: a text path named `<name>.drv` over the ATerm,
 * with the input sources and input derivations as references.
 */
export function derivationStorePath(
  drv: Derivation,
  options: DerivationPathOptions = {},
): StorePath {
  const name = requireName(drv, options);
  const aterm = printDerivationATerm(drv, { storeDir: options.storeDir });
  const refs = [...drv.inputSrcs, ...drv.inputDrvs.keys()];
  return makeTextPath(
    `${name}.drv`,
    { algorithm: "sha256", digest: hashBytes("sha256", aterm) },
    refs,
    { storeDir: options.storeDir },
  );
}

/** {@link derivationStorePath} as an absolute path string. */
export function derivationPath(drv: Derivation, options: DerivationPathOptions = {}): string {
  return storePathToAbsolute(derivationStorePath(drv, options), options.storeDir);
}

/** Output name → absolute path, or `undefined` where it cannot be known yet (floating, impure, deferred). */
export type OutputPaths = Map<string, string | undefined>;

function outputPathsFrom(
  drv: Derivation,
  name: string,
  h: DrvHash | undefined,
  storeDir: string,
): OutputPaths {
  const out: OutputPaths = new Map();
  for (const [o, spec] of drv.outputs) {
    if (spec.kind === "caFixed") out.set(o, fixedOutputStorePath(name, o, spec, storeDir));
    else if (spec.kind === "inputAddressed" || spec.kind === "deferred") {
      const digest = h?.kind === "regular" ? h.hashes.get(o) : undefined;
      out.set(
        o,
        digest === undefined
          ? undefined
          : storePathToAbsolute(makeOutputPath(o, digest, name, { storeDir }), storeDir),
      );
    } else out.set(o, undefined);
  }
  return out;
}

/**
 * Computes every output path from scratch, ignoring the paths written in the derivation
 * (as `builtins.derivation` does: the hash modulo with outputs masked).
 */
export async function computeOutputPaths(
  drv: Derivation,
  options: HashModuloOptions = {},
): Promise<OutputPaths> {
  const name = requireName(drv, options);
  const storeDir = options.storeDir ?? DEFAULT_STORE_DIR;
  const kind = derivationKind(drv);
  const h =
    kind.kind === "inputAddressed"
      ? await hashDerivationModulo(drv, { ...options, name, maskOutputs: true })
      : undefined;
  return outputPathsFrom(drv, name, h, storeDir);
}

/** Synchronous {@link computeOutputPaths}. */
export function computeOutputPathsSync(
  drv: Derivation,
  options: HashModuloSyncOptions = {},
): OutputPaths {
  const name = requireName(drv, options);
  const storeDir = options.storeDir ?? DEFAULT_STORE_DIR;
  const kind = derivationKind(drv);
  const h =
    kind.kind === "inputAddressed"
      ? hashDerivationModuloSync(drv, { ...options, name, maskOutputs: true })
      : undefined;
  return outputPathsFrom(drv, name, h, storeDir);
}
