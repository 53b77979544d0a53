/**
 * The hash algorithms Nix knows, with their digest sizes.
 *
 * Nix (2.8 and later) accepts `md5`, `sha1`, `sha256` and `sha512` everywhere a hash type is
 * named; newer Nix (behind its `blake3-hashes` experimental feature) adds `blake3` (32-byte
 * digests, the BLAKE3 default output length), which this library accepts everywhere too.
 *
 * @module
 */
import { MalformedInputError, quoteInput } from "./errors.js";

/** A hash algorithm name as Nix spells it. */
export type HashAlgorithm = "md5" | "sha1" | "sha256" | "sha512" | "blake3";

/** Every supported algorithm, in Nix's order. */
export const HASH_ALGORITHMS: readonly HashAlgorithm[] = [
  "md5",
  "sha1",
  "sha256",
  "sha512",
  "blake3",
];

/** The algorithms Nix 2.8 knows (all but `blake3`): what data meant for Nix 2.8 may use. */
export const NIX_2_8_HASH_ALGORITHMS: readonly HashAlgorithm[] = [
  "md5",
  "sha1",
  "sha256",
  "sha512",
];

/** Digest size in bytes of each algorithm. */
export const HASH_SIZES: Readonly<Record<HashAlgorithm, number>> = {
  md5: 16,
  sha1: 20,
  sha256: 32,
  sha512: 64,
  blake3: 32,
};

/** True if `name` is a supported algorithm name. */
export function isHashAlgorithm(name: string): name is HashAlgorithm {
  return (
    name === "md5" || name === "sha1" || name === "sha256" || name === "sha512" || name === "blake3"
  );
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
