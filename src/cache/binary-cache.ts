/**
 * A binary cache read over `fetch`: `http(s)://` with the runtime's `fetch`, `file://` with
 * the Node adapter `fileFetch` of `nix-compat/cache/node` (or any `fetch`-shaped function
 * given in the options). The layout Nix writes and reads:
 *
 * ```text
 * nix-cache-info              see cache-info.ts
 * <hash>.narinfo              the narinfo of /nix/store/<hash>-<name>
 * <hash>.ls                   its NAR listing (JSON), when written with write-nar-listing=true
 * nar/<filehash>.nar[.ext]    the NAR, compressed as the narinfo's Compression says
 * ```
 *
 * Query parameters of a store URL (`?compression=xz`, Nix's store settings) are ignored.
 *
 * @module
 */
import { quoteInput } from "../core/errors.js";
import { DEFAULT_STORE_DIR, type StorePath } from "../core/store-path.js";
import { checkNarInfoSignatures, type NarInfo, parseNarInfo } from "../narinfo/index.js";
import type { PublicKey } from "../signing/index.js";
import { type CacheInfo, MAX_CACHE_INFO_SIZE, parseCacheInfo } from "./cache-info.js";
import { CacheIntegrityError, CacheListingError, CacheResponseError } from "./errors.js";

/** The part of `fetch` the client uses. */
export type CacheFetch = (
  url: string,
  init?: { method?: string; signal?: AbortSignal },
) => Promise<Response>;

/** Options of {@link openBinaryCache}. */
export interface BinaryCacheOptions {
  /** The `fetch` to use (default: the runtime's); `fileFetch` from `nix-compat/cache/node` reads `file://`. */
  readonly fetch?: CacheFetch;
  /** The store directory of the cache's paths (default `/nix/store`). */
  readonly storeDir?: string;
  /**
   * Trusted public keys: when given, {@link fetchNarInfo} refuses a narinfo that no trusted
   * key signed (`cache.untrusted-signature`).
   */
  readonly trustedKeys?: readonly PublicKey[];
  /** Aborts every request of this cache. */
  readonly signal?: AbortSignal;
}

/** A binary cache to read from (plain data: what {@link openBinaryCache} resolved). */
export interface BinaryCache {
  /** The cache's base URL, ending in `/`, without query. */
  readonly url: string;
  /** The `fetch` used. */
  readonly fetch: CacheFetch;
  /** The store directory of its paths. */
  readonly storeDir: string;
  /** Trusted keys, when signatures are required. */
  readonly trustedKeys: readonly PublicKey[] | undefined;
  /** Aborts every request. */
  readonly signal: AbortSignal | undefined;
}

/** The largest narinfo or listing read into memory. */
export const MAX_CACHE_TEXT_SIZE = 16 * 1024 * 1024;

/** A cache at `url` (`http://`, `https://` or `file://`; query parameters dropped). */
export function openBinaryCache(url: string, options: BinaryCacheOptions = {}): BinaryCache {
  const base = new URL(url);
  base.search = "";
  base.hash = "";
  if (!base.pathname.endsWith("/")) base.pathname += "/";
  const runtimeFetch = (globalThis as { fetch?: CacheFetch }).fetch;
  const fetch = options.fetch ?? runtimeFetch;
  if (fetch === undefined) throw new TypeError("no fetch in this runtime: pass options.fetch");
  return {
    url: base.href,
    fetch,
    storeDir: options.storeDir ?? DEFAULT_STORE_DIR,
    trustedKeys: options.trustedKeys,
    signal: options.signal,
  };
}

/** The URL of `file` (relative to the cache) in `cache`. */
export function cacheFileUrl(cache: BinaryCache, file: string): string {
  return new URL(file, cache.url).href;
}

/**
 * Fetches `file` (relative to the cache); `undefined` on 404 (and 403, which S3 answers for a
 * missing key), {@link CacheResponseError} `cache.http-status` on any other failure.
 */
export async function fetchCacheFile(
  cache: BinaryCache,
  file: string,
): Promise<Response | undefined> {
  const url = cacheFileUrl(cache, file);
  const res = await cache.fetch(url, cache.signal ? { signal: cache.signal } : undefined);
  if (res.ok) return res;
  await res.body?.cancel().catch(() => undefined);
  if (res.status === 404 || res.status === 403) return undefined;
  throw new CacheResponseError(
    "cache.http-status",
    `GET ${url}: HTTP ${res.status}`,
    res.status,
    url,
  );
}

async function boundedText(res: Response, url: string): Promise<string> {
  const length = Number(res.headers.get("content-length") ?? "0");
  if (length > MAX_CACHE_TEXT_SIZE) {
    await res.body?.cancel().catch(() => undefined);
    throw new CacheResponseError(
      "cache.too-large",
      `${url} is larger than ${MAX_CACHE_TEXT_SIZE} bytes`,
      200,
      url,
    );
  }
  const text = await res.text();
  if (text.length > MAX_CACHE_TEXT_SIZE) {
    throw new CacheResponseError(
      "cache.too-large",
      `${url} is larger than ${MAX_CACHE_TEXT_SIZE} bytes`,
      200,
      url,
    );
  }
  return text;
}

/** Reads `nix-cache-info`; a cache without one is {@link CacheResponseError} (404). */
export async function fetchCacheInfo(cache: BinaryCache): Promise<CacheInfo> {
  const url = cacheFileUrl(cache, "nix-cache-info");
  const res = await fetchCacheFile(cache, "nix-cache-info");
  if (res === undefined) {
    throw new CacheResponseError(
      "cache.http-status",
      `${url}: no nix-cache-info (not a binary cache?)`,
      404,
      url,
    );
  }
  const text = await boundedText(res, url);
  return parseCacheInfo(text.slice(0, MAX_CACHE_INFO_SIZE + 1), { file: url });
}

/**
 * The narinfo of `path` (a store path or its 32-character hash part), or `undefined` when the
 * cache does not have it. It must describe that path (`cache.narinfo-path-mismatch`) and,
 * when the cache has trusted keys, carry a signature one of them made
 * (`cache.untrusted-signature`).
 */
export async function fetchNarInfo(
  cache: BinaryCache,
  path: StorePath | string,
): Promise<NarInfo | undefined> {
  const hash = typeof path === "string" ? path : path.hash;
  const file = `${hash}.narinfo`;
  const url = cacheFileUrl(cache, file);
  const res = await fetchCacheFile(cache, file);
  if (res === undefined) return undefined;
  const info = parseNarInfo(await boundedText(res, url), { file: url, storeDir: cache.storeDir });
  if (info.storePath.hash !== hash) {
    throw new CacheIntegrityError(
      "cache.narinfo-path-mismatch",
      `the narinfo asked for as ${quoteInput(hash)} describes ${quoteInput(info.storePath.hash)}`,
      { file: url },
    );
  }
  if (cache.trustedKeys !== undefined)
    requireTrustedSignature(info, cache.trustedKeys, cache.storeDir, url);
  return info;
}

/**
 * Throws {@link CacheIntegrityError} `cache.untrusted-signature` unless a signature of `info`
 * is valid under one of `trustedKeys` (matched by key name, as Nix does).
 */
export function requireTrustedSignature(
  info: NarInfo,
  trustedKeys: readonly PublicKey[],
  storeDir: string = DEFAULT_STORE_DIR,
  file?: string,
): void {
  const checks = checkNarInfoSignatures(info, trustedKeys, { storeDir });
  if (checks.some((c) => c.status === "valid")) return;
  const seen =
    checks.length === 0
      ? "it has no signatures"
      : `its signatures: ${checks.map((c) => `${c.signature.keyName} (${c.status})`).join(", ")}`;
  throw new CacheIntegrityError(
    "cache.untrusted-signature",
    `no valid signature by a trusted key (${seen})`,
    {
      file,
    },
  );
}

/** A NAR listing as Nix writes it in `<hash>.ls` (`{"version":1,"root":{...}}`). */
export interface CacheNarListing {
  /** Always 1. */
  readonly version: 1;
  /** The root node: `type` `regular` (`size`, `executable`, `narOffset`), `symlink` (`target`), `directory` (`entries`). */
  readonly root: Record<string, unknown>;
}

/**
 * The `.ls` listing of `path`, or `undefined` when the cache has none (caches write them only
 * with `write-nar-listing=true`).
 */
export async function fetchNarListing(
  cache: BinaryCache,
  path: StorePath | string,
): Promise<CacheNarListing | undefined> {
  const hash = typeof path === "string" ? path : path.hash;
  const url = cacheFileUrl(cache, `${hash}.ls`);
  const res = await fetchCacheFile(cache, `${hash}.ls`);
  if (res === undefined) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(await boundedText(res, url));
  } catch (err) {
    if (err instanceof SyntaxError) {
      throw new CacheListingError("cache.malformed-listing", `not JSON: ${err.message}`, {
        file: url,
      });
    }
    throw err;
  }
  const doc = json as { version?: unknown; root?: unknown };
  if (
    typeof json !== "object" ||
    json === null ||
    doc.version !== 1 ||
    typeof doc.root !== "object" ||
    doc.root === null
  ) {
    throw new CacheListingError("cache.malformed-listing", 'expected {"version":1,"root":{...}}', {
      file: url,
    });
  }
  return json as CacheNarListing;
}
