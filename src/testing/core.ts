/**
 * fast-check arbitraries for the core values: hashes, store path names, store paths, content
 * addresses. Use them to property-test your own code against this library.
 *
 * @module
 */
import fc from "fast-check";
import type { ContentAddress, ContentAddressMethod } from "../core/content-address.js";
import { HASH_ENCODINGS, type Hash, type HashEncoding } from "../core/hash.js";
import {
  HASH_ALGORITHMS,
  HASH_SIZES,
  type HashAlgorithm,
  NIX_2_8_HASH_ALGORITHMS,
} from "../core/hash-algorithm.js";
import { NIXBASE32_ALPHABET } from "../core/nixbase32.js";
import {
  isValidStorePathName,
  MAX_STORE_PATH_NAME_LENGTH,
  type StorePath,
} from "../core/store-path.js";

/** Any supported hash algorithm (`blake3` included). */
export const arbHashAlgorithm: fc.Arbitrary<HashAlgorithm> = fc.constantFrom(...HASH_ALGORITHMS);

/** A hash algorithm Nix 2.8 knows (no `blake3`), for data that goes to Nix 2.8. */
export const arbNix28HashAlgorithm: fc.Arbitrary<HashAlgorithm> = fc.constantFrom(
  ...NIX_2_8_HASH_ALGORITHMS,
);

/** Any hash encoding. */
export const arbHashEncoding: fc.Arbitrary<HashEncoding> = fc.constantFrom(...HASH_ENCODINGS);

/**
 * A hash of the given algorithm (or any from `algorithms`, by default every supported one)
 * with a random digest.
 */
export function arbHash(
  algorithm?: HashAlgorithm,
  algorithms: fc.Arbitrary<HashAlgorithm> = arbHashAlgorithm,
): fc.Arbitrary<Hash> {
  const algo = algorithm === undefined ? algorithms : fc.constant(algorithm);
  return algo.chain((a) =>
    fc
      .uint8Array({ minLength: HASH_SIZES[a], maxLength: HASH_SIZES[a] })
      .map((digest): Hash => ({ algorithm: a, digest })),
  );
}

const NAME_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+-._?=";

/** A valid store path name under today's Nix rules, up to `maxLength` characters. */
export function arbStorePathName(maxLength = MAX_STORE_PATH_NAME_LENGTH): fc.Arbitrary<string> {
  return fc
    .string({ unit: fc.constantFrom(...NAME_CHARS), minLength: 1, maxLength })
    .filter((name) => isValidStorePathName(name));
}

/** A 32-character nixbase32 store path hash part. */
export const arbStorePathHash: fc.Arbitrary<string> = fc
  .array(fc.constantFrom(...NIXBASE32_ALPHABET), { minLength: 32, maxLength: 32 })
  .map((cs) => cs.join(""));

/** A valid store path (short names by default, to keep shrinking fast). */
export function arbStorePath(maxNameLength = 40): fc.Arbitrary<StorePath> {
  return fc
    .record({ hash: arbStorePathHash, name: arbStorePathName(maxNameLength) })
    .map((r): StorePath => r);
}

/** A valid content address (text addresses use sha256 as Nix requires). */
export const arbContentAddress: fc.Arbitrary<ContentAddress> = fc
  .constantFrom<ContentAddressMethod>("flat", "nar", "text")
  .chain((method) =>
    arbHash(method === "text" ? "sha256" : undefined, arbNix28HashAlgorithm).map(
      (hash): ContentAddress => ({
        method,
        hash,
      }),
    ),
  );
