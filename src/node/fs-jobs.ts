/**
 * The filesystem jobs of the parallel dump and restore (Node only): read a directory (sorted
 * names, `lstat` of each entry, small files' contents, symlink targets), read a range of a
 * large file, create a batch of small files. They run on the I/O pool's worker threads (see
 * io-pool.ts) or, when the main thread needs a result no worker has started, on the main
 * thread itself.
 *
 * {@link fsJobRunner} is self-contained (it uses nothing from this module's scope): its source
 * text is also the worker's program, so every value it needs comes in through its argument.
 *
 * @module
 */
import { MalformedInputError } from "../core/errors.js";

/** Entry kinds of a directory job's result. */
export const ENTRY_REGULAR = 0;
/** An executable regular file. */
export const ENTRY_EXECUTABLE = 1;
/** A directory. */
export const ENTRY_DIRECTORY = 2;
/** A symbolic link. */
export const ENTRY_SYMLINK = 3;
/** Anything else (a socket, FIFO, device): the dump refuses it. */
export const ENTRY_OTHER = 4;

/** A failure inside a job, as plain data (it crosses threads). */
export interface FsJobFailure {
  /** `changed`: a file shrank while read; `system`: a failed system call. */
  readonly kind: "changed" | "system";
  readonly message: string;
  readonly code?: string;
  readonly errno?: number;
  readonly syscall?: string;
  readonly path?: string;
}

/** Reads a directory: its sorted names, each entry's `lstat`, small files' contents. */
export interface DirJob {
  readonly op: "dir";
  /** The directory, one character per byte. */
  readonly path: string;
  /** Files up to this size are read into the result's data. */
  readonly smallMax: number;
  /** Total contents read into one result at most. */
  readonly budget: number;
}

/**
 * What a {@link DirJob} found, entry by entry in byte order of names (the first
 * `names.length`). Kinds, sizes and offsets are typed arrays: a worker's result crosses threads
 * as three copies of bytes instead of three arrays cloned element by element (measured: 0.04
 * instead of 0.12 ms to post and receive a directory of 250 entries).
 */
export interface DirResult {
  readonly names: string[];
  readonly kinds: Uint8Array;
  readonly sizes: Float64Array;
  /** Symlink targets (one character per byte), `null` for other entries. */
  readonly targets: (string | null)[];
  /** Where each regular file's contents start in `data`, or -1 when not read. */
  readonly offsets: Float64Array;
  readonly data: ArrayBuffer;
  /** The failure at entry `failedAt` (-1: reading the directory itself); entries stop there. */
  readonly failure?: FsJobFailure;
  readonly failedAt?: number;
}

/** Reads `length` bytes at `offset` of a file announced with `fileSize` bytes. */
export interface ReadJob {
  readonly op: "read";
  readonly path: string;
  readonly offset: number;
  readonly length: number;
}

/** The bytes a {@link ReadJob} read (`data` holds exactly `length` bytes at its start). */
export interface ReadResult {
  readonly data: ArrayBuffer;
  readonly failure?: FsJobFailure;
}

/** Int32 slots per file in a {@link WriteJob}'s table. */
export const WRITE_TABLE_SLOTS = 4;

/**
 * Creates files (`O_EXCL | O_NOFOLLOW`, mode 0666 or 0777 under the umask) in order. With
 * `replace`, files that exist are truncated instead (`O_TRUNC | O_NOFOLLOW`): only for a batch
 * a worker thread died in, whose files nothing else can have created (see io-pool.ts).
 *
 * Everything is in `data` (plain numbers besides it: a message costs the same for 1 file or
 * 256): file `i`'s path bytes are `data[t[4i], t[4i+1])`, its contents `data[t[4i+1], t[4i+2])`,
 * and `t[4i+3]` is 1 when it is executable, where `t` is the Int32Array of
 * `count * WRITE_TABLE_SLOTS` at byte `table` of `data` (see {@link writeJobFile}).
 */
export interface WriteJob {
  readonly op: "write";
  /** Paths, contents and table: shared memory, so that the main thread keeps them while a worker writes. */
  readonly data: ArrayBuffer | SharedArrayBuffer;
  /** Byte offset of the table in `data`. */
  readonly table: number;
  /** Files in the batch. */
  readonly count: number;
  readonly replace?: boolean;
}

/** File `i` of a {@link WriteJob}: its path (for messages) and where its contents are. */
export function writeJobFile(
  job: WriteJob,
  i: number,
): { path: string; start: number; end: number; executable: boolean } {
  const t = new Int32Array(job.data, job.table + 4 * WRITE_TABLE_SLOTS * i, WRITE_TABLE_SLOTS);
  return {
    path: Buffer.from(job.data, t[0]!, t[1]! - t[0]!).toString(),
    start: t[1]!,
    end: t[2]!,
    executable: t[3] === 1,
  };
}

/** How many files a {@link WriteJob} created (all, unless `failure`). */
export interface WriteResult {
  readonly created: number;
  readonly data: ArrayBuffer | SharedArrayBuffer;
  readonly failure?: FsJobFailure;
}

/** Reads whole files, one after the other, into one buffer (grown when they need more). */
export interface FilesJob {
  readonly op: "files";
  /** The files, one character per byte. */
  readonly paths: string[];
  /** The buffer's size to start with. */
  readonly budget: number;
}

/** What a {@link FilesJob} read: file i is `data[offsets[i], offsets[i] + sizes[i])`. */
export interface FilesResult {
  readonly offsets: number[];
  readonly sizes: number[];
  readonly data: ArrayBuffer;
  /** The failure at file `failedAt`; the files before it were read. */
  readonly failure?: FsJobFailure;
  readonly failedAt?: number;
}

/** Any job. */
export type FsJob = DirJob | ReadJob | WriteJob | FilesJob;
/** Any job's result. */
export type FsResult = DirResult | ReadResult | WriteResult | FilesResult;

/** Runs one job; `spare` is a recycled buffer the job may fill (or allocate a larger one). */
export type FsJobRun = (job: FsJob, spare: ArrayBuffer | undefined) => FsResult;

/**
 * Makes the job runner over the `node:fs` module `fs`. Self-contained: its source text runs
 * as the worker's program too.
 */
export function fsJobRunner(fs: typeof import("node:fs")): FsJobRun {
  const C = fs.constants;
  const CREATE = C.O_WRONLY | C.O_CREAT | C.O_EXCL | C.O_NOFOLLOW;
  const REPLACE = C.O_WRONLY | C.O_CREAT | C.O_TRUNC | C.O_NOFOLLOW;
  let execMode = -1;
  const bytesOf = (s: string) => Buffer.from(s, "latin1");
  const ASCII = /^[\x00-\x7f]*$/;
  const fsPath = (s: string) => (ASCII.test(s) ? s : bytesOf(s));
  const shown = (s: string) => bytesOf(s).toString();
  function failure(e: unknown): {
    kind: "system";
    message: string;
    code?: string;
    errno?: number;
    syscall?: string;
    path?: string;
  } {
    const err = e as NodeJS.ErrnoException;
    return {
      kind: "system",
      message: String(err?.message ?? e),
      ...(err?.code === undefined ? {} : { code: err.code }),
      ...(err?.errno === undefined ? {} : { errno: err.errno }),
      ...(err?.syscall === undefined ? {} : { syscall: err.syscall }),
      ...(err?.path === undefined ? {} : { path: err.path }),
    };
  }
  function changed(path: string) {
    return {
      kind: "changed" as const,
      message: `file '${shown(path)}' changed while it was being dumped`,
    };
  }
  /** Reads `length` bytes of `fd` from `position` into `into` at `at`; false when short. */
  function readFully(
    fd: number,
    into: Uint8Array,
    at: number,
    length: number,
    position: number,
  ): boolean {
    let done = 0;
    while (done < length) {
      const n = fs.readSync(fd, into, at + done, length - done, position + done);
      if (n === 0) return false;
      done += n;
    }
    return true;
  }
  function dir(job: DirJob, spare: ArrayBuffer | undefined): DirResult {
    const names: string[] = [];
    let kinds = new Uint8Array(0);
    let sizes = new Float64Array(0);
    const targets: (string | null)[] = [];
    let offsets = new Float64Array(0);
    let data = spare !== undefined && spare.byteLength >= job.budget ? spare : undefined;
    let view: Uint8Array | undefined;
    let used = 0;
    const result = (extra: { failure?: DirResult["failure"]; failedAt?: number } = {}) => ({
      names,
      kinds,
      sizes,
      targets,
      offsets,
      data: data ?? new ArrayBuffer(0),
      ...extra,
    });
    let list: string[];
    try {
      list = fs.readdirSync(fsPath(job.path), { encoding: "latin1" });
    } catch (e) {
      return result({ failure: failure(e), failedAt: -1 });
    }
    list.sort();
    kinds = new Uint8Array(list.length);
    sizes = new Float64Array(list.length);
    offsets = new Float64Array(list.length);
    const dirAscii = ASCII.test(job.path);
    for (let i = 0; i < list.length; i++) {
      const name = list[i]!;
      const path = `${job.path}/${name}`;
      // (the directory's path checked once, each name on its own)
      const p = dirAscii && ASCII.test(name) ? path : bytesOf(path);
      try {
        const st = fs.lstatSync(p);
        let kind = 4;
        let target: string | null = null;
        let offset = -1;
        if (st.isFile()) {
          kind = (st.mode & 0o100) !== 0 ? 1 : 0;
          const size = st.size;
          if (size > 0 && size <= job.smallMax && used + size <= job.budget) {
            data ??= new ArrayBuffer(job.budget);
            view ??= new Uint8Array(data);
            const fd = fs.openSync(p, "r");
            try {
              if (!readFully(fd, view, used, size, 0)) {
                names.push(name);
                kinds[i] = kind;
                sizes[i] = size;
                targets.push(null);
                offsets[i] = -1;
                return result({ failure: changed(path), failedAt: i });
              }
            } finally {
              fs.closeSync(fd);
            }
            offset = used;
            used += size;
          }
        } else if (st.isDirectory()) kind = 2;
        else if (st.isSymbolicLink()) {
          kind = 3;
          target = fs.readlinkSync(p, { encoding: "latin1" });
        }
        names.push(name);
        kinds[i] = kind;
        sizes[i] = st.size;
        targets.push(target);
        offsets[i] = offset;
      } catch (e) {
        return result({ failure: failure(e), failedAt: i });
      }
    }
    return result();
  }
  function read(job: ReadJob, spare: ArrayBuffer | undefined): ReadResult {
    const data =
      spare !== undefined && spare.byteLength >= job.length ? spare : new ArrayBuffer(job.length);
    try {
      const fd = fs.openSync(fsPath(job.path), "r");
      try {
        if (!readFully(fd, new Uint8Array(data), 0, job.length, job.offset))
          return { data, failure: changed(job.path) };
      } finally {
        fs.closeSync(fd);
      }
    } catch (e) {
      return { data, failure: failure(e) };
    }
    return { data };
  }
  function write(job: WriteJob): WriteResult {
    const { data, count } = job;
    const view = new Uint8Array(data);
    const table = new Int32Array(data, job.table, 4 * count);
    let created = 0;
    const flags = job.replace === true ? REPLACE : CREATE;
    try {
      for (let k = 0; k < 4 * count; k += 4) {
        const from = table[k]!;
        const end = table[k + 2]!;
        let at = table[k + 1]!;
        const fd = fs.openSync(Buffer.from(data, from, at - from), flags, 0o666);
        created++;
        try {
          while (at < end) at += fs.writeSync(fd, view, at, end - at);
          if (table[k + 3] === 1) {
            if (execMode < 0) execMode = (fs.fstatSync(fd).mode & 0o7777) | 0o111;
            fs.fchmodSync(fd, execMode);
          }
        } finally {
          fs.closeSync(fd);
        }
      }
    } catch (e) {
      return { created, data, failure: failure(e) };
    }
    return { created, data };
  }
  function files(job: FilesJob, spare: ArrayBuffer | undefined): FilesResult {
    let data =
      spare !== undefined && spare.byteLength >= job.budget ? spare : new ArrayBuffer(job.budget);
    let view = new Uint8Array(data);
    const offsets: number[] = [];
    const sizes: number[] = [];
    let used = 0;
    for (let i = 0; i < job.paths.length; i++) {
      try {
        const fd = fs.openSync(fsPath(job.paths[i]!), "r");
        try {
          const start = used;
          for (;;) {
            if (used === view.length) {
              const bigger = new ArrayBuffer(2 * view.length);
              new Uint8Array(bigger).set(view);
              data = bigger;
              view = new Uint8Array(data);
            }
            const want = view.length - used;
            const n = fs.readSync(fd, view, used, want, null);
            used += n;
            // a short read of a regular file is its end: no extra read() that returns 0
            if (n === 0 || n < want) break;
          }
          offsets.push(start);
          sizes.push(used - start);
        } finally {
          fs.closeSync(fd);
        }
      } catch (e) {
        return { offsets, sizes, data, failure: failure(e), failedAt: i };
      }
    }
    return { offsets, sizes, data };
  }
  return (job, spare) =>
    job.op === "dir"
      ? dir(job, spare)
      : job.op === "read"
        ? read(job, spare)
        : job.op === "files"
          ? files(job, spare)
          : write(job);
}

/** The error a job's failure stands for: the dump's `nar.file-changed`, or the system error. */
export function failureError(f: FsJobFailure): Error {
  if (f.kind === "changed") return new MalformedInputError("nar.file-changed", f.message);
  return Object.assign(new Error(f.message), {
    code: f.code,
    errno: f.errno,
    syscall: f.syscall,
    path: f.path,
  });
}
