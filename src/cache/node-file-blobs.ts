/**
 * A `file://` binary-cache folder as {@link CacheBlobs} (Node only): what
 * `nix copy --to file://DIR` writes, read and written in place. Keys are checked again here
 * (no `..`, no absolute paths, only the cache's own names), and every file is resolved inside
 * the folder: no request reaches a file outside it. Writes go to a temporary name and are
 * renamed into place, so a reader never sees half a file.
 *
 * @module
 */
import { randomBytes } from "node:crypto";
import { createWriteStream } from "node:fs";
import { lstat, mkdir, open, readdir, rename, rm, stat } from "node:fs/promises";
import { dirname, join, resolve, sep } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { UsageError } from "../core/errors.js";
import { createBlobCacheStore, type BlobCacheStoreOptions } from "./blob-cache-store.js";
import type { CacheBlobs } from "./cache-blobs.js";
import type { CacheStore, CacheUploads, StoredFile } from "./cache-store.js";

/** Bytes read from a file per chunk served. */
export const FILE_READ_CHUNK = 256 << 10;

const KEY = /^(\.uploads\/)?(nar\/)?[0-9A-Za-z_-][0-9A-Za-z._-]*$/;

/** A folder's files as {@link CacheBlobs}. */
export function fileCacheBlobs(root: string): CacheBlobs {
  const base = resolve(root);
  const pathOf = (key: string): string => {
    const path = resolve(base, key);
    if (!KEY.test(key) || key.includes("..") || !path.startsWith(base + sep)) {
      throw new UsageError("cache.bad-key", `'${key}' is not a key of a binary cache`);
    }
    return path;
  };
  return {
    async get(key): Promise<StoredFile | undefined> {
      const path = pathOf(key);
      const st = await stat(path).catch(() => undefined);
      if (st === undefined || !st.isFile()) return undefined;
      return { size: st.size, open: () => fileStream(path) };
    },
    async put(key, body) {
      const path = pathOf(key);
      await mkdir(dirname(path), { recursive: true });
      const temp = `${path}.tmp-${randomBytes(6).toString("hex")}`;
      try {
        const source =
          body instanceof ReadableStream
            ? Readable.fromWeb(body as import("node:stream/web").ReadableStream<Uint8Array>)
            : Readable.from([body]);
        await pipeline(source, createWriteStream(temp));
        await rename(temp, path);
      } catch (err) {
        await rm(temp, { force: true });
        throw err;
      }
    },
    async delete(key) {
      await rm(pathOf(key), { force: true });
    },
    async move(from, to) {
      const target = pathOf(to);
      await mkdir(dirname(target), { recursive: true });
      await rename(pathOf(from), target);
    },
  };
}

/** A file's bytes, read as the stream is pulled (one chunk at a time), closed when done. */
function fileStream(path: string): ReadableStream<Uint8Array> {
  let handle: import("node:fs/promises").FileHandle | undefined;
  const close = async () => {
    const h = handle;
    handle = undefined;
    await h?.close();
  };
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          handle ??= await open(path, "r");
          const buffer = new Uint8Array(FILE_READ_CHUNK);
          const { bytesRead } = await handle.read(buffer, 0, buffer.length, null);
          if (bytesRead === 0) {
            await close();
            controller.close();
          } else {
            controller.enqueue(buffer.subarray(0, bytesRead));
          }
        } catch (err) {
          await close();
          controller.error(err);
        }
      },
      cancel: close,
    },
    { highWaterMark: 0 },
  );
}

/**
 * Default age after which a file under a cache folder's `.uploads/` is taken for abandoned: 1
 * hour. Nix sends a narinfo right after its NAR, and a NAR being written is touched with every
 * chunk, so only uploads whose client or server went away get that old.
 */
export const DEFAULT_STALE_UPLOAD_AGE_MS = 60 * 60 * 1000;

/** Options of {@link removeStaleUploads}. */
export interface RemoveStaleUploadsOptions {
  /** Files last written longer ago than this are removed (default {@link DEFAULT_STALE_UPLOAD_AGE_MS}). */
  readonly maxAgeMs?: number;
  /** The time now, in ms since the epoch (default `Date.now()`). */
  readonly now?: number;
}

/**
 * Removes what abandoned uploads left under `root/.uploads/` (a NAR whose narinfo never came,
 * half a file of a server that crashed): every file there older than `maxAgeMs`. Returns the
 * paths removed. What `cache serve` does for a `file://` store when it starts.
 */
export async function removeStaleUploads(
  root: string,
  options: RemoveStaleUploadsOptions = {},
): Promise<string[]> {
  const maxAge = options.maxAgeMs ?? DEFAULT_STALE_UPLOAD_AGE_MS;
  const before = (options.now ?? Date.now()) - maxAge;
  const removed: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        await walk(path);
      } else {
        const st = await lstat(path).catch(() => undefined);
        if (st !== undefined && st.mtimeMs < before) {
          await rm(path, { force: true });
          removed.push(path);
        }
      }
    }
  };
  await walk(join(resolve(root), ".uploads"));
  return removed;
}

/** A readable and writable binary cache in the folder `root` (`file://root`). */
export function createFileCacheStore(
  root: string,
  options: BlobCacheStoreOptions = {},
): CacheStore & { readonly uploads: CacheUploads } {
  return createBlobCacheStore(fileCacheBlobs(root), options);
}
