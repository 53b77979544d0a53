/**
 * Chunk sources over file descriptors for the streaming decoders (Node only).
 *
 * Reads are synchronous into one reused buffer (so decoding a NAR costs no promise per chunk);
 * regular files are read by position and can skip payloads without reading them, which keeps
 * `nar ls` on a NAR holding a 2 GiB file fast and small. Pipes in non-blocking mode are
 * retried after a short sleep.
 *
 * @module
 */
import { nodeFs } from "./builtins.js";
import { readBuffer } from "./read-buffer.js";
import type { ChunkSource } from "../codecs/byte-reader.js";

const { closeSync, fstatSync, openSync, readSync } = nodeFs;

/** Default read size: 1 MiB. */
export const SOURCE_CHUNK_SIZE = 1 << 20;

const sleeper = new Int32Array(new SharedArrayBuffer(4));

/** Reads into `buf`, retrying while a non-blocking descriptor says EAGAIN. */
export function readSyncRetry(
  fd: number,
  buf: Uint8Array,
  offset: number,
  length: number,
  position: number | null,
): number {
  for (;;) {
    try {
      return readSync(fd, buf, offset, length, position);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EAGAIN") throw e;
      Atomics.wait(sleeper, 0, 0, 1);
    }
  }
}

/** A chunk source with a `close()`. */
export interface FdChunkSource extends ChunkSource {
  close(): void;
}

/**
 * A source reading descriptor `fd` (chunks are views of one reused buffer, valid until the next
 * `next()`). Regular files are read by position from offset 0 and support `skip` (unless
 * `positional: false`).
 */
export function fdChunkSource(
  fd: number,
  options: { chunkSize?: number; closeFd?: boolean; positional?: boolean } = {},
): FdChunkSource {
  const buf = readBuffer(options.chunkSize ?? SOURCE_CHUNK_SIZE);
  let seekable = false;
  let position = 0;
  let size = 0;
  try {
    const st = fstatSync(fd);
    seekable = st.isFile() && options.positional !== false;
    size = st.size;
  } catch {
    seekable = false;
  }
  const src: FdChunkSource = {
    sync: true,
    next() {
      const n = readSyncRetry(fd, buf, 0, buf.length, seekable ? position : null);
      if (n === 0) return undefined;
      position += n;
      return buf.subarray(0, n);
    },
    close() {
      if (options.closeFd) closeSync(fd);
    },
  };
  if (seekable) {
    src.skip = (n: number) => {
      const k = Math.min(n, Math.max(0, size - position));
      position += k;
      return k;
    };
  }
  return src;
}

/** Opens `path` (or standard input for `-`) as a chunk source. */
export function fileChunkSource(path: string, options: { chunkSize?: number } = {}): FdChunkSource {
  // standard input is read where it stands (its offset may not be 0), never by position
  if (path === "-") return fdChunkSource(0, { ...options, positional: false });
  return fdChunkSource(openSync(path, "r"), { ...options, closeFd: true });
}
