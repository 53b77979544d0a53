/**
 * Pieces shared by the two derivation parsers (the Parsimmon grammar and the fast scanner in
 * `src/grammar/derivation-aterm.ts`) and by the JSON converters: turning the four strings of
 * an ATerm output into a {@link DerivationOutput}, checking store paths, and the errors for
 * duplicates. Keeping them in one place is what makes both parsers agree.
 *
 * ```text
 * output = (name, path, hashAlgo, hash)
 *   hashAlgo = ""                      hash = ""        path = ""   → deferred
 *                                                       path ≠ ""   → inputAddressed
 *   hashAlgo = [r:|git:|text:]algo     hash = ""        path = ""   → caFloating
 *                                      hash = "impure"  path = ""   → impure
 *                                      hash = digest    path ≠ ""   → caFixed
 * ```
 *
 * @module
 */
import { type ContentAddressMethod, parseMethodAlgo } from "../core/content-address.js";
import { NixCompatError, quoteInput } from "../core/errors.js";
import { parseDigest } from "../core/hash.js";
import { DEFAULT_STORE_DIR, parseStorePath } from "../core/store-path.js";
import { DerivationFormatError } from "./errors.js";
import type { DerivationOutput } from "./types.js";

const HASH_PART = "[0123456789abcdfghijklmnpqrsvwxyz]{32}";
const FAST_NAME = "[A-Za-z0-9+\\-_?=][A-Za-z0-9+\\-._?=]{0,210}";
const fastPathRegexes = new Map<string, RegExp>();

function fastPathRegex(storeDir: string): RegExp {
  let re = fastPathRegexes.get(storeDir);
  if (re === undefined) {
    const dir = storeDir.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
    re = new RegExp(`^${dir}/${HASH_PART}-${FAST_NAME}$`);
    fastPathRegexes.set(storeDir, re);
  }
  return re;
}

/** A byte offset, or a function computing it (only called when an error is thrown). */
export type Offset = number | undefined | (() => number);

/** The number behind an {@link Offset}. */
export function resolveOffset(offset: Offset): number | undefined {
  return typeof offset === "function" ? offset() : offset;
}

/** True if `path` is a store path of the common shape (fast regex; false does not mean invalid). */
export function isPlainStorePath(path: string, storeDir: string = DEFAULT_STORE_DIR): boolean {
  return fastPathRegex(storeDir).test(path);
}

/**
 * Throws `derivation.invalid-store-path` at `offset` unless `path` is an absolute store path
 * in `storeDir` (Nix 2.8's name rules, as `parseStorePath`).
 */
export function checkStorePath(
  path: string,
  offset: Offset,
  what: string,
  storeDir: string = DEFAULT_STORE_DIR,
  jsonPath?: readonly (string | number)[],
): void {
  if (fastPathRegex(storeDir).test(path)) return;
  try {
    parseStorePath(path, { storeDir });
  } catch (err) {
    if (err instanceof NixCompatError) {
      throw new DerivationFormatError(
        "derivation.invalid-store-path",
        `${what} ${quoteInput(path)} is not a valid store path: ${err.detail}`,
        { offset: resolveOffset(offset), path: jsonPath },
      );
    }
    throw err;
  }
}

/** The error for a key that appears twice. */
export function duplicateError(
  code: string,
  what: string,
  key: string,
  offset: Offset,
  jsonPath?: readonly (string | number)[],
): DerivationFormatError {
  return new DerivationFormatError(code, `duplicate ${what} ${quoteInput(key)}`, {
    offset: resolveOffset(offset),
    path: jsonPath,
  });
}

function invalidOutput(detail: string, offset: Offset): DerivationFormatError {
  return new DerivationFormatError("derivation.invalid-output", detail, {
    offset: resolveOffset(offset),
  });
}

/** Parses `[r:|git:|text:]algo` into method and algorithm, as a derivation format error. */
export function parseOutputMethodAlgo(
  hashAlgo: string,
  offset: Offset,
): { method: ContentAddressMethod; algorithm: ReturnType<typeof parseMethodAlgo>["algorithm"] } {
  try {
    return parseMethodAlgo(hashAlgo);
  } catch (err) {
    if (err instanceof NixCompatError) {
      throw new DerivationFormatError("derivation.invalid-hash-algorithm", err.detail, {
        offset: resolveOffset(offset),
      });
    }
    throw err;
  }
}

/** Builds an output from the four strings of its ATerm tuple. */
export function makeOutputFromATerm(
  name: string,
  path: string,
  hashAlgo: string,
  hash: string,
  offset: Offset,
  storeDir: string = DEFAULT_STORE_DIR,
): DerivationOutput {
  if (hashAlgo === "") {
    if (hash !== "") {
      throw invalidOutput(`output ${quoteInput(name)} has a hash but no hash algorithm`, offset);
    }
    if (path === "") return { kind: "deferred" };
    checkStorePath(path, offset, `path of output ${quoteInput(name)}`, storeDir);
    return { kind: "inputAddressed", path };
  }
  const { method, algorithm } = parseOutputMethodAlgo(hashAlgo, offset);
  if (hash === "" || hash === "impure") {
    if (path !== "") {
      throw invalidOutput(
        `${hash === "" ? "floating content-addressed" : "impure"} output ${quoteInput(name)} must not have a path`,
        offset,
      );
    }
    return hash === ""
      ? { kind: "caFloating", method, algorithm }
      : { kind: "impure", method, algorithm };
  }
  let digest: ReturnType<typeof parseDigest>;
  try {
    digest = parseDigest(algorithm, hash);
  } catch (err) {
    if (err instanceof NixCompatError) {
      throw new DerivationFormatError(
        "derivation.invalid-hash",
        `output ${quoteInput(name)}: ${err.detail}`,
        { offset: resolveOffset(offset) },
      );
    }
    throw err;
  }
  checkStorePath(path, offset, `path of fixed output ${quoteInput(name)}`, storeDir);
  return { kind: "caFixed", method, hash: digest, path };
}
