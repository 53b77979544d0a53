/**
 * zod schemas for the core JSON values Nix prints: hashes (SRI strings), content addresses
 * (`{method, hash}`) and store paths (base names), matching Nix's JSON Schemas `hash-v1`,
 * `content-address-v1` and `store-path-v1`. Each has a `...FromJson` / `...ToJson` pair.
 *
 * @module
 */
import * as z from "zod";
import { checkGitAlgorithm, type ContentAddress } from "../core/content-address.js";
import { isNixCompatError, ValidationError } from "../core/errors.js";
import { formatHash, type Hash, parseHash } from "../core/hash.js";
import { parseStorePathBaseName, type StorePath, storePathBaseName } from "../core/store-path.js";

/** Adds a zod issue for a library error thrown by `fn`, or returns its value. */
function viaParser<T>(fn: () => T, ctx: z.core.$RefinementCtx<string>): void {
  try {
    fn();
  } catch (err) {
    if (!isNixCompatError(err)) throw err;
    ctx.addIssue({ code: "custom", message: err.detail });
  }
}

/** A hash in SRI form, e.g. `sha256-ungWv48B...=` (Nix's `hash-v1`). */
export const HashJson = z
  .string()
  .regex(
    /^(blake3|md5|sha1|sha256|sha512)-[A-Za-z0-9+/]+=*$/,
    "expected an SRI hash like 'sha256-<base64>'",
  )
  .superRefine((s, ctx) => viaParser(() => parseHash(s), ctx))
  .describe("A hash in SRI form");

/** The content-addressing methods in JSON (Nix's `content-address-v1`). */
export const ContentAddressMethodJson = z.enum(["flat", "nar", "text", "git"]);

/** A content address `{method, hash}` (Nix's `content-address-v1`). */
export const ContentAddressJson = z
  .strictObject({ method: ContentAddressMethodJson, hash: HashJson })
  .describe("A content address");

/** A store path as its base name `<hash>-<name>` (Nix's `store-path-v1`). */
export const StorePathJson = z
  .string()
  .regex(
    /^[0123456789abcdfghijklmnpqrsvwxyz]{32}-.+$/,
    "expected a store path base name '<32 nixbase32 chars>-<name>'",
  )
  .superRefine((s, ctx) => viaParser(() => parseStorePathBaseName(s), ctx))
  .describe("A store path base name");

/** Reads a hash from its JSON form. */
export function hashFromJson(json: z.output<typeof HashJson>): Hash {
  return parseHash(json);
}

/** Writes a hash in its JSON form (SRI). */
export function hashToJson(hash: Hash): string {
  return formatHash(hash, "sri");
}

/**
 * Reads a content address from JSON. `git` takes sha1 or sha256 only (as modern Nix): another
 * algorithm is a ValidationError `content-address.git-algorithm` at `hash`.
 */
export function contentAddressFromJson(json: z.output<typeof ContentAddressJson>): ContentAddress {
  const hash = parseHash(json.hash);
  try {
    checkGitAlgorithm(json.method, hash.algorithm, json.hash);
  } catch (err) {
    if (!isNixCompatError(err)) throw err;
    throw new ValidationError(err.code, err.detail, { path: ["hash"] });
  }
  return { method: json.method, hash };
}

/** Writes a content address as JSON. */
export function contentAddressToJson(ca: ContentAddress): z.output<typeof ContentAddressJson> {
  return { method: ca.method, hash: formatHash(ca.hash, "sri") };
}

/** Reads a store path from its JSON form (a base name). */
export function storePathFromJson(json: string): StorePath {
  return parseStorePathBaseName(json);
}

/** Writes a store path in its JSON form (a base name). */
export function storePathToJson(sp: StorePath): string {
  return storePathBaseName(sp);
}
