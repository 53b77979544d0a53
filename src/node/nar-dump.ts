/**
 * Dumping a filesystem path as a NAR (Node only), byte-identical to `nix-store --dump`.
 *
 * Symlinks are not followed, the executable flag is the owner's x bit, directory entries are
 * sorted as bytes (names are handled as raw bytes throughout, so non-UTF-8 names work). The
 * hot path is a resumable loop that reads files straight into one reused output buffer: one
 * `lstat`, `open`, `read` and `close` per small file (as Nix), 1 MiB reads for large ones.
 * Its output is pinned to the declarative encoder by a property test.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { closeSync, lstatSync, openSync, readdirSync, readlinkSync, readSync } from "node:fs";
import { readBuffer } from "./read-buffer.js";
import { padLength, writeU64 } from "../codecs/wire-bytes.js";
import { MalformedInputError } from "../core/errors.js";
import type { HashAlgorithm } from "../core/hash-algorithm.js";
import { NAR_HEADERS } from "../nar/nar-tokens.js";

/** Default size of the output buffer of {@link dumpPathChunks}: 1 MiB. */
export const DUMP_BUFFER_SIZE = 1 << 20;

/** Options of {@link dumpPathChunks}. */
export interface DumpOptions {
  /** Output buffer size (default {@link DUMP_BUFFER_SIZE}). */
  readonly bufferSize?: number;
}

const H = NAR_HEADERS;
/** Room kept for one step's fixed pieces (an entry with a 255-byte name and a symlink node
 * with a 4095-byte target take less than 5 KiB). */
const RESERVE = 8192;
const NON_ASCII = /[^\x00-\x7f]/;

/** A directory being dumped: its path (one character per byte), its sorted names, the next. */
interface Frame {
  readonly path: string;
  readonly ascii: boolean;
  readonly names: string[];
  next: number;
}

/**
 * The dump as a resumable loop (no generator, no recursion): {@link Dumper.next} fills the
 * buffer and returns it. Paths and names are kept as strings of one character per byte
 * ("latin1"): `readdir` gives them so without a Buffer per name, their default sort is the
 * byte order Nix uses, and they are written out (and handed to the filesystem, as Buffers
 * unless ASCII) byte for byte.
 */
class Dumper {
  private readonly buf: Buffer;
  private readonly size: number;
  private at = 0;
  private readonly stack: Frame[] = [];
  private fd = -1;
  private left = 0;
  private fileSize = 0;
  private filePath = "";
  private done = false;

  constructor(root: string, size: number) {
    this.size = size;
    this.buf = readBuffer(size);
    this.put(H.magic);
    this.child(root, !NON_ASCII.test(root));
  }

  /** Closes the file being read, if any (when the consumer stops early). */
  close(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }

  /** The next chunk (a view of the reused buffer), or undefined at the end. */
  next(): Uint8Array | undefined {
    if (this.done && this.at === 0) return undefined;
    for (;;) {
      if (this.done || this.at > this.size - RESERVE) return this.flush();
      if (this.pendingEnd) {
        this.pendingEnd = false;
        this.endFile();
        continue;
      }
      if (this.fd >= 0) {
        this.payload();
        continue;
      }
      const top = this.stack[this.stack.length - 1];
      if (top === undefined) {
        this.done = true;
        continue;
      }
      if (top.next < top.names.length) {
        const name = top.names[top.next++]!;
        this.put(H.entry);
        this.putText(name);
        this.put(H.node);
        this.child(`${top.path}/${name}`, top.ascii && !NON_ASCII.test(name));
      } else {
        this.stack.pop();
        this.put(H.close);
        this.endNode();
      }
    }
  }

  private flush(): Uint8Array {
    const n = this.at;
    this.at = 0;
    return this.buf.subarray(0, n);
  }

  private put(b: Uint8Array): void {
    this.buf.set(b, this.at);
    this.at += b.length;
  }

  private zeros(n: number): void {
    this.buf.fill(0, this.at, this.at + n);
    this.at += n;
  }

  /** A framed string given one character per byte. */
  private putText(text: string): void {
    writeU64(this.buf, this.at, text.length);
    this.buf.write(text, this.at + 8, "latin1");
    this.at += 8 + text.length;
    this.zeros(padLength(text.length));
  }

  /** After a node: closes its directory entry, or ends the dump at the root. */
  private endNode(): void {
    if (this.stack.length > 0) this.put(H.close);
    else this.done = true;
  }

  /** Starts the node at `path` (one character per byte; `ascii` when it is all ASCII). */
  private child(path: string, ascii: boolean): void {
    const fsPath = ascii ? path : Buffer.from(path, "latin1");
    const st = lstatSync(fsPath);
    if (st.isFile()) {
      const len = st.size;
      this.put((st.mode & 0o100) !== 0 ? H.executable : H.regular);
      writeU64(this.buf, this.at, len);
      this.at += 8;
      this.fileSize = len;
      if (len > 0) {
        this.fd = openSync(fsPath, "r");
        this.left = len;
        this.filePath = path;
        this.payload();
      } else {
        this.put(H.close);
        this.endNode();
      }
    } else if (st.isDirectory()) {
      this.put(H.directory);
      const names = readdirSync(fsPath, { encoding: "latin1" });
      names.sort();
      this.stack.push({ path, ascii, names, next: 0 });
    } else if (st.isSymbolicLink()) {
      this.put(H.symlink);
      this.putText(readlinkSync(fsPath, { encoding: "latin1" }));
      this.put(H.close);
      this.endNode();
    } else {
      throw new MalformedInputError(
        "nar.unsupported-file-type",
        `file '${Buffer.from(path, "latin1").toString()}' has an unsupported type`,
      );
    }
  }

  /** Reads the current file into the buffer, as far as it goes; finishes the node at its end. */
  private payload(): void {
    while (this.left > 0 && this.at < this.size) {
      const n = readSync(
        this.fd,
        this.buf,
        this.at,
        Math.min(this.left, this.size - this.at),
        null,
      );
      if (n === 0) {
        this.close();
        throw new MalformedInputError(
          "nar.file-changed",
          `file '${Buffer.from(this.filePath, "latin1").toString()}' changed while it was being dumped`,
        );
      }
      this.at += n;
      this.left -= n;
    }
    if (this.left > 0) return;
    this.close();
    // the padding and closing tokens: now if they fit, else after the next flush
    if (this.at > this.size - 32) this.pendingEnd = true;
    else this.endFile();
  }

  private pendingEnd = false;

  private endFile(): void {
    this.zeros(padLength(this.fileSize));
    this.put(H.close);
    this.endNode();
  }
}

/**
 * Serialises `path` as a NAR, yielding chunks that are views of one reused buffer: consume
 * (or copy) each chunk before asking for the next.
 */
export function* dumpPathChunks(
  path: string | Uint8Array,
  options: DumpOptions = {},
): Generator<Uint8Array, void, undefined> {
  const size = Math.max(4 * RESERVE, options.bufferSize ?? DUMP_BUFFER_SIZE);
  const root = Buffer.from(path).toString("latin1");
  const d = new Dumper(root, size);
  try {
    for (let c = d.next(); c !== undefined; c = d.next()) yield c;
  } finally {
    d.close();
  }
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

/**
 * The NAR hash and NAR size of `path` in one pass (what `narHash`/`narSize` record), hashed
 * with `node:crypto` (OpenSSL) in 1 MiB updates; `blake3`, which OpenSSL lacks, with the
 * portable backend (loaded only then).
 */
export async function narHashAndSize(
  path: string | Uint8Array,
  algorithm: HashAlgorithm = "sha256",
): Promise<{ hash: Uint8Array; size: number }> {
  const h: { update(data: Uint8Array): unknown; digest(): Uint8Array } =
    algorithm === "blake3"
      ? (await import("../core/hasher.js")).nobleHashBackend.create(algorithm)
      : createHash(algorithm);
  let size = 0;
  for (const c of dumpPathChunks(path)) {
    h.update(c);
    size += c.length;
  }
  return { hash: new Uint8Array(h.digest()), size };
}
