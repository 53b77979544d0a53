/**
 * Content addresses: how a store object's path was derived from its contents.
 *
 * ```text
 * narinfo / path-info form (CA field):
 *   ca        = "text:" hash | "fixed:" [ "r:" ] hash
 *   hash      = algo ":" digest        printed in nix32, read in base16, nix32 or base64
 *
 * derivation form (outputs' hashAlgo, plus the digest apart in base16):
 *   methodAlgo = [ "r:" | "text:" ] algo      "r:" = NAR (recursive), none = flat
 * ```
 *
 * Methods: `flat` hashes the file's bytes, `nar` (recursive) hashes the NAR serialisation,
 * `text` is `builtins.toFile` / derivations (always sha256, may have references).
 *
 * @module
 */
import { MalformedInputError, quoteInput } from "./errors.js";
import { formatHash, type Hash, parseHash } from "./hash.js";
import { type HashAlgorithm, isHashAlgorithm } from "./hash-algorithm.js";

/** How a content address hashes the contents. */
export type ContentAddressMethod = "flat" | "nar" | "text";

/** A content address: method and hash. */
export interface ContentAddress {
  readonly method: ContentAddressMethod;
  readonly hash: Hash;
}

/** A method with an algorithm but no digest (a floating content-addressed output). */
export interface MethodAlgo {
  readonly method: ContentAddressMethod;
  readonly algorithm: HashAlgorithm;
}

/** Error for a malformed content address. */
export class ContentAddressError extends MalformedInputError {}

/**
 * Parses the narinfo/path-info form: `text:sha256:...`, `fixed:sha256:...`, `fixed:r:sha1:...`.
 * The digest may be base16, nix32 or base64.
 */
export function parseContentAddress(text: string): ContentAddress {
  let method: ContentAddressMethod;
  let rest: string;
  if (text.startsWith("text:")) {
    method = "text";
    rest = text.slice(5);
  } else if (text.startsWith("fixed:r:")) {
    method = "nar";
    rest = text.slice(8);
  } else if (text.startsWith("fixed:")) {
    method = "flat";
    rest = text.slice(6);
  } else {
    throw new ContentAddressError(
      "content-address.invalid-prefix",
      `content address ${quoteInput(text)} does not start with 'text:', 'fixed:' or 'fixed:r:'`,
    );
  }
  if (!rest.includes(":")) {
    throw new ContentAddressError(
      "content-address.missing-algorithm",
      `content address ${quoteInput(text)} lacks the hash algorithm ('sha256:...')`,
    );
  }
  let hash: Hash;
  try {
    hash = parseHash(rest, { allowSri: false });
  } catch (err) {
    if (err instanceof MalformedInputError) {
      throw new ContentAddressError(err.code, `content address ${quoteInput(text)}: ${err.detail}`);
    }
    throw err;
  }
  if (method === "text" && hash.algorithm !== "sha256") {
    throw new ContentAddressError(
      "content-address.text-not-sha256",
      `content address ${quoteInput(text)}: text hashing must use sha256, not ${hash.algorithm}`,
    );
  }
  return { method, hash };
}

/** Prints the narinfo/path-info form, with the digest in nix32 (as Nix prints it). */
export function formatContentAddress(ca: ContentAddress): string {
  const prefix = ca.method === "text" ? "text:" : ca.method === "nar" ? "fixed:r:" : "fixed:";
  return prefix + formatHash(ca.hash, "nix32");
}

/** Parses the derivation form of method and algorithm: `sha256`, `r:sha256`, `text:sha256`. */
export function parseMethodAlgo(text: string): MethodAlgo {
  let method: ContentAddressMethod = "flat";
  let algo = text;
  if (text.startsWith("r:")) {
    method = "nar";
    algo = text.slice(2);
  } else if (text.startsWith("text:")) {
    method = "text";
    algo = text.slice(5);
  }
  if (!isHashAlgorithm(algo)) {
    throw new ContentAddressError(
      "content-address.unknown-algorithm",
      `unknown hash algorithm ${quoteInput(algo)} in ${quoteInput(text)}, expected md5, sha1, sha256 or sha512 after an optional 'r:' or 'text:'`,
    );
  }
  return { method, algorithm: algo };
}

/** Prints the derivation form of method and algorithm: `sha256`, `r:sha256`, `text:sha256`. */
export function formatMethodAlgo(method: ContentAddressMethod, algorithm: HashAlgorithm): string {
  return (method === "nar" ? "r:" : method === "text" ? "text:" : "") + algorithm;
}
