/**
 * The store path that adding a filesystem path would give (Node only), computed while
 * streaming its NAR: what `nix-store --add PATH` (recursive, sha256) and
 * `nix-store --add-fixed [--recursive] ALGO PATH` print, without a store.
 *
 * @module
 */
import { basename, resolve } from "node:path";
import type { HashAlgorithm } from "../core/hash-algorithm.js";
import { DEFAULT_STORE_DIR, storePathToAbsolute } from "../core/store-path.js";
import { makeFixedOutputPath } from "../core/store-path-compute.js";
import { hashPath } from "./nar-dump.js";

/** Options of {@link storePathOfPath}. */
export interface StorePathOfPathOptions {
  /** Name of the store path (default: the base name of the path). */
  readonly name?: string;
  /** Hash algorithm (default sha256). */
  readonly algorithm?: HashAlgorithm;
  /** Store directory (default `/nix/store`). */
  readonly storeDir?: string;
}

/**
 * The absolute store path of `path` added recursively (NAR hash), as `nix-store --add` (sha256)
 * or `nix-store --add-fixed --recursive ALGO` print it.
 */
export async function storePathOfPath(
  path: string,
  options: StorePathOfPathOptions = {},
): Promise<string> {
  const algorithm = options.algorithm ?? "sha256";
  const storeDir = options.storeDir ?? DEFAULT_STORE_DIR;
  const digest = await hashPath(path, algorithm);
  const sp = makeFixedOutputPath(
    options.name ?? basename(resolve(path)),
    { method: "nar", hash: { algorithm, digest } },
    [],
    { storeDir },
  );
  return storePathToAbsolute(sp, storeDir);
}
