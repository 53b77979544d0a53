/**
 * Nix hashes: an algorithm and a digest, in every text form Nix reads and prints.
 *
 * ```text
 * prefixed  = algo ":" digest            digest in base16, nix32 or base64, told apart by length
 * sri       = algo "-" base64-digest
 * bare      = digest                     only when the algorithm is known from context
 * algo      = "md5" | "sha1" | "sha256" | "sha512" | "blake3"
 * ```
 *
 * Digest lengths per encoding (base16 / nix32 / base64): md5 32/26/24, sha1 40/32/28,
 * sha256 and blake3 64/52/44, sha512 128/103/88. These never collide, so the encoding of a
 * digest is known from its length, exactly as in Nix's `Hash::parseAny`.
 *
 * Base64 is read as Nix 2.8 reads it ({@link base64DecodeAsNix}): an SRI digest may have any
 * length that decodes to exactly the digest size (no padding, extra `=`, anything after the
 * first `=`, non-zero trailing bits, `\n` skipped); a prefixed or bare base64 digest must
 * have the padded length and decode to the digest size. A truncated digest is refused.
 * `{ strict: true }` asks for the canonical padded spelling only.
 *
 * @module
 */
import { base16Decode, base16Encode } from "./base16.js";
import { base64Decode, base64DecodeAsNix, base64Encode, base64EncodedLength } from "./base64.js";
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
  /**
   * Accept only the canonical padded base64 (zero trailing bits), refusing the spellings
   * Nix 2.8 also reads. Default false.
   */
  readonly strict?: boolean;
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
    const algorithm = checkAlgorithm(text, algo, options.algorithm);
    return parseDigestFor(text, algorithm, colon + 1, false, options.strict);
  }
  const dash = text.indexOf("-");
  if (dash >= 0 && options.allowSri !== false) {
    const algo = text.slice(0, dash);
    const algorithm = checkAlgorithm(text, algo, options.algorithm);
    return parseDigestFor(text, algorithm, dash + 1, true, options.strict);
  }
  if (options.algorithm === undefined) {
    throw new HashError(
      "hash.missing-algorithm",
      `hash ${quoteInput(text)} does not include a type, nor is the type otherwise known from context`,
    );
  }
  return parseDigestFor(text, options.algorithm, 0, false, options.strict);
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

function parseDigestFor(
  text: string,
  algorithm: HashAlgorithm,
  start: number,
  sri: boolean,
  strict = false,
): Hash {
  const digestText = text.slice(start);
  const size = HASH_SIZES[algorithm];
  const base64 = (): Hash => {
    const digest = strict ? base64Decode(digestText) : base64DecodeAsNix(digestText);
    if (digest.length !== size) {
      throw new HashError(
        "hash.invalid-length",
        `invalid ${sri ? "SRI" : "base-64"} hash '${text}': a ${algorithm} digest has ${size} bytes, ` +
          `its base64 gives ${digest.length}`,
      );
    }
    return { algorithm, digest };
  };
  try {
    if (sri) {
      if (strict && digestText.length !== base64EncodedLength(size))
        throw wrongLength(text, algorithm, digestText);
      return base64();
    }
    if (digestText.length === size * 2) return { algorithm, digest: base16Decode(digestText) };
    if (digestText.length === nixbase32EncodedLength(size)) {
      return { algorithm, digest: nixbase32Decode(digestText) };
    }
    if (digestText.length === base64EncodedLength(size)) return base64();
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
