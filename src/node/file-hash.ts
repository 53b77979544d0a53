/**
 * Flat hashing of files (Node only): reads into one reused, cache-sized buffer, native hashing.
 * Files of {@link FILE_HASH_RANGES_FROM} bytes or more are read ahead in ranges by the I/O
 * pool's workers (io-pool.ts) when it has started, while the main thread hashes.
 *
 * @module
 */
import { nodeFs } from "./builtins.js";
import type { ReadResult } from "./fs-jobs.js";
import { type IoPool, type IoTicket, ioPool } from "./io-pool.js";
import { readBuffer } from "./read-buffer.js";
import type { HashAlgorithm } from "../core/hash-algorithm.js";
import { createHasher } from "../core/hasher.js";

/**
 * Size of the reused read buffer: 128 KiB, so that what `read` just copied is still in the
 * CPU cache when the hash reads it. Measured on 200 MiB (sha256, node:crypto): 64-128 KiB
 * 0.18-0.19 s; 256 KiB to 4 MiB 0.27-0.30 s, unless the buffer starts a little past a page
 * boundary (the kernel seems to copy large page-aligned reads around the cache).
 */
export const FILE_HASH_BUFFER_SIZE = 1 << 17;

/** Files from this size on are read ahead by the I/O pool (when it runs): 16 MiB. */
export const FILE_HASH_RANGES_FROM = 1 << 24;

/** Size of one range read ahead: 1 MiB. */
export const FILE_HASH_RANGE = 1 << 20;

/** Ranges read ahead at most. */
export const FILE_HASH_WINDOW = 8;

let shared: Uint8Array | undefined;

/**
 * Hashes a file's contents (not its NAR serialisation) with the current hash backend.
 * Synchronous reads into a reused buffer: the fastest way in Node for one large file.
 */
export function hashFileSync(
  algorithm: HashAlgorithm,
  path: string | Uint8Array,
  pool: IoPool = ioPool(),
): Uint8Array {
  shared ??= readBuffer(FILE_HASH_BUFFER_SIZE);
  const buf = shared;
  const hasher = createHasher(algorithm);
  const fd = nodeFs.openSync(typeof path === "string" ? path : Buffer.from(path), "r");
  try {
    const st = nodeFs.fstatSync(fd);
    let position: number | null = null;
    if (st.isFile() && st.size >= FILE_HASH_RANGES_FROM) {
      pool.start();
      if (pool.parallel)
        position = hashRanges(hasher, Buffer.from(path).toString("latin1"), st.size, pool);
    }
    // the rest (all of it, or what follows the ranges if the file grew or shrank) read here
    for (;;) {
      const n = nodeFs.readSync(fd, buf, 0, buf.length, position);
      if (n === 0) break;
      if (position !== null) position += n;
      hasher.update(n === buf.length ? buf : buf.subarray(0, n));
    }
  } finally {
    nodeFs.closeSync(fd);
    pool.finished();
  }
  return hasher.digest();
}

/**
 * Hashes the first `size` bytes of the file in ranges the pool reads ahead; returns the offset
 * hashed up to (short of `size` if the file shrank: the caller reads on from there).
 */
function hashRanges(
  hasher: { update(data: Uint8Array): unknown },
  path: string,
  size: number,
  pool: IoPool,
): number {
  const ahead: IoTicket[] = [];
  let sent = 0;
  let done = 0;
  try {
    while (done < size) {
      while (sent < size && ahead.length < FILE_HASH_WINDOW) {
        const length = Math.min(FILE_HASH_RANGE, size - sent);
        ahead.push(pool.submit({ op: "read", path, offset: sent, length }));
        sent += length;
      }
      const t = ahead.shift()!;
      const r = pool.wait(t) as ReadResult;
      const job = t.job as { length: number };
      if (r.failure !== undefined) {
        pool.recycle(r.data);
        return done;
      }
      hasher.update(new Uint8Array(r.data, 0, job.length));
      pool.recycle(r.data);
      done += job.length;
    }
    return done;
  } finally {
    for (const t of ahead) pool.abandon(t);
  }
}
