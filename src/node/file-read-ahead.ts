/**
 * Whole files read ahead, in a given order (Node only): the I/O pool's worker threads read the
 * next files (jobs of up to {@link READ_AHEAD_FILES_PER_JOB} files, at most
 * {@link READ_AHEAD_WINDOW} jobs ahead) while the main thread works on the current one; without
 * workers, each job runs on the main thread when its first file is needed. For commands that
 * take many small files (`derivation show`).
 *
 * @module
 */
import { failureError, type FilesJob, type FilesResult } from "./fs-jobs.js";
import { type IoPool, type IoTicket, ioPool } from "./io-pool.js";

/** Files read by one job at most. */
export const READ_AHEAD_FILES_PER_JOB = 32;

/** Buffer a job starts with (it grows for larger files): 256 KiB. */
export const READ_AHEAD_JOB_BYTES = 1 << 18;

/** Jobs ahead of the file being used at most (so at most 128 files, about 1 MiB, ahead). */
export const READ_AHEAD_WINDOW = 4;

/** From this many files on, the pool is started at once (else after its usual threshold). */
export const READ_AHEAD_START_FILES = 256;

/** Reads `paths` (one character per byte) ahead; {@link FileReadAhead.take} them in order. */
export class FileReadAhead {
  private sent = 0;
  private readonly tickets: IoTicket[] = [];
  private current: FilesResult | undefined;
  private at = 0;

  constructor(
    private readonly paths: readonly string[],
    private readonly pool: IoPool = ioPool(),
  ) {
    if (paths.length >= READ_AHEAD_START_FILES) pool.start();
  }

  /** The next file's bytes: a view valid until the next call. */
  take(): Uint8Array {
    let r = this.current;
    if (r === undefined || this.at >= r.sizes.length + (r.failure === undefined ? 0 : 1)) {
      if (r !== undefined) this.pool.recycle(r.data);
      r = this.current = this.nextResult();
      this.at = 0;
    }
    const i = this.at++;
    if (i === r.failedAt) throw failureError(r.failure!);
    return new Uint8Array(r.data, r.offsets[i], r.sizes[i]);
  }

  /** Stops: drops what is read ahead. */
  close(): void {
    for (const t of this.tickets.splice(0)) this.pool.abandon(t);
    this.pool.finished();
  }

  private nextJob(): FilesJob {
    const paths = this.paths.slice(this.sent, this.sent + READ_AHEAD_FILES_PER_JOB);
    this.sent += paths.length;
    return { op: "files", paths, budget: READ_AHEAD_JOB_BYTES };
  }

  private fill(): void {
    if (!this.pool.parallel) return;
    while (this.tickets.length < READ_AHEAD_WINDOW && this.sent < this.paths.length)
      this.tickets.push(this.pool.submit(this.nextJob()));
  }

  private nextResult(): FilesResult {
    this.fill();
    const t = this.tickets.shift();
    const r = (t === undefined ? this.pool.run(this.nextJob()) : this.pool.wait(t)) as FilesResult;
    this.fill();
    return r;
  }
}
