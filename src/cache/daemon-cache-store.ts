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
 * @module
 */
import type { DaemonClient } from "../daemon/client.js";
import type { PathInfo } from "../daemon/wire/types.js";
import { formatDigest } from "../core/hash.js";
import { DEFAULT_STORE_DIR, parseStorePath, type StorePath } from "../core/store-path.js";
import { formatNarListingJson, listNar } from "../nar/listing.js";
import type { NarInfo } from "../narinfo/types.js";
import { CANONICAL_QUIRKS } from "../narinfo/types.js";
import { parseSignature, type Signature } from "../signing/keys.js";
import { lazyStream } from "./cache-blobs.js";
import { plainNarFile } from "./cache-handler.js";
import type { CacheStore, CacheStoreInfo, StoredFile, StoredNar } from "./cache-store.js";

/** Default `Priority` of a cache serving a local store (nix-serve and harmonia say 30). */
export const DEFAULT_DAEMON_CACHE_PRIORITY = 30;

/** Hash parts whose store path is remembered at most (a path's name never changes). */
export const MAX_REMEMBERED_HASH_PARTS = 16_384;

/** Options of {@link createDaemonCacheStore}. */
export interface DaemonCacheStoreOptions {
  /** The daemon client (its connections are used, never closed). */
  readonly client: DaemonClient;
  /** The store directory (default `/nix/store`). */
  readonly storeDir?: string;
  /** `Priority` (default {@link DEFAULT_DAEMON_CACHE_PRIORITY}). */
  readonly priority?: number;
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

/** A read-only cache store over a daemon client. */
export function createDaemonCacheStore(options: DaemonCacheStoreOptions): CacheStore {
  const { client } = options;
  const storeDir = options.storeDir ?? DEFAULT_STORE_DIR;
  const info: CacheStoreInfo = {
    storeDir,
    wantMassQuery: true,
    priority: options.priority ?? DEFAULT_DAEMON_CACHE_PRIORITY,
  };
  // hash part -> store path: what QueryPathFromHashPart said, so a path asked for again costs
  // one daemon round trip (QueryPathInfo, which also says whether it is still valid)
  const paths = new Map<string, string>();
  const pathInfo = async (hashPart: string): Promise<PathInfo | undefined> => {
    const known = paths.get(hashPart);
    const path = known ?? (await client.queryPathFromHashPart(hashPart));
    if (path === undefined || path === "") return undefined;
    const found = await client.queryPathInfo(path);
    if (found === undefined) {
      paths.delete(hashPart);
    } else if (known === undefined) {
      if (paths.size >= MAX_REMEMBERED_HASH_PARTS) paths.delete(paths.keys().next().value!);
      paths.set(hashPart, path);
    }
    return found;
  };
  const narStream = (path: string): ReadableStream<Uint8Array> => {
    let chunks: AsyncGenerator<Uint8Array, void, undefined> | undefined;
    return new ReadableStream<Uint8Array>(
      {
        async pull(controller) {
          chunks ??= client.narFromPath(path);
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
  return {
    cacheInfo: async () => info,
    async narInfo(hashPart) {
      const found = await pathInfo(hashPart);
      return found === undefined ? undefined : narInfoOfPathInfo(found, storeDir);
    },
    async nar(file): Promise<StoredNar | undefined> {
      const m = PLAIN_NAR_FILE.exec(file);
      if (m === null) return undefined;
      const found = await pathInfo(m[1]!);
      if (found === undefined || formatDigest(found.narHash, "nix32") !== m[2]) return undefined;
      return { size: found.narSize, compression: "none", open: () => narStream(found.path) };
    },
    async listing(hashPart): Promise<StoredFile | undefined> {
      const found = await pathInfo(hashPart);
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
  };
}
