/**
 * The hash algorithms Nix knows, with their digest sizes.
 *
 * Nix (2.8 and later) accepts `md5`, `sha1`, `sha256` and `sha512` everywhere a hash type is
 * named; newer Nix adds `blake3`, which this library does not support yet.
 *
 * @module
 */
import { MalformedInputError, quoteInput } from "./errors.js";

/** A hash algorithm name as Nix spells it. */
export type HashAlgorithm = "md5" | "sha1" | "sha256" | "sha512";

/** Every supported algorithm, in Nix's order. */
export const HASH_ALGORITHMS: readonly HashAlgorithm[] = ["md5", "sha1", "sha256", "sha512"];

/** Digest size in bytes of each algorithm. */
export const HASH_SIZES: Readonly<Record<HashAlgorithm, number>> = {
  md5: 16,
  sha1: 20,
  sha256: 32,
  sha512: 64,
};

/** True if `name` is a supported algorithm name. */
export function isHashAlgorithm(name: string): name is HashAlgorithm {
  return name === "md5" || name === "sha1" || name === "sha256" || name === "sha512";
}

/** Error for an unknown or unsupported hash algorithm name. */
export class UnknownHashAlgorithmError extends MalformedInputError {
  constructor(name: string, options: { index?: number } = {}) {
    super(
      "hash.unknown-algorithm",
      `unknown hash algorithm ${quoteInput(name)}, expected one of ${HASH_ALGORITHMS.join(", ")}`,
      options,
    );
  }
}

/** Parses an algorithm name, throwing {@link UnknownHashAlgorithmError} if Nix would not accept it. */
export function parseHashAlgorithm(name: string): HashAlgorithm {
  if (isHashAlgorithm(name)) return name;
  throw new UnknownHashAlgorithmError(name);
}
