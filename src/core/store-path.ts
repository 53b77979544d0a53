/**
 * Store paths: parsing, validation and printing.
 *
 * ```text
 * store-path = store-dir "/" base-name
 * base-name  = hash-part "-" name
 * hash-part  = 32 nixbase32 characters        (a 160-bit digest)
 * name       = 1..211 characters of [A-Za-z0-9+\-._?=], and not ".", ".." nor starting
 *              with ".-" or "..-"
 * ```
 *
 * The leading-dot rule has changed over Nix's history; choose it with
 * {@link StorePathOptions.nameRules}: `modern` (the default) is today's Nix (leading dots
 * officially allowed, except the names above); `nix-2.4` is Nix 2.4 to 2.19 (Debian's Nix 2.8
 * among them), which accepted any leading dot; `nix-2.3` rejected every leading dot.
 *
 * Store paths order by their base name (byte order), as Nix's `StorePath::operator<` does.
 *
 * {@link parseStorePath} wants the canonical form (what formats hold). Where a user gives a
 * path, Nix first canonicalises it (`canonPath`: `//` collapsed, `.` dropped, `..` taking
 * the component before it away, no trailing `/`); {@link parseStorePathLenient} does the same.
 *
 * @module
 */
import { MalformedInputError, quoteInput } from "./errors.js";
import { nixbase32Decode } from "./nixbase32.js";

/** The default store directory. */
export const DEFAULT_STORE_DIR = "/nix/store";

/** Characters in the hash part of a store path. */
export const STORE_PATH_HASH_LENGTH = 32;

/** Bytes of the digest behind the hash part. */
export const STORE_PATH_DIGEST_SIZE = 20;

/** Nix's limit on the name part (`StorePath::MaxPathLen`). */
export const MAX_STORE_PATH_NAME_LENGTH = 211;

/** A parsed store path, independent of the store directory. */
export interface StorePath {
  /** The 32-character nixbase32 hash part. */
  readonly hash: string;
  /** The name part (after the first dash). */
  readonly name: string;
}

/** Which version of Nix's leading-dot rule to apply (see the module doc). */
export type StorePathNameRules = "modern" | "nix-2.4" | "nix-2.3";

/** Options shared by store path functions. */
export interface StorePathOptions {
  /** Store directory, default {@link DEFAULT_STORE_DIR}. */
  readonly storeDir?: string;
  /** Leading-dot rule: `modern` (default), `nix-2.4` (any leading dot) or `nix-2.3` (none). */
  readonly nameRules?: StorePathNameRules;
  /** Maximum name length, default {@link MAX_STORE_PATH_NAME_LENGTH}. */
  readonly maxNameLength?: number;
}

/** Error for an invalid store path or name. */
export class StorePathError extends MalformedInputError {}

const NAME_CHAR = /^[A-Za-z0-9+\-._?=]*$/;
const HASH_CHARS = /^[0123456789abcdfghijklmnpqrsvwxyz]{32}$/;

/** Throws {@link StorePathError} if `name` is not a valid store path name. */
export function validateStorePathName(name: string, options: StorePathOptions = {}): void {
  const max = options.maxNameLength ?? MAX_STORE_PATH_NAME_LENGTH;
  if (name.length === 0)
    throw new StorePathError("store-path.empty-name", "store path name is empty");
  if (name.length > max) {
    throw new StorePathError(
      "store-path.name-too-long",
      `store path name ${quoteInput(name, 40)} has ${name.length} characters, more than ${max}`,
    );
  }
  if (!NAME_CHAR.test(name)) {
    let index = 0;
    while (NAME_CHAR.test(name[index]!)) index++;
    throw new StorePathError(
      "store-path.invalid-name-character",
      `store path name ${quoteInput(name)} contains the invalid character ${JSON.stringify(name[index])} ` +
        "(allowed: letters, digits and + - . _ ? =)",
      { index },
    );
  }
  if (name[0] === ".") {
    const rules = options.nameRules ?? "modern";
    if (rules === "nix-2.3") {
      throw new StorePathError(
        "store-path.leading-dot",
        `store path name ${quoteInput(name)} starts with the illegal character '.'`,
        { index: 0 },
      );
    }
    if (
      rules === "modern" &&
      (name === "." || name === ".." || name.startsWith(".-") || name.startsWith("..-"))
    ) {
      throw new StorePathError(
        "store-path.dot-name",
        `store path name ${quoteInput(name)} is not valid: its first dash-separated component must not be '.' or '..'`,
        { index: 0 },
      );
    }
  }
}

/** True if `name` is a valid store path name. */
export function isValidStorePathName(name: string, options: StorePathOptions = {}): boolean {
  try {
    validateStorePathName(name, options);
    return true;
  } catch {
    return false;
  }
}

/** Parses a base name `<hash>-<name>` (no store directory). */
export function parseStorePathBaseName(
  baseName: string,
  options: StorePathOptions = {},
): StorePath {
  if (baseName.length < STORE_PATH_HASH_LENGTH + 1) {
    throw new StorePathError(
      "store-path.too-short",
      `store path ${quoteInput(baseName)} is too short: expected a 32-character hash, a dash and a name`,
    );
  }
  const hash = baseName.slice(0, STORE_PATH_HASH_LENGTH);
  if (!HASH_CHARS.test(hash)) {
    let index = 0;
    while (/[0123456789abcdfghijklmnpqrsvwxyz]/.test(hash[index]!)) index++;
    throw new StorePathError(
      "store-path.invalid-hash",
      `store path ${quoteInput(baseName)} has the invalid character ${JSON.stringify(hash[index])} in its hash part (expected nixbase32)`,
      { index },
    );
  }
  if (baseName.charCodeAt(STORE_PATH_HASH_LENGTH) !== 45 /* - */) {
    throw new StorePathError(
      "store-path.missing-dash",
      `store path ${quoteInput(baseName)} lacks the '-' after its 32-character hash`,
      { index: STORE_PATH_HASH_LENGTH },
    );
  }
  const name = baseName.slice(STORE_PATH_HASH_LENGTH + 1);
  try {
    validateStorePathName(name, options);
  } catch (err) {
    if (err instanceof StorePathError) {
      const index =
        err.position.index === undefined
          ? undefined
          : err.position.index + STORE_PATH_HASH_LENGTH + 1;
      throw new StorePathError(err.code, `store path ${quoteInput(baseName)}: ${err.detail}`, {
        index,
      });
    }
    throw err;
  }
  return { hash, name };
}

/** Throws if `storeDir` is not an absolute directory path without a trailing slash. */
export function validateStoreDir(storeDir: string): void {
  if (!storeDir.startsWith("/") || (storeDir.length > 1 && storeDir.endsWith("/"))) {
    throw new StorePathError(
      "store-path.invalid-store-dir",
      `store directory ${quoteInput(storeDir)} must be an absolute path without a trailing slash`,
    );
  }
}

/** Parses an absolute store path `<storeDir>/<hash>-<name>`. */
export function parseStorePath(path: string, options: StorePathOptions = {}): StorePath {
  const storeDir = options.storeDir ?? DEFAULT_STORE_DIR;
  const prefix = `${storeDir}/`;
  if (!path.startsWith(prefix)) {
    throw new StorePathError(
      "store-path.not-in-store",
      `path ${quoteInput(path)} is not in the Nix store (expected it to start with ${quoteInput(prefix)})`,
    );
  }
  const base = path.slice(prefix.length);
  if (base.includes("/")) {
    throw new StorePathError(
      "store-path.has-subpath",
      `path ${quoteInput(path)} is inside a store path, not a store path itself`,
      { index: prefix.length + base.indexOf("/") },
    );
  }
  try {
    return parseStorePathBaseName(base, options);
  } catch (err) {
    if (err instanceof StorePathError) {
      const index =
        err.position.index === undefined ? undefined : err.position.index + prefix.length;
      throw new StorePathError(err.code, err.detail.replace(quoteInput(base), quoteInput(path)), {
        index,
      });
    }
    throw err;
  }
}

/**
 * Canonicalises an absolute path the way Nix's `canonPath` does without following symlinks:
 * runs of `/` become one, `.` components go, `..` removes the component before it (never
 * above `/`), and there is no trailing `/` (but for `/` itself). Purely textual.
 */
export function canonicalizeAbsolutePath(path: string): string {
  if (!path.startsWith("/")) {
    throw new StorePathError("store-path.not-absolute", `path '${path}' is not absolute`, {
      index: 0,
    });
  }
  const out: string[] = [];
  for (const part of path.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") out.pop();
    else out.push(part);
  }
  return `/${out.join("/")}`;
}

/**
 * Parses a store path as given by a user: canonicalised first ({@link canonicalizeAbsolutePath}),
 * so `/nix/store//x-foo`, `/nix/store/./x-foo` and `/nix/store/x-foo/` are all `x-foo`, as
 * Nix reads its command-line arguments. Use {@link parseStorePath} where a format requires the
 * canonical form.
 */
export function parseStorePathLenient(path: string, options: StorePathOptions = {}): StorePath {
  return parseStorePath(canonicalizeAbsolutePath(path), options);
}

/**
 * Splits an absolute path inside the store into its store path and the rest
 * (`/nix/store/abc-x/bin/y` → store path `abc-x`, subpath `/bin/y`).
 */
export function splitStorePath(
  path: string,
  options: StorePathOptions = {},
): { storePath: StorePath; subPath: string } {
  const storeDir = options.storeDir ?? DEFAULT_STORE_DIR;
  const prefix = `${storeDir}/`;
  const slash = path.startsWith(prefix) ? path.indexOf("/", prefix.length) : -1;
  const head = slash < 0 ? path : path.slice(0, slash);
  return { storePath: parseStorePath(head, options), subPath: slash < 0 ? "" : path.slice(slash) };
}

/** True if `path` is a valid absolute store path. */
export function isStorePath(path: string, options: StorePathOptions = {}): boolean {
  try {
    parseStorePath(path, options);
    return true;
  } catch {
    return false;
  }
}

/** The base name `<hash>-<name>`. */
export function storePathBaseName(sp: StorePath): string {
  return `${sp.hash}-${sp.name}`;
}

/** The absolute path in `storeDir` (default `/nix/store`). */
export function storePathToAbsolute(sp: StorePath, storeDir: string = DEFAULT_STORE_DIR): string {
  return `${storeDir}/${sp.hash}-${sp.name}`;
}

/** The 20-byte digest behind the hash part. */
export function storePathDigest(sp: StorePath): Uint8Array {
  return nixbase32Decode(sp.hash);
}

/** Orders store paths as Nix does (by base name, byte order). */
export function compareStorePaths(a: StorePath, b: StorePath): number {
  const x = storePathBaseName(a);
  const y = storePathBaseName(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** True if both are the same store path. */
export function storePathEquals(a: StorePath, b: StorePath): boolean {
  return a.hash === b.hash && a.name === b.name;
}
