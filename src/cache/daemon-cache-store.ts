/**
 * A {@link CacheStore} over a Nix store reached through the daemon client (the local store in
 * Node through `nix-compat/daemon/node`, or any worker-protocol transport): narinfos made from
 * `QueryPathInfo`, NARs streamed from `NarFromPath` as the client reads them (one daemon
 * connection per download, given back when it ends or is cancelled), listings computed from
 * the NAR.
 *
 * A NAR is named `nar/<hash part>-<NAR hash>.nar`: the path is found again from the name, and
 * a path deleted and added again with other contents answers 404 for the old name. A path
 * deleted while its NAR streams makes the daemon stop; the response then ends early (its
 * `Content-Length` is not met), which Nix reports as a failed download.
 *
 * A path's info is reused for {@link DEFAULT_PATH_INFO_TTL_MS} (1 s, `pathInfoTtlMs`) without
 * asking the daemon again, up to {@link DEFAULT_MAX_CACHED_PATH_INFOS} paths: a client asking
 * for the same narinfos again and again (many machines fetching one closure) costs one daemon
 * round trip per path and second. Only valid paths are kept (a path added is served at once);
 * a path deleted is still described for at most the TTL, and forgotten at once when its NAR
 * fails to stream.
 *
 * @module
 */
import type { DaemonClient } from "../daemon/client.js";
import type { PathInfo } from "../daemon/wire/types.js";
import { formatContentAddress } from "../core/content-address.js";
import { formatDigest, hashEquals } from "../core/hash.js";
import { DEFAULT_STORE_DIR, parseStorePath, type StorePath } from "../core/store-path.js";
import { formatNarListingJson, listNar } from "../nar/listing.js";
import { CANONICAL_QUIRKS, type NarInfo } from "../narinfo/types.js";
import { formatSignature, parseSignature, type Signature } from "../signing/keys.js";
import { lazyStream } from "./cache-blobs.js";
import { plainNarFile } from "./cache-handler.js";
import type {
  CacheStore,
  CacheStoreInfo,
  CacheUploads,
  StoredFile,
  StoredNar,
} from "./cache-store.js";
import { DEFAULT_MAX_NAR_UPLOAD_BYTES, MAX_LISTING_UPLOAD_BYTES } from "./blob-cache-store.js";
import type { CacheBlobs } from "./cache-blobs.js";
import { cacheRoute } from "./cache-routes.js";
import { checkNar } from "./checked-nar.js";
import { canRunCompression } from "./compression.js";
import { isCompressionMethod } from "./compression-method.js";
import {
  CacheIntegrityError,
  CompressedDataError,
  CompressedDataTruncatedError,
} from "./errors.js";
import { CacheUploadError } from "./server-errors.js";
import { stageNarUpload, stagedNarKey } from "./staged-nar.js";
import { readUploadBytes } from "./upload-body.js";
import { DaemonError } from "../daemon/errors.js";
import { parseNarInfo } from "../narinfo/parse.js";
import { effectiveCompression } from "../narinfo/types.js";

/** Default `Priority` of a cache serving a local store (nix-serve and harmonia say 30). */
export const DEFAULT_DAEMON_CACHE_PRIORITY = 30;

/** Hash parts whose store path is remembered at most (a path's name never changes). */
export const MAX_REMEMBERED_HASH_PARTS = 16_384;

/**
 * Default time a path's info from the daemon is reused without asking again: 1 s. A path
 * deleted from the store is served (as a narinfo) for at most this long after; its NAR then
 * fails, which forgets it at once. 0 asks the daemon for every request.
 */
export const DEFAULT_PATH_INFO_TTL_MS = 1_000;

/**
 * A NAR from the daemon is handed on in chunks of at least this many bytes (but its last): a
 * path of many small files is then written to a client in few writes, not a few per file.
 */
export const NAR_CHUNK_BYTES = 64 << 10;

/** Default number of path infos kept for {@link DEFAULT_PATH_INFO_TTL_MS} at most. */
export const DEFAULT_MAX_CACHED_PATH_INFOS = 4_096;

/** Options of {@link createDaemonCacheStore}. */
export interface DaemonCacheStoreOptions {
  /** The daemon client (its connections are used, never closed). */
  readonly client: DaemonClient;
  /** The store directory (default `/nix/store`). */
  readonly storeDir?: string;
  /** `Priority` (default {@link DEFAULT_DAEMON_CACHE_PRIORITY}). */
  readonly priority?: number;
  /**
   * How long a path's info is reused without asking the daemon again, in milliseconds
   * (default {@link DEFAULT_PATH_INFO_TTL_MS}; 0: never reused).
   */
  readonly pathInfoTtlMs?: number;
  /** Path infos kept at most (default {@link DEFAULT_MAX_CACHED_PATH_INFOS}). */
  readonly maxCachedPathInfos?: number;
  /** The clock of the TTL (default `Date.now`; tests set their own). */
  readonly now?: () => number;
  /**
   * Take uploads (`nix copy --to http://...`) into the store: each NAR waits in `staging`
   * (under `.uploads/`) until its narinfo arrives, is then checked against it while it streams
   * to the daemon (`AddToStoreNar`), and is deleted either way. Absent: read-only.
   */
  readonly uploads?: DaemonCacheUploadOptions;
}

/** How a daemon store takes uploads (see {@link DaemonCacheStoreOptions.uploads}). */
export interface DaemonCacheUploadOptions {
  /** Where NARs wait for their narinfo (a folder in Node: `fileCacheBlobs(dir)`). */
  readonly staging: CacheBlobs;
  /**
   * Let the daemon check the narinfo's signatures against its trusted keys (default true, as
   * for `nix copy --to daemon`: unsigned paths are refused unless the daemon is told
   * otherwise). False asks it not to (honoured for trusted users of the daemon only).
   */
  readonly checkSignatures?: boolean;
  /** Largest NAR file accepted (default {@link DEFAULT_MAX_NAR_UPLOAD_BYTES}). */
  readonly maxNarUploadBytes?: number;
}

/** A path's info as the daemon gave it, with its narinfo, and when it was asked for. */
interface CachedPathInfo {
  readonly info: PathInfo;
  readonly narInfo: NarInfo;
  readonly at: number;
}

const PLAIN_NAR_FILE = /^([0-9a-df-np-sv-z]{32})-([0-9a-df-np-sv-z]{52})\.nar$/;

/** The store's signatures that parse (others are left out of the narinfo). */
function signaturesOf(info: PathInfo): Signature[] {
  const out: Signature[] = [];
  for (const s of info.sigs) {
    try {
      out.push(parseSignature(s));
    } catch {
      // a signature Nix would not read either
    }
  }
  return out;
}

/** True when the daemon said the same of a path twice. */
function samePathInfo(a: PathInfo, b: PathInfo): boolean {
  return (
    a.path === b.path &&
    a.narSize === b.narSize &&
    a.registrationTime === b.registrationTime &&
    a.deriver === b.deriver &&
    hashEquals(a.narHash, b.narHash) &&
    a.references.join(" ") === b.references.join(" ") &&
    a.sigs.join(" ") === b.sigs.join(" ") &&
    (a.ca === undefined ? "" : formatContentAddress(a.ca)) ===
      (b.ca === undefined ? "" : formatContentAddress(b.ca))
  );
}

/** The narinfo of a path as served from a store (plain NAR, `FileHash` = `NarHash`). */
export function narInfoOfPathInfo(info: PathInfo, storeDir: string = DEFAULT_STORE_DIR): NarInfo {
  const storePath = parseStorePath(info.path, { storeDir });
  const references: StorePath[] = info.references.map((r) => parseStorePath(r, { storeDir }));
  return {
    storePath,
    url: `nar/${plainNarFile(storePath.hash, info)}`,
    compression: "none",
    fileHash: info.narHash,
    fileSize: info.narSize,
    narHash: info.narHash,
    narSize: info.narSize,
    references,
    deriver: info.deriver === undefined ? undefined : parseStorePath(info.deriver, { storeDir }),
    system: undefined,
    signatures: signaturesOf(info),
    ca: info.ca,
    unknownFields: [],
    quirks: CANONICAL_QUIRKS,
  };
}

/** A cache store over a daemon client (taking uploads when given `options.uploads`). */
export function createDaemonCacheStore(options: DaemonCacheStoreOptions): CacheStore {
  const { client } = options;
  const storeDir = options.storeDir ?? DEFAULT_STORE_DIR;
  const info: CacheStoreInfo = {
    storeDir,
    wantMassQuery: true,
    priority: options.priority ?? DEFAULT_DAEMON_CACHE_PRIORITY,
  };
  const ttl = options.pathInfoTtlMs ?? DEFAULT_PATH_INFO_TTL_MS;
  const maxCached = options.maxCachedPathInfos ?? DEFAULT_MAX_CACHED_PATH_INFOS;
  const now = options.now ?? Date.now;
  // hash part -> store path: what QueryPathFromHashPart said, so a path asked for again costs
  // one daemon round trip (QueryPathInfo, which also says whether it is still valid)
  const paths = new Map<string, string>();
  // hash part -> what QueryPathInfo said less than `ttl` ms ago (valid paths only: a path
  // added is seen at once; a path deleted is seen after `ttl` at most, or at once when its
  // NAR fails or it is uploaded again here)
  const recent = new Map<string, CachedPathInfo>();
  // hash part -> what QueryPathInfo said last, however long ago (compared with its next answer)
  const last = new Map<string, CachedPathInfo>();
  const forget = (hashPart: string) => {
    recent.delete(hashPart);
  };
  const pathInfo = async (hashPart: string): Promise<CachedPathInfo | undefined> => {
    const cached = recent.get(hashPart);
    if (cached !== undefined) {
      if (now() - cached.at < ttl) return cached;
      recent.delete(hashPart);
    }
    const known = paths.get(hashPart);
    const path = known ?? (await client.queryPathFromHashPart(hashPart));
    if (path === undefined || path === "") return undefined;
    const found = await client.queryPathInfo(path);
    if (found === undefined) {
      paths.delete(hashPart);
      last.delete(hashPart);
      return undefined;
    }
    if (known === undefined) {
      if (paths.size >= MAX_REMEMBERED_HASH_PARTS) paths.delete(paths.keys().next().value!);
      paths.set(hashPart, path);
    }
    // the narinfo of last time when nothing changed (the handler then need not sign it again)
    const before = last.get(hashPart);
    const entry: CachedPathInfo = {
      info: found,
      narInfo:
        before !== undefined && samePathInfo(before.info, found)
          ? before.narInfo
          : narInfoOfPathInfo(found, storeDir),
      at: now(),
    };
    if (before === undefined && last.size >= maxCached) last.delete(last.keys().next().value!);
    last.set(hashPart, entry);
    if (ttl > 0) {
      // oldest first out (entries are only ever added at the end)
      if (recent.size >= maxCached) recent.delete(recent.keys().next().value!);
      recent.set(hashPart, entry);
    }
    return entry;
  };
  // the NAR of `path` from the daemon; an error forgets the path (deleted, most likely: the
  // daemon is asked again next time)
  const narChunks = async function* (
    path: string,
    hashPart: string,
    reuseBuffers: boolean,
  ): AsyncGenerator<Uint8Array, void, undefined> {
    try {
      // few large chunks for NARs of many small files: each chunk is a socket write
      yield* client.narFromPath(path, { reuseBuffers, coalesceBytes: NAR_CHUNK_BYTES });
    } catch (err) {
      forget(hashPart);
      throw err;
    }
  };
  const narStream = (path: string, hashPart: string): ReadableStream<Uint8Array> => {
    let chunks: AsyncGenerator<Uint8Array, void, undefined> | undefined;
    return new ReadableStream<Uint8Array>(
      {
        async pull(controller) {
          chunks ??= narChunks(path, hashPart, false);
          const next = await chunks.next();
          if (next.done === true) controller.close();
          else controller.enqueue(next.value);
        },
        async cancel() {
          // ends the generator: its session, half way through a NAR, is dropped
          await chunks?.return(undefined);
        },
      },
      { highWaterMark: 0 },
    );
  };
  const uploads =
    options.uploads === undefined
      ? undefined
      : daemonUploads(client, storeDir, options.uploads, (hashPart) => {
          forget(hashPart);
          last.delete(hashPart);
        });
  return {
    cacheInfo: async () => info,
    // the same object while it is cached: the handler keeps what it printed and signed for it
    narInfo: async (hashPart) => (await pathInfo(hashPart))?.narInfo,
    async nar(file): Promise<StoredNar | undefined> {
      const m = PLAIN_NAR_FILE.exec(file);
      if (m === null) return undefined;
      const found = (await pathInfo(m[1]!))?.info;
      if (found === undefined || formatDigest(found.narHash, "nix32") !== m[2]) return undefined;
      return {
        size: found.narSize,
        compression: "none",
        open: () => narStream(found.path, m[1]!),
        // the transport reads into the memory of chunks given back (fewer fresh buffers)
        lend: () => narChunks(found.path, m[1]!, true),
      };
    },
    async listing(hashPart): Promise<StoredFile | undefined> {
      const found = (await pathInfo(hashPart))?.info;
      if (found === undefined) return undefined;
      const path = found.path;
      const text = async () => {
        const root = await listNar(client.narFromPath(path));
        return new TextEncoder().encode(`{"root":${formatNarListingJson(root)},"version":1}`);
      };
      return {
        size: undefined,
        open: () =>
          lazyStream(async () => {
            const bytes = await text();
            return new ReadableStream({
              start(c) {
                c.enqueue(bytes);
                c.close();
              },
            });
          }),
      };
    },
    ...(uploads === undefined ? {} : { uploads }),
  };
}

/** The `PathInfo` to add for an uploaded narinfo. */
function pathInfoOfNarInfo(info: NarInfo, storeDir: string): PathInfo {
  const full = (p: StorePath) => `${storeDir}/${p.hash}-${p.name}`;
  return {
    path: full(info.storePath),
    deriver: info.deriver === undefined ? undefined : full(info.deriver),
    narHash: info.narHash,
    references: info.references.map(full),
    registrationTime: 0,
    narSize: info.narSize,
    ultimate: false,
    sigs: info.signatures.map(formatSignature),
    ca: info.ca,
  };
}

/** The uploads of a daemon store: NARs staged, then checked into `AddToStoreNar`. */
function daemonUploads(
  client: DaemonClient,
  storeDir: string,
  options: DaemonCacheUploadOptions,
  added: (hashPart: string) => void,
): CacheUploads {
  const { staging } = options;
  const maxNar = options.maxNarUploadBytes ?? DEFAULT_MAX_NAR_UPLOAD_BYTES;
  return {
    putNar: (file, body) => stageNarUpload(staging, file, body, maxNar),
    async putListing(_hashPart, body) {
      // the store lists its paths itself: read (bounded) and dropped
      await readUploadBytes(body, MAX_LISTING_UPLOAD_BYTES);
    },
    async putNarInfo(hashPart, text) {
      const info = parseNarInfo(text, { storeDir, file: `${hashPart}.narinfo` });
      const route = cacheRoute(`/${info.url}`);
      const file = route?.kind === "nar" ? route.file : undefined;
      const key = file === undefined ? undefined : stagedNarKey(file);
      try {
        if (info.storePath.hash !== hashPart) {
          throw new CacheUploadError(
            "cache.upload-narinfo-name",
            `${hashPart}.narinfo describes ${info.storePath.hash}-${info.storePath.name}`,
          );
        }
        const staged = key === undefined ? undefined : await staging.get(key);
        if (staged === undefined) {
          throw new CacheUploadError(
            "cache.upload-missing-nar",
            `the narinfo names ${info.url}, which was not uploaded`,
          );
        }
        const method = effectiveCompression(info);
        if (!isCompressionMethod(method) || !canRunCompression(method, "decompress")) {
          throw new CacheUploadError(
            "cache.upload-unknown-compression",
            `cannot check a NAR compressed with '${method}'`,
          );
        }
        // checked while it streams; the last chunk is held back until every hash holds, so
        // the daemon never receives a whole NAR that does not match (and checks it again)
        const nar = checkNar(info, staged.open(), { file: info.url });
        try {
          await client.addToStoreNar(pathInfoOfNarInfo(info, storeDir), nar, {
            dontCheckSigs: options.checkSignatures === false,
          });
        } catch (err) {
          if (
            err instanceof CacheIntegrityError ||
            err instanceof CompressedDataError ||
            err instanceof CompressedDataTruncatedError
          ) {
            throw new CacheUploadError(
              "cache.upload-mismatch",
              `${info.url} does not hold together with its narinfo: ${err.message}`,
              { cause: err },
            );
          }
          if (err instanceof DaemonError) {
            throw new CacheUploadError(
              "cache.upload-refused",
              `the store refused ${info.storePath.hash}-${info.storePath.name}: ${err.message}`,
              { cause: err },
            );
          }
          throw err;
        }
      } finally {
        if (key !== undefined) await staging.delete(key);
        added(hashPart);
      }
    },
  };
}
