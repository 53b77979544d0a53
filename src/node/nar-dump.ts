/**
 * Dumping a filesystem path as a NAR (Node only), byte-identical to `nix-store --dump`.
 *
 * Symlinks are not followed, the executable flag is the owner's x bit, directory entries are
 * sorted as bytes (names are handled as raw bytes throughout, so non-UTF-8 names work). The
 * hot path reads files straight into one reused output buffer: one `read` per small file,
 * 1 MiB reads for large ones. Its output is pinned to the declarative encoder by a property
 * test.
 *
 * @module
 */
import {
  closeSync,
  lstatSync,
  openSync,
  readdirSync,
  readlinkSync,
  readSync,
  type Stats,
} from "node:fs";
import { framedBytes, padLength, writeU64 } from "../codecs/wire-bytes.js";
import { MalformedInputError } from "../core/errors.js";
import type { HashAlgorithm } from "../core/hash-algorithm.js";
import { createHasher } from "../core/hasher.js";
import { NAR_HEADERS } from "../nar/writer.js";

/** Default size of the output buffer of {@link dumpPathChunks}: 1 MiB. */
export const DUMP_BUFFER_SIZE = 1 << 20;

const SLASH = Buffer.from("/");

/** Options of {@link dumpPathChunks}. */
export interface DumpOptions {
  /** Output buffer size (default {@link DUMP_BUFFER_SIZE}). */
  readonly bufferSize?: number;
}

/**
 * Serialises `path` as a NAR, yielding chunks that are views of one reused buffer: consume
 * (or copy) each chunk before asking for the next.
 */
export function* dumpPathChunks(
  path: string | Uint8Array,
  options: DumpOptions = {},
): Generator<Uint8Array, void, undefined> {
  const size = Math.max(4096, options.bufferSize ?? DUMP_BUFFER_SIZE);
  const buf = Buffer.allocUnsafe(size);
  let at = 0;
  const root = typeof path === "string" ? Buffer.from(path) : Buffer.from(path);

  // Copies small constant pieces; the caller guarantees room (or flushes first).
  const put = (b: Uint8Array) => {
    buf.set(b, at);
    at += b.length;
  };

  function* room(n: number): Generator<Uint8Array, void, undefined> {
    if (at + n > size) {
      yield buf.subarray(0, at);
      at = 0;
    }
  }

  function* bigPut(b: Uint8Array): Generator<Uint8Array, void, undefined> {
    if (b.length <= size) {
      yield* room(b.length);
      put(b);
      return;
    }
    if (at > 0) {
      yield buf.subarray(0, at);
      at = 0;
    }
    yield b;
  }

  function* node(p: Buffer, st: Stats): Generator<Uint8Array, void, undefined> {
    if (st.isFile()) {
      const exec = (st.mode & 0o100) !== 0;
      const header = exec ? NAR_HEADERS.executable : NAR_HEADERS.regular;
      const len = st.size;
      yield* room(header.length + 8);
      put(header);
      writeU64(buf, at, len);
      at += 8;
      if (len > 0) {
        const fd = openSync(p, "r");
        try {
          let left = len;
          while (left > 0) {
            if (at === size) {
              yield buf.subarray(0, at);
              at = 0;
            }
            const n = readSync(fd, buf, at, Math.min(left, size - at), null);
            if (n === 0) {
              throw new MalformedInputError(
                "nar.file-changed",
                `file '${p}' changed while it was being dumped`,
              );
            }
            at += n;
            left -= n;
          }
        } finally {
          closeSync(fd);
        }
      }
      const pad = padLength(len);
      yield* room(pad + NAR_HEADERS.close.length);
      buf.fill(0, at, at + pad);
      at += pad;
      put(NAR_HEADERS.close);
    } else if (st.isDirectory()) {
      yield* room(NAR_HEADERS.directory.length);
      put(NAR_HEADERS.directory);
      const names = readdirSync(p, { encoding: "buffer" });
      names.sort(Buffer.compare);
      for (const name of names) {
        const framed = framedBytes(name);
        yield* room(NAR_HEADERS.entry.length + framed.length + NAR_HEADERS.node.length);
        put(NAR_HEADERS.entry);
        put(framed);
        put(NAR_HEADERS.node);
        const child = Buffer.concat([p, SLASH, name]);
        yield* node(child, lstatSync(child));
        yield* room(NAR_HEADERS.close.length);
        put(NAR_HEADERS.close);
      }
      yield* room(NAR_HEADERS.close.length);
      put(NAR_HEADERS.close);
    } else if (st.isSymbolicLink()) {
      const target = readlinkSync(p, { encoding: "buffer" });
      yield* room(NAR_HEADERS.symlink.length);
      put(NAR_HEADERS.symlink);
      yield* bigPut(framedBytes(target));
      yield* room(NAR_HEADERS.close.length);
      put(NAR_HEADERS.close);
    } else {
      throw new MalformedInputError(
        "nar.unsupported-file-type",
        `file '${p}' has an unsupported type`,
      );
    }
  }

  put(NAR_HEADERS.magic);
  yield* node(root, lstatSync(root));
  if (at > 0) yield buf.subarray(0, at);
}

/** Serialises `path` as a NAR into one `Uint8Array` (for small trees and tests). */
export function dumpPathToBytes(path: string | Uint8Array): Uint8Array {
  const parts: Buffer[] = [];
  for (const c of dumpPathChunks(path)) parts.push(Buffer.from(c));
  return new Uint8Array(Buffer.concat(parts));
}

/** Serialises `path` as a NAR, as an async iterable of fresh (not reused) chunks. */
export async function* dumpPath(
  path: string | Uint8Array,
): AsyncGenerator<Uint8Array, void, undefined> {
  for (const c of dumpPathChunks(path)) yield new Uint8Array(c);
}

/** The NAR hash of `path` (the hash `nix hash path` prints), computed while streaming. */
export async function hashPath(
  path: string | Uint8Array,
  algorithm: HashAlgorithm = "sha256",
): Promise<Uint8Array> {
  return (await narHashAndSize(path, algorithm)).hash;
}

/** The NAR hash and NAR size of `path` in one pass (what `narHash`/`narSize` record). */
export async function narHashAndSize(
  path: string | Uint8Array,
  algorithm: HashAlgorithm = "sha256",
): Promise<{ hash: Uint8Array; size: number }> {
  const h = createHasher(algorithm);
  let size = 0;
  for (const c of dumpPathChunks(path)) {
    h.update(c);
    size += c.length;
  }
  return { hash: h.digest(), size };
}
