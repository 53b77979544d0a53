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
import { NAR_HEADERS } from "../nar/nar-tokens.js";

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
  // room for the longest fixed piece: a symlink header with a PATH_MAX target
  const size = Math.max(16384, options.bufferSize ?? DUMP_BUFFER_SIZE);
  const buf = Buffer.allocUnsafe(size);
  let at = 0;
  const root = typeof path === "string" ? Buffer.from(path) : Buffer.from(path);

  // Copies small constant pieces; the caller makes room first (flushing the buffer if needed).
  const put = (b: Uint8Array) => {
    buf.set(b, at);
    at += b.length;
  };
  const zeros = (n: number) => {
    for (let i = 0; i < n; i++) buf[at + i] = 0;
    at += n;
  };
  const putString = (b: Uint8Array) => {
    writeU64(buf, at, b.length);
    at += 8;
    put(b);
    zeros(padLength(b.length));
  };
  const H = NAR_HEADERS;

  function* node(p: Buffer, st: Stats): Generator<Uint8Array, void, undefined> {
    if (st.isFile()) {
      const exec = (st.mode & 0o100) !== 0;
      const header = exec ? H.executable : H.regular;
      const len = st.size;
      if (at + header.length + 8 > size) {
        yield buf.subarray(0, at);
        at = 0;
      }
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
      if (at + 8 + H.close.length > size) {
        yield buf.subarray(0, at);
        at = 0;
      }
      zeros(padLength(len));
      put(H.close);
    } else if (st.isDirectory()) {
      if (at + H.directory.length > size) {
        yield buf.subarray(0, at);
        at = 0;
      }
      put(H.directory);
      const names = readdirSync(p, { encoding: "buffer" });
      names.sort(Buffer.compare);
      for (const name of names) {
        if (at + H.entry.length + 16 + name.length + H.node.length > size) {
          yield buf.subarray(0, at);
          at = 0;
        }
        put(H.entry);
        putString(name);
        put(H.node);
        const child = Buffer.concat([p, SLASH, name]);
        yield* node(child, lstatSync(child));
        if (at + H.close.length > size) {
          yield buf.subarray(0, at);
          at = 0;
        }
        put(H.close);
      }
      if (at + H.close.length > size) {
        yield buf.subarray(0, at);
        at = 0;
      }
      put(H.close);
    } else if (st.isSymbolicLink()) {
      const target = readlinkSync(p, { encoding: "buffer" });
      const framed = framedBytes(target);
      if (at + H.symlink.length + framed.length + H.close.length > size) {
        yield buf.subarray(0, at);
        at = 0;
      }
      put(H.symlink);
      put(framed);
      put(H.close);
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
