/**
 * Computing store paths, as Nix's `Store::makeStorePath` and friends do.
 *
 * ```text
 * fingerprint = type ":sha256:" hex(inner) ":" store-dir ":" name
 * hash-part   = nixbase32(compress20(sha256(fingerprint)))
 *
 * type for text         = "text" (":" ref)*                         refs sorted
 * type for NAR sha256   = "source" (":" ref)* [":self"]
 * type for other fixed  = "output:out" with inner = sha256("fixed:out:" ["r:" | "git:"] algo ":" hex ":")
 *                         (git: sha1 or sha256 only, as modern Nix's makeFixedOutputPath)
 * type for an output    = "output:" output-name, inner = hashDerivationModulo
 * ```
 *
 * `compress20` folds a digest to 20 bytes by XOR: `out[i % 20] ^= digest[i]`.
 *
 * @module
 */
import { isBytes } from "./bytes.js";
import type { ContentAddress } from "./content-address.js";
import { MalformedInputError } from "./errors.js";
import { formatHash, type Hash } from "./hash.js";
import { hashBytes } from "./hasher.js";
import { nixbase32Encode } from "./nixbase32.js";
import {
  DEFAULT_STORE_DIR,
  STORE_PATH_DIGEST_SIZE,
  type StorePath,
  type StorePathOptions,
  storePathToAbsolute,
  validateStorePathName,
} from "./store-path.js";

/** A reference given either parsed or as an absolute path string. */
export type StorePathLike = StorePath | string;

/** Error for inputs that cannot produce a store path (e.g. references on a flat fixed output). */
export class StorePathComputeError extends MalformedInputError {}

/** Folds `digest` to `size` bytes by XOR, as Nix's `compressHash`. */
export function compressHash(digest: Uint8Array, size: number): Uint8Array {
  const out = new Uint8Array(size);
  for (let i = 0; i < digest.length; i++) out[i % size]! ^= digest[i]!;
  return out;
}

function absolute(ref: StorePathLike, storeDir: string): string {
  return typeof ref === "string" ? ref : storePathToAbsolute(ref, storeDir);
}

/** Sorted, de-duplicated absolute paths of `refs`. */
export function sortedReferencePaths(
  refs: readonly StorePathLike[],
  storeDir = DEFAULT_STORE_DIR,
): string[] {
  const set = new Set(refs.map((r) => absolute(r, storeDir)));
  return [...set].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Builds a type string `type:ref1:ref2[:self]` from references (sorted). */
export function makeStorePathType(
  type: string,
  references: readonly StorePathLike[],
  selfReference = false,
  storeDir = DEFAULT_STORE_DIR,
): string {
  let out = type;
  for (const ref of sortedReferencePaths(references, storeDir)) out += `:${ref}`;
  if (selfReference) out += ":self";
  return out;
}

/**
 * The generic `makeStorePath`: `type`, an inner sha256 hash, and a name. Validates the name.
 */
export function makeStorePath(
  type: string,
  inner: Hash,
  name: string,
  options: StorePathOptions = {},
): StorePath {
  const storeDir = options.storeDir ?? DEFAULT_STORE_DIR;
  validateStorePathName(name, options);
  const fingerprint = `${type}:${formatHash(inner, "base16")}:${storeDir}:${name}`;
  const digest = compressHash(hashBytes("sha256", fingerprint), STORE_PATH_DIGEST_SIZE);
  return { hash: nixbase32Encode(digest), name };
}

/** The path of a text object (`builtins.toFile`, `.drv` files): sha256 of the contents plus references. */
export function makeTextPath(
  name: string,
  textHash: Hash,
  references: readonly StorePathLike[] = [],
  options: StorePathOptions = {},
): StorePath {
  if (textHash.algorithm !== "sha256") {
    throw new StorePathComputeError(
      "store-path.text-not-sha256",
      `text paths are hashed with sha256, not ${textHash.algorithm}`,
    );
  }
  const type = makeStorePathType("text", references, false, options.storeDir);
  return makeStorePath(type, textHash, name, options);
}

/** Options for {@link makeFixedOutputPath}. */
export interface FixedOutputPathOptions extends StorePathOptions {
  /** The object refers to itself (only for NAR sha256). */
  readonly selfReference?: boolean;
}

/**
 * The path of a content-addressed object: `nix-store --add` (NAR sha256, the `source` case),
 * `nix-store --add-fixed [--recursive] algo` and fixed-output derivation outputs.
 */
export function makeFixedOutputPath(
  name: string,
  ca: ContentAddress,
  references: readonly StorePathLike[] = [],
  options: FixedOutputPathOptions = {},
): StorePath {
  const storeDir = options.storeDir ?? DEFAULT_STORE_DIR;
  if (ca.method === "text") {
    if (options.selfReference) {
      throw new StorePathComputeError(
        "store-path.text-self-reference",
        "text objects cannot refer to themselves",
      );
    }
    return makeTextPath(name, ca.hash, references, options);
  }
  if (ca.method === "git" && ca.hash.algorithm !== "sha1" && ca.hash.algorithm !== "sha256") {
    throw new StorePathComputeError(
      "store-path.git-algorithm",
      `Git file ingestion must use SHA-1 or SHA-256 hash, but instead using: ${ca.hash.algorithm}`,
    );
  }
  if (ca.method === "nar" && ca.hash.algorithm === "sha256") {
    const type = makeStorePathType("source", references, options.selfReference ?? false, storeDir);
    return makeStorePath(type, ca.hash, name, options);
  }
  if (references.length > 0 || options.selfReference) {
    throw new StorePathComputeError(
      "store-path.fixed-with-references",
      "fixed-output paths other than NAR sha256 cannot have references",
    );
  }
  const inner = hashBytes(
    "sha256",
    `fixed:out:${ca.method === "nar" ? "r:" : ca.method === "git" ? "git:" : ""}${formatHash(ca.hash, "base16")}:`,
  );
  return makeStorePath("output:out", { algorithm: "sha256", digest: inner }, name, options);
}

/** The name of an output path: `name` for `out`, else `name-output`. */
export function outputPathName(drvName: string, outputName: string): string {
  return outputName === "out" ? drvName : `${drvName}-${outputName}`;
}

/** The path of an input-addressed derivation output, from the derivation's hash modulo. */
export function makeOutputPath(
  outputName: string,
  drvHashModulo: Uint8Array | Hash,
  drvName: string,
  options: StorePathOptions = {},
): StorePath {
  const inner: Hash = isBytes(drvHashModulo)
    ? { algorithm: "sha256", digest: drvHashModulo }
    : drvHashModulo;
  return makeStorePath(`output:${outputName}`, inner, outputPathName(drvName, outputName), options);
}

/** The placeholder Nix substitutes for an output's path in a derivation (`builtins.placeholder`). */
export function hashPlaceholder(outputName: string): string {
  return `/${nixbase32Encode(hashBytes("sha256", `nix-output:${outputName}`))}`;
}

/**
 * The placeholder for an output of a content-addressed input derivation whose path is not
 * known yet (Nix's `DownstreamPlaceholder::unknownCaOutput`).
 */
export function downstreamPlaceholder(drvPath: StorePath, outputName: string): string {
  const drvName = drvPath.name.endsWith(".drv") ? drvPath.name.slice(0, -4) : drvPath.name;
  const clear = `nix-upstream-output:${drvPath.hash}:${outputPathName(drvName, outputName)}`;
  return `/${nixbase32Encode(hashBytes("sha256", clear))}`;
}
