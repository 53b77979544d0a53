/**
 * A NAR from a binary cache, checked while it streams: the compressed bytes against the
 * narinfo's `FileSize` and `FileHash`, the NAR after decompression against `NarSize` and
 * `NarHash`. Sizes are checked as bytes arrive (a file longer than promised stops at once);
 * hashes at the end, and the last chunk is held back until they hold, so a consumer that
 * reads to the end has received only verified bytes, and one given a bad NAR gets
 * {@link CacheIntegrityError} instead of the end of the stream.
 *
 * @module
 */
import { byteChunks, type ByteStreamInput } from "../core/byte-stream.js";
import { formatHash, type Hash, hashEquals, makeHash } from "../core/hash.js";
import { createHasher } from "../core/hasher.js";
import { readNar, type NarReadOptions, type NarStreamNode } from "../nar/index.js";
import { effectiveCompression, type NarInfo } from "../narinfo/index.js";
import { type BinaryCache, cacheFileUrl, fetchCacheFile } from "./binary-cache.js";
import { decompress } from "./compression.js";
import { CacheIntegrityError, CacheResponseError } from "./errors.js";

/** Options of {@link checkNar}. */
export interface CheckNarOptions {
  /** Named in error messages (the NAR's URL). */
  readonly file?: string;
}

function mismatch(
  code: string,
  what: string,
  expected: string,
  got: string,
  file: string | undefined,
) {
  return new CacheIntegrityError(
    code,
    `${what} mismatch: the narinfo says ${expected}, got ${got}`,
    { file },
  );
}

/**
 * The NAR in `compressed` (a cache's NAR file, compressed as `info` says), decompressed and
 * checked against `info` as it streams (see the module comment).
 */
export async function* checkNar(
  info: NarInfo,
  compressed: ByteStreamInput,
  options: CheckNarOptions = {},
): AsyncGenerator<Uint8Array, void, undefined> {
  const file = options.file;
  const fileHasher = info.fileHash ? createHasher(info.fileHash.algorithm) : undefined;
  let fileSize = 0;
  async function* tapped(): AsyncGenerator<Uint8Array, void, undefined> {
    for await (const chunk of byteChunks(compressed)) {
      fileSize += chunk.length;
      if (info.fileSize !== undefined && info.fileSize !== 0 && fileSize > info.fileSize) {
        throw mismatch(
          "cache.file-size-mismatch",
          "FileSize",
          `${info.fileSize}`,
          `more bytes`,
          file,
        );
      }
      fileHasher?.update(chunk);
      yield chunk;
    }
  }
  const narHasher = createHasher(info.narHash.algorithm);
  let narSize = 0;
  let held: Uint8Array | undefined;
  for await (const chunk of decompress(effectiveCompression(info), tapped(), { file })) {
    narSize += chunk.length;
    if (narSize > info.narSize) {
      throw mismatch("cache.nar-size-mismatch", "NarSize", `${info.narSize}`, "more bytes", file);
    }
    narHasher.update(chunk);
    if (held !== undefined) yield held;
    held = chunk;
  }
  if (info.fileSize !== undefined && info.fileSize !== 0 && fileSize !== info.fileSize) {
    throw mismatch("cache.file-size-mismatch", "FileSize", `${info.fileSize}`, `${fileSize}`, file);
  }
  if (info.fileHash !== undefined && fileHasher !== undefined) {
    const got = makeHash(info.fileHash.algorithm, fileHasher.digest());
    if (!hashEquals(got, info.fileHash)) {
      throw mismatch("cache.file-hash-mismatch", "FileHash", sri(info.fileHash), sri(got), file);
    }
  }
  if (narSize !== info.narSize) {
    throw mismatch("cache.nar-size-mismatch", "NarSize", `${info.narSize}`, `${narSize}`, file);
  }
  const narHash = makeHash(info.narHash.algorithm, narHasher.digest());
  if (!hashEquals(narHash, info.narHash)) {
    throw mismatch("cache.nar-hash-mismatch", "NarHash", sri(info.narHash), sri(narHash), file);
  }
  if (held !== undefined) yield held;
}

const sri = (h: Hash) => formatHash(h, "sri");

/**
 * Fetches the NAR of `info` from `cache` and streams it checked (see {@link checkNar}). A NAR
 * file the cache does not have is {@link CacheResponseError} `cache.http-status` (404).
 */
export async function* fetchNar(
  cache: BinaryCache,
  info: NarInfo,
): AsyncGenerator<Uint8Array, void, undefined> {
  const url = cacheFileUrl(cache, info.url);
  const res = await fetchCacheFile(cache, info.url);
  if (res === undefined)
    throw new CacheResponseError("cache.http-status", `${url}: no such NAR file`, 404, url);
  yield* checkNar(info, res.body ?? new Uint8Array(0), { file: url });
}

/**
 * The nodes of the NAR of `info`, read by the NAR reader while it is fetched, decompressed
 * and checked, all in one pass with bounded memory (see `readNar` of `nix-compat/nar`: each
 * regular file's `contents` is consumed before the next node). A NAR that fails its checks
 * throws before the reader reaches its end.
 */
export function readCachedNar(
  cache: BinaryCache,
  info: NarInfo,
  options: NarReadOptions = {},
): AsyncGenerator<NarStreamNode, void, undefined> {
  return readNar(fetchNar(cache, info), options);
}
