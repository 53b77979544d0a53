/**
 * Content addresses: how a store object's path was derived from its contents.
 *
 * ```text
 * narinfo / path-info form (CA field):
 *   ca        = "text:" hash | "fixed:" [ "r:" | "git:" ] hash
 *   hash      = algo ":" digest        printed in nix32, read in base16, nix32 or base64
 *
 * derivation form (outputs' hashAlgo, plus the digest apart in base16):
 *   methodAlgo = [ "r:" | "git:" | "text:" ] algo      "r:" = NAR (recursive), none = flat
 * ```
 *
 * Methods: `flat` hashes the file's bytes, `nar` (recursive) hashes the NAR serialisation,
 * `text` is `builtins.toFile` / derivations (always sha256, may have references), `git`
 * (modern Nix, `git-hashing` feature) is the git object hash of the file system object
 * (blob or tree, sha1 or sha256; see `src/core/git.ts`).
 *
 * @module
 */
import { base64Encode } from "./base64.js";
import { MalformedInputError, quoteInput } from "./errors.js";
import { formatHash, type Hash, type HashEncoding, parseHash } from "./hash.js";
import {
  HASH_ALGORITHMS,
  HASH_SIZES,
  type HashAlgorithm,
  isHashAlgorithm,
} from "./hash-algorithm.js";
import { nixbase32EncodedLength } from "./nixbase32.js";

/** How a content address hashes the contents. */
export type ContentAddressMethod = "flat" | "nar" | "text" | "git";

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
  } else if (text.startsWith("fixed:git:")) {
    method = "git";
    rest = text.slice(10);
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
  checkGitAlgorithm(method, hash.algorithm, text);
  return { method, hash };
}

/**
 * The encoding of the digest in the text `ca` was parsed from (base16, then nix32, then
 * base64, as {@link parseHash} tells them apart by length), or `undefined` when printing `ca`
 * in that encoding would not give the text back: upper-case hex, or base64 spelled in a way
 * the decoder also reads (non-zero trailing bits).
 */
export function contentAddressDigestEncoding(
  text: string,
  ca: ContentAddress,
): Exclude<HashEncoding, "sri"> | undefined {
  const digest = text.slice(text.lastIndexOf(":") + 1);
  const size = HASH_SIZES[ca.hash.algorithm];
  if (digest.length === size * 2) return /[A-F]/.test(digest) ? undefined : "base16";
  if (digest.length === nixbase32EncodedLength(size)) return "nix32";
  return base64Encode(ca.hash.digest) === digest ? "base64" : undefined;
}

/**
 * Git objects are hashed with sha1 or sha256 only (modern Nix's `makeFixedOutputPath` rule):
 * throws {@link ContentAddressError} `content-address.git-algorithm` (quoting `text`) otherwise.
 */
export function checkGitAlgorithm(
  method: ContentAddressMethod,
  algorithm: HashAlgorithm,
  text: string,
): void {
  if (method === "git" && algorithm !== "sha1" && algorithm !== "sha256") {
    throw new ContentAddressError(
      "content-address.git-algorithm",
      `'${text}': Git file ingestion must use SHA-1 or SHA-256 hash, but instead using: ${algorithm}`,
    );
  }
}

/** The prefix of each method in the derivation form (Nix's `ContentAddressMethod::renderPrefix`). */
const METHOD_PREFIX: Readonly<Record<ContentAddressMethod, string>> = {
  flat: "",
  nar: "r:",
  git: "git:",
  text: "text:",
};

/** The prefix of a method in the narinfo/path-info form: `text:`, `fixed:`, `fixed:r:`, `fixed:git:`. */
export function contentAddressPrefix(method: ContentAddressMethod): string {
  return method === "text" ? "text:" : `fixed:${METHOD_PREFIX[method]}`;
}

/** Prints the narinfo/path-info form, with the digest in nix32 (as Nix prints it). */
export function formatContentAddress(ca: ContentAddress): string {
  return contentAddressPrefix(ca.method) + formatHash(ca.hash, "nix32");
}

/**
 * Parses the derivation form of method and algorithm: `sha256`, `r:sha256`, `git:sha1`,
 * `text:sha256`.
 */
export function parseMethodAlgo(text: string): MethodAlgo {
  let method: ContentAddressMethod = "flat";
  let algo = text;
  if (text.startsWith("r:")) {
    method = "nar";
    algo = text.slice(2);
  } else if (text.startsWith("git:")) {
    method = "git";
    algo = text.slice(4);
  } else if (text.startsWith("text:")) {
    method = "text";
    algo = text.slice(5);
  }
  if (!isHashAlgorithm(algo)) {
    throw new ContentAddressError(
      "content-address.unknown-algorithm",
      `unknown hash algorithm ${quoteInput(algo)} in ${quoteInput(text)}, expected one of ${HASH_ALGORITHMS.join(", ")} after an optional 'r:', 'git:' or 'text:'`,
    );
  }
  checkGitAlgorithm(method, algo, text);
  return { method, algorithm: algo };
}

/** Prints the derivation form of method and algorithm: `sha256`, `r:sha256`, `git:sha1`, `text:sha256`. */
export function formatMethodAlgo(method: ContentAddressMethod, algorithm: HashAlgorithm): string {
  return METHOD_PREFIX[method] + algorithm;
}
