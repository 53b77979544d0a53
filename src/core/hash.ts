/**
 * Nix hashes: an algorithm and a digest, in every text form Nix reads and prints.
 *
 * ```text
 * prefixed  = algo ":" digest            digest in base16, nix32 or base64, told apart by length
 * sri       = algo "-" base64-digest
 * bare      = digest                     only when the algorithm is known from context
 * algo      = "md5" | "sha1" | "sha256" | "sha512"
 * ```
 *
 * Digest lengths per encoding (base16 / nix32 / base64): md5 32/26/24, sha1 40/32/28,
 * sha256 64/52/44, sha512 128/103/88. These never collide, so the encoding of a digest is
 * known from its length, exactly as in Nix's `Hash::parseAny`.
 *
 * @module
 */
import { base16Decode, base16Encode } from "./base16.js";
import { base64Decode, base64Encode, base64EncodedLength } from "./base64.js";
import { MalformedInputError, NixCompatError, quoteInput } from "./errors.js";
import {
  HASH_SIZES,
  type HashAlgorithm,
  isHashAlgorithm,
  UnknownHashAlgorithmError,
} from "./hash-algorithm.js";
import { hashBytes } from "./hasher.js";
import { nixbase32Decode, nixbase32Encode, nixbase32EncodedLength } from "./nixbase32.js";

/** A hash value: which algorithm, and the raw digest bytes. */
export interface Hash {
  readonly algorithm: HashAlgorithm;
  readonly digest: Uint8Array;
}

/** The text encodings of a digest Nix knows. `nix32` is Nix's base-32 (`--base32`). */
export type HashEncoding = "base16" | "nix32" | "base64" | "sri";

/** Every encoding, for iteration. */
export const HASH_ENCODINGS: readonly HashEncoding[] = ["base16", "nix32", "base64", "sri"];

/** Error for a hash that Nix would not accept. */
export class HashError extends MalformedInputError {}

/** Options for {@link parseHash}. */
export interface ParseHashOptions {
  /**
   * The algorithm known from context (`--type`). Required for a bare digest; when the text is
   * prefixed or SRI, its algorithm must match this one.
   */
  readonly algorithm?: HashAlgorithm;
  /** Accept SRI form (`sha256-...`). Default true. */
  readonly allowSri?: boolean;
}

/** Builds a Hash, checking the digest size for the algorithm. */
export function makeHash(algorithm: HashAlgorithm, digest: Uint8Array): Hash {
  if (digest.length !== HASH_SIZES[algorithm]) {
    throw new HashError(
      "hash.invalid-length",
      `a ${algorithm} digest has ${HASH_SIZES[algorithm]} bytes, got ${digest.length}`,
    );
  }
  return { algorithm, digest };
}

/** Computes the hash of bytes (or UTF-8 text) with `algorithm`. */
export function computeHash(algorithm: HashAlgorithm, data: Uint8Array | string): Hash {
  return { algorithm, digest: hashBytes(algorithm, data) };
}

/**
 * Parses a hash in any form Nix accepts: `algo:digest` (digest in base16, nix32 or base64),
 * SRI `algo-base64`, or a bare digest when `options.algorithm` is given.
 */
export function parseHash(text: string, options: ParseHashOptions = {}): Hash {
  const colon = text.indexOf(":");
  if (colon >= 0) {
    const algo = text.slice(0, colon);
    return parseDigestFor(text, checkAlgorithm(text, algo, options.algorithm), colon + 1, false);
  }
  const dash = text.indexOf("-");
  if (dash >= 0 && options.allowSri !== false) {
    const algo = text.slice(0, dash);
    return parseDigestFor(text, checkAlgorithm(text, algo, options.algorithm), dash + 1, true);
  }
  if (options.algorithm === undefined) {
    throw new HashError(
      "hash.missing-algorithm",
      `hash ${quoteInput(text)} does not include a type, nor is the type otherwise known from context`,
    );
  }
  return parseDigestFor(text, options.algorithm, 0, false);
}

/** Parses a bare digest (no prefix) of a known algorithm, in base16, nix32 or base64. */
export function parseDigest(algorithm: HashAlgorithm, digest: string): Hash {
  return parseDigestFor(digest, algorithm, 0, false);
}

function checkAlgorithm(
  text: string,
  algo: string,
  expected: HashAlgorithm | undefined,
): HashAlgorithm {
  if (!isHashAlgorithm(algo)) {
    const err = new UnknownHashAlgorithmError(algo, { index: 0 });
    throw new HashError(err.code, `hash ${quoteInput(text)}: ${err.detail}`, { index: 0 });
  }
  if (expected !== undefined && expected !== algo) {
    throw new HashError(
      "hash.algorithm-mismatch",
      `hash ${quoteInput(text)} should have type ${quoteInput(expected)}`,
      {
        index: 0,
      },
    );
  }
  return algo;
}

function parseDigestFor(text: string, algorithm: HashAlgorithm, start: number, sri: boolean): Hash {
  const digestText = text.slice(start);
  const size = HASH_SIZES[algorithm];
  try {
    if (sri) {
      if (digestText.length !== base64EncodedLength(size))
        throw wrongLength(text, algorithm, digestText);
      return { algorithm, digest: base64Decode(digestText) };
    }
    if (digestText.length === size * 2) return { algorithm, digest: base16Decode(digestText) };
    if (digestText.length === nixbase32EncodedLength(size)) {
      return { algorithm, digest: nixbase32Decode(digestText) };
    }
    if (digestText.length === base64EncodedLength(size)) {
      return { algorithm, digest: base64Decode(digestText) };
    }
  } catch (err) {
    if (err instanceof HashError) throw err;
    if (err instanceof NixCompatError) {
      const index = err.position.index === undefined ? undefined : err.position.index + start;
      throw new HashError(err.code, `hash ${quoteInput(text)}: ${err.detail}`, { index });
    }
    throw err;
  }
  throw wrongLength(text, algorithm, digestText);
}

function wrongLength(text: string, algorithm: HashAlgorithm, digest: string): HashError {
  const size = HASH_SIZES[algorithm];
  return new HashError(
    "hash.invalid-length",
    `hash ${quoteInput(text)} has wrong length for hash type ${quoteInput(algorithm)}: digest has ${digest.length} characters, ` +
      `expected ${size * 2} (base16), ${nixbase32EncodedLength(size)} (nix32) or ${base64EncodedLength(size)} (base64)`,
  );
}

/** Prints only the digest, without the algorithm. For `sri` this is the base64 digest. */
export function formatDigest(hash: Hash, encoding: Exclude<HashEncoding, "sri"> | "sri"): string {
  switch (encoding) {
    case "base16":
      return base16Encode(hash.digest);
    case "nix32":
      return nixbase32Encode(hash.digest);
    case "base64":
    case "sri":
      return base64Encode(hash.digest);
  }
}

/**
 * Prints a hash with its algorithm: `sha256:<digest>` for base16, nix32 and base64, or
 * `sha256-<base64>` for SRI (the default).
 */
export function formatHash(hash: Hash, encoding: HashEncoding = "sri"): string {
  if (encoding === "sri") return `${hash.algorithm}-${base64Encode(hash.digest)}`;
  return `${hash.algorithm}:${formatDigest(hash, encoding)}`;
}

/** True if two hashes have the same algorithm and digest. */
export function hashEquals(a: Hash, b: Hash): boolean {
  if (a.algorithm !== b.algorithm || a.digest.length !== b.digest.length) return false;
  for (let i = 0; i < a.digest.length; i++) if (a.digest[i] !== b.digest[i]) return false;
  return true;
}
