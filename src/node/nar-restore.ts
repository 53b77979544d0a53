/**
 * Restoring a NAR into the filesystem (Node only), like `nix-store --restore`.
 *
 * The destination must not exist. Every name comes from the grammar, which refuses `.`, `..`,
 * `/` and NUL, so nothing is written outside the destination; files are created with
 * `O_EXCL | O_NOFOLLOW` and directories with `mkdir`, so nothing existing (in particular no
 * symlink created earlier) is ever followed or overwritten. Files get mode 0666 and, when
 * executable, `| 0111` (both under the umask), as Nix does. On failure a
 * {@link NarRestoreError} says what was left behind, once every write under way has ended.
 *
 * While the main thread parses the NAR and creates directories and symlinks, small files are
 * gathered in batches that the I/O pool's worker threads create and write (io-pool.ts; at
 * most {@link RESTORE_WINDOW} batches under way: with as many, the main thread writes the next
 * batch itself rather than waiting); large files are written from the main thread in the
 * reader's large chunks. While the pool has no workers (not started yet, or
 * no idle core), small files too are written from the main thread straight from the
 * reader's buffer. Directories are made before any batch that fills them
 * is handed out.
 *
 * @module
 */
import { nodeFs } from "./builtins.js";
import { failureError, type WriteJob, type WriteResult } from "./fs-jobs.js";
import { type IoPool, type IoTicket, ioPool } from "./io-pool.js";
import { type ByteInput, byteReader } from "../codecs/byte-reader.js";
import { isNixCompatError, NixCompatError } from "../core/errors.js";
import { readNarStream } from "../nar/nar-stream-reader.js";
import { type NarSyncNode, visitNarSync } from "../nar/nar-sync-visitor.js";
import type { NarReadOptions, NarStreamNode } from "../nar/reader.js";

const {
  closeSync,
  constants,
  fchmodSync,
  fstatSync,
  lstatSync,
  mkdirSync,
  openSync,
  symlinkSync,
  writeSync,
} = nodeFs;

/** Why a restore stopped, and what it left on disk. */
export class NarRestoreError extends NixCompatError {
  /** The destination, left incomplete (or absent when nothing was created). */
  readonly destination: string;
  /** Number of files, directories and symlinks created before the failure. */
  readonly created: number;

  constructor(destination: string, created: number, cause: unknown) {
    // a library error's position is copied below: its detail, not its message (which starts
    // with that position), or the position is printed twice
    const inner = isNixCompatError(cause)
      ? cause.detail
      : cause instanceof Error
        ? cause.message
        : String(cause);
    const left =
      created === 0
        ? "nothing was created"
        : `'${destination}' was left incomplete with ${created} entries: remove it`;
    super(
      isNixCompatError(cause) ? cause.code : "nar.restore-failed",
      `${inner} (restore stopped; ${left})`,
      {
        ...(isNixCompatError(cause) ? cause.position : {}),
        cause,
      },
    );
    this.destination = destination;
    this.created = created;
  }

  override get truncated(): boolean {
    return isNixCompatError(this.cause) && this.cause.truncated;
  }
}

const CREATE_FLAGS =
  constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

function writeAll(fd: number, chunk: Uint8Array): void {
  let off = 0;
  while (off < chunk.length) off += writeSync(fd, chunk, off, chunk.length - off);
}

/** Files up to this size are written by the I/O pool's workers, in batches: 64 KiB. */
export const RESTORE_SMALL_FILE = 1 << 16;

/** Bytes of contents in one batch at most: 512 KiB. */
export const RESTORE_BATCH_BYTES = 1 << 19;

/** Files in one batch at most. */
export const RESTORE_BATCH_FILES = 256;

/** Batches under way at most (each holds at most {@link RESTORE_BATCH_BYTES}). */
export const RESTORE_WINDOW = 8;

/** Options of {@link restoreNar}. */
export interface RestoreOptions extends NarReadOptions {
  /** Called after each entry is created, with the running counts (for progress reports). */
  readonly onProgress?: (progress: { entries: number; bytes: number }) => void;
  /** The I/O pool (default: the process's, see io-pool.ts). */
  readonly pool?: IoPool;
  /** Files in one batch at most (default {@link RESTORE_BATCH_FILES}). */
  readonly batchFiles?: number;
  /**
   * Batches handed to the pool's workers at most (default {@link RESTORE_WINDOW}); with as many
   * under way, the next batch is written on the main thread.
   */
  readonly batchesUnderWay?: number;
}

/**
 * Restores the NAR read from `input` as `destination` (a path, or its bytes), which must not
 * exist. Synchronous
 * inputs (bytes, iterables of chunks, sources marked `sync` such as `fdChunkSource`) are
 * restored without a promise per entry.
 */
export async function restoreNar(
  input: ByteInput,
  destination: string | Uint8Array,
  options: RestoreOptions = {},
): Promise<void> {
  const dest = Buffer.from(destination);
  // (a destination given as bytes that are not UTF-8 shows with U+FFFD in messages)
  const shown = typeof destination === "string" ? destination : dest.toString();
  let exists = true;
  try {
    lstatSync(dest);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
    exists = false;
  }
  if (exists) {
    throw new NixCompatError("nar.destination-exists", `'${shown}' already exists`);
  }
  const pool = options.pool ?? ioPool();
  const r = new Restorer(dest, options, pool);
  const reader = byteReader(input);
  try {
    if (reader.isSync) {
      visitNarSync(reader, (node) => r.node(node), options);
      r.finish();
    } else {
      for await (const node of readNarStream(reader, options)) {
        if (node.type !== "regular") {
          r.node(node);
          continue;
        }
        const fd = r.open(node.segmentBytes);
        try {
          const whole = node.takeBuffered?.();
          if (whole !== undefined) writeAll(fd, whole);
          else for await (const chunk of node.contents) writeAll(fd, chunk);
          r.done(fd, node.executable, node.size);
        } finally {
          closeSync(fd);
        }
      }
    }
  } catch (e) {
    r.abort();
    throw new NarRestoreError(shown, r.created, e);
  } finally {
    pool.finished();
  }
}

/** Creates the nodes of a NAR, in NAR order, under `dest`. */
class Restorer {
  created = 0;
  private bytes = 0;
  // dirs[i] is the path of the open directory at depth i (dirs[0] the destination itself)
  private readonly dirs: Buffer[] = [];
  private execMode: number | undefined;
  /** The batch being gathered: paths and contents in `batchData`, a table at its end. */
  private batchData: Uint8Array | undefined;
  private batchTable: Int32Array | undefined;
  private batchBytes = 0;
  private batchCount = 0;
  /** The directory of the batch's last file. */
  private batchParent: Buffer | undefined;
  /** Files gathered and not yet written. */
  private pending = 0;
  /** Batches handed out, oldest first. */
  private readonly under: IoTicket[] = [];

  private readonly onProgress: RestoreOptions["onProgress"];
  private readonly batchFiles: number;
  private readonly window: number;

  constructor(
    private readonly dest: Buffer,
    options: RestoreOptions,
    private readonly pool: IoPool,
  ) {
    this.onProgress = options.onProgress;
    this.batchFiles = options.batchFiles ?? RESTORE_BATCH_FILES;
    this.window = options.batchesUnderWay ?? RESTORE_WINDOW;
  }

  /**
   * Adds a small file to the batch (handing the batch out when full): its path and contents
   * are copied into the batch's shared memory. False when it cannot go in a batch at all (a
   * path longer than a batch holds): the caller writes it.
   */
  private gather(segs: readonly Uint8Array[], executable: boolean, contents: Uint8Array): boolean {
    const depth = segs.length;
    const parent = depth === 0 ? this.dest : this.dirs[depth - 1]!;
    const name = depth === 0 ? undefined : segs[depth - 1]!;
    const pathLength = name === undefined ? parent.length : parent.length + 1 + name.length;
    if (pathLength + contents.length > RESTORE_BATCH_BYTES) return false;
    if (
      this.batchData === undefined ||
      this.batchBytes + pathLength + contents.length > RESTORE_BATCH_BYTES ||
      this.batchCount >= this.batchFiles ||
      // a batch at least half full ends with its directory: two threads rarely create files
      // in one directory at once (they would take turns on its lock)
      (parent !== this.batchParent && 2 * this.batchCount >= this.batchFiles)
    ) {
      this.handOut();
      const data = this.pool.sharedSpare(RESTORE_BATCH_BYTES + 16 * this.batchFiles);
      this.batchData = new Uint8Array(data);
      this.batchTable = new Int32Array(data, RESTORE_BATCH_BYTES, 4 * this.batchFiles);
    }
    this.batchParent = parent;
    const data = this.batchData!;
    const from = this.batchBytes;
    data.set(parent, from);
    if (name !== undefined) {
      data[from + parent.length] = 0x2f;
      data.set(name, from + parent.length + 1);
    }
    const start = from + pathLength;
    data.set(contents, start);
    const k = 4 * this.batchCount++;
    const table = this.batchTable!;
    table[k] = from;
    table[k + 1] = start;
    table[k + 2] = this.batchBytes = start + contents.length;
    table[k + 3] = executable ? 1 : 0;
    this.pending++;
    return true;
  }

  /** Hands the batch out (or writes it here while the pool has not started). */
  private handOut(): void {
    if (this.batchCount === 0) return;
    const job: WriteJob = {
      op: "write",
      data: this.batchData!.buffer,
      table: RESTORE_BATCH_BYTES,
      count: this.batchCount,
    };
    this.batchData = undefined;
    this.batchTable = undefined;
    this.batchBytes = 0;
    this.batchCount = 0;
    if (this.pool.parallel) {
      // batches the workers finished are taken as they come; with the window still full, this
      // batch is written here rather than waiting for a worker (the main thread never sleeps
      // while there is writing to do)
      this.pool.collect();
      while (this.under.length > 0 && this.under[0]!.state === "done") this.settleOldest();
      if (this.under.length < this.window) {
        this.under.push(this.pool.submit(job));
        return;
      }
    }
    this.settle(this.pool.run(job) as WriteResult, job.count);
  }

  private settle(r: WriteResult, files: number): void {
    this.created += r.created;
    this.pending -= files;
    this.pool.recycle(r.data);
    if (r.failure !== undefined) throw failureError(r.failure);
  }

  private settleOldest(): void {
    const t = this.under.shift()!;
    this.settle(this.pool.wait(t) as WriteResult, (t.job as WriteJob).count);
  }

  /** Writes what is gathered and waits for every batch; throws the first failure. */
  finish(): void {
    this.handOut();
    while (this.under.length > 0) this.settleOldest();
  }

  /**
   * Counts a small file written here while the pool has no workers (written at once from the
   * reader's buffer: no copy into a batch, no path text); a batch's worth of them counts as a
   * batch run on the main thread, which starts the pool when the restore proves large.
   */
  private countHere(size: number): void {
    this.hereFiles++;
    this.hereBytes += size;
    if (this.hereFiles >= this.batchFiles || this.hereBytes >= RESTORE_BATCH_BYTES) {
      this.pool.ranInline(this.hereBytes);
      this.hereFiles = 0;
      this.hereBytes = 0;
    }
  }
  private hereFiles = 0;
  private hereBytes = 0;

  /** After a failure: waits for the batches under way (counting what they created). */
  abort(): void {
    this.pending -= this.batchCount;
    this.batchCount = 0;
    for (const t of this.under.splice(0)) {
      try {
        this.settle(this.pool.wait(t) as WriteResult, (t.job as WriteJob).count);
      } catch {
        // the first failure is the one reported
      }
    }
  }

  private pathOf(segs: readonly Uint8Array[]): Buffer {
    const depth = segs.length;
    if (depth === 0) return this.dest;
    const parent = this.dirs[depth - 1]!;
    const name = segs[depth - 1]!;
    const p = Buffer.allocUnsafe(parent.length + 1 + name.length);
    parent.copy(p, 0);
    p[parent.length] = 0x2f;
    p.set(name, parent.length + 1);
    return p;
  }

  /** Creates a regular file (not yet counted as done) and returns its descriptor. */
  open(segs: readonly Uint8Array[]): number {
    const fd = openSync(this.pathOf(segs), CREATE_FLAGS, 0o666);
    this.created++;
    return fd;
  }

  /** Finishes a regular file written through `fd` (the caller closes it). */
  done(fd: number, executable: boolean, size: number): void {
    // Every file is created the same way (mode 0666 under the umask, in directories created
    // here), so the first one's mode serves for all: one fstat, not one per executable.
    if (executable) fchmodSync(fd, (this.execMode ??= (fstatSync(fd).mode & 0o7777) | 0o111));
    this.bytes += size;
    this.onProgress?.({ entries: this.created, bytes: this.bytes });
  }

  /** Creates `node` (from the synchronous visitor, or a directory or symlink of the reader). */
  node(node: NarSyncNode | NarStreamNode): void {
    if (node.type === "directory") {
      const p = this.pathOf(node.segmentBytes);
      mkdirSync(p, 0o777);
      this.dirs[node.segmentBytes.length] = p;
      this.created++;
    } else if (node.type === "symlink") {
      symlinkSync(Buffer.from(node.targetBytes), this.pathOf(node.segmentBytes));
      this.created++;
    } else {
      const n = node as NarSyncNode;
      let whole: Uint8Array | undefined;
      if (node.size <= RESTORE_SMALL_FILE) {
        if (this.pool.parallel) {
          whole = n.takeBuffered();
          if (whole !== undefined && this.gather(node.segmentBytes, node.executable, whole)) {
            this.bytes += node.size;
            this.onProgress?.({ entries: this.created + this.pending, bytes: this.bytes });
            return;
          }
        } else this.countHere(node.size);
      }
      const fd = this.open(node.segmentBytes);
      try {
        whole ??= n.takeBuffered();
        if (whole !== undefined) writeAll(fd, whole);
        else for (const chunk of n.chunks()) writeAll(fd, chunk);
        this.done(fd, node.executable, node.size);
      } finally {
        closeSync(fd);
      }
      return;
    }
    this.onProgress?.({ entries: this.created, bytes: this.bytes });
  }
}
