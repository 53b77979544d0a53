/**
 * The URLs a binary cache answers, read from a request's path: `nix-cache-info`,
 * `<hash>.narinfo`, `<hash>.ls` and `nar/<file>`. Anything else (other names, `..`, percent
 * escapes, subfolders, hashes that are not 32 nix32 characters) is no route: the handler
 * answers 404 and no store is asked, so no name from a request ever reaches a file system
 * unchecked.
 *
 * @module
 */

/** Characters of nix32 (Nix's base-32 alphabet). */
const NIX32 = "[0-9a-df-np-sv-z]";
const HASH_PART = new RegExp(`^(${NIX32}{32})\\.(narinfo|ls)$`);
/** A NAR file name: letters, digits, `-`, `_`, `.`, not starting with a dot, at most 255. */
const NAR_FILE = /^[0-9A-Za-z_-][0-9A-Za-z._-]{0,254}$/;

/** What a request path names. */
export type CacheRoute =
  | { readonly kind: "cache-info" }
  | { readonly kind: "narinfo"; readonly hashPart: string }
  | { readonly kind: "listing"; readonly hashPart: string }
  | { readonly kind: "nar"; readonly file: string };

/**
 * The route of `pathname` (a URL's path, as sent: not decoded) below `prefix` (default `/`),
 * or `undefined` when it names nothing a cache serves.
 */
export function cacheRoute(pathname: string, prefix = "/"): CacheRoute | undefined {
  if (!pathname.startsWith(prefix)) return undefined;
  const rest = pathname.slice(prefix.length);
  if (rest === "nix-cache-info") return { kind: "cache-info" };
  const m = HASH_PART.exec(rest);
  if (m !== null) {
    return m[2] === "narinfo"
      ? { kind: "narinfo", hashPart: m[1]! }
      : { kind: "listing", hashPart: m[1]! };
  }
  if (rest.startsWith("nar/")) {
    const file = rest.slice("nar/".length);
    if (NAR_FILE.test(file) && !file.includes("..")) return { kind: "nar", file };
  }
  return undefined;
}
