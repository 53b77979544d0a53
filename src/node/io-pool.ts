/**
 * The I/O pool (Node only): worker threads that run filesystem jobs (fs-jobs.ts) with
 * synchronous system calls while the main thread parses, frames and hashes. The main thread
 * stays synchronous: it collects results with `receiveMessageOnPort` and sleeps on a shared
 * counter (`Atomics.wait`) that workers bump after each result. A job no worker has started
 * when the main thread needs it (workers still starting, or none) runs on the main thread, so
 * a small tree never waits for a worker to boot.
 *
 * The pool is made on first use and shared by the process; its workers are `unref`'d (they
 * never keep the process alive), and the shared pool closes them when it has been idle
 * {@link IO_POOL_IDLE_CLOSE_MS} after an operation. {@link IO_THREADS} sets its size.
 *
 * A worker that dies (an uncaught error, `process.exit`, running out of memory, terminated)
 * or stops answering for {@link IO_STALL_TIMEOUT_MS} is lost: the pool closes it, sends no job
 * to a worker any more (those under way on the others end normally) and runs every job on
 * the main thread from then on. The lost worker's reads run again on the main thread; its
 * batches of written files too when it is known to have died (its files are then replaced),
 * else they fail with an {@link IoWorkerLostError} naming their first file. Nothing waits on
 * a lost worker.
 *
 * @module
 */
import { availableParallelism, loadavg } from "node:os";
import type { MessagePort, Worker } from "node:worker_threads";
import { nodeFs, nodeWorkerThreads } from "./builtins.js";
import {
  type DirResult,
  type FsJob,
  fsJobRunner,
  type FsJobRun,
  type FsResult,
  writeJobFile,
} from "./fs-jobs.js";
import { NixCompatError } from "../core/errors.js";

const threadsFromEnv = Number.parseInt(process.env.NIX_COMPAT_IO_THREADS ?? "", 10);

/**
 * Worker threads of the I/O pool: `NIX_COMPAT_IO_THREADS` when set (0 turns the pool off and
 * runs every job on the main thread), else 2 (1 on a single-core machine).
 */
export const IO_THREADS =
  Number.isSafeInteger(threadsFromEnv) && threadsFromEnv >= 0
    ? threadsFromEnv
    : Math.min(2, availableParallelism());

/**
 * Whether the default pool starts only with the workers that have an idle core: cores minus
 * the tasks runnable at that moment (see {@link runnableTasks}), our own thread among them.
 * Workers cost CPU of their own (about 0.1 s each to start on the machines measured), which
 * on a machine with no idle core only slows the work down. Off when `NIX_COMPAT_IO_THREADS`
 * is set (then that many workers start, whatever the load).
 */
export const IO_POOL_NEEDS_IDLE_CORE = !(
  Number.isSafeInteger(threadsFromEnv) && threadsFromEnv >= 0
);

/**
 * The pool samples {@link runnableTasks} at each job run on the main thread before it starts,
 * and starts on the median of the latest this many.
 */
export const IO_POOL_LOAD_SAMPLES = 8;

/**
 * Tasks runnable (running or waiting for a core) now, this thread among them: the 4th field
 * of `/proc/loadavg` (`running/total`), which the kernel counts at the moment it is read (the
 * 1-minute load average trails by a minute: back-to-back runs saw the one before as load).
 * Off Linux, the 1-minute load average plus one (this thread).
 */
export function runnableTasks(): number {
  try {
    const running = parseRunnable(nodeFs.readFileSync("/proc/loadavg", "latin1"));
    if (running !== undefined) return running;
  } catch {
    // (no /proc: not Linux)
  }
  return loadavg()[0]! + 1;
}

/** The runnable tasks of a `/proc/loadavg` text (`0.50 0.40 0.30 2/118 1234`), if it has them. */
export function parseRunnable(text: string): number | undefined {
  const m = /^\S+ \S+ \S+ (\d+)\//.exec(text);
  return m === null ? undefined : Number(m[1]);
}

/** Jobs sent to one worker at a time at most (the rest wait in the pool's queue). */
export const IO_JOBS_PER_WORKER = 2;

/**
 * The pool starts after this many jobs that write or read whole files ran on the main thread
 * (see {@link IoPool.start})...
 */
export const IO_POOL_START_JOBS = 16;
/** ... or after they wrote or read this many bytes: 16 MiB... */
export const IO_POOL_START_BYTES = 1 << 24;
/**
 * ... or after directories listed on the main thread held this many entries. Workers pay on
 * many files (each costs a few system calls, ~10 µs of CPU in Node, that a worker takes over),
 * not on a large file's ranges (a `read` is a copy the main thread would wait for anyway: the
 * 2 GB tree of 16 large files dumped slower with workers), which never start the pool.
 * 32,768: a worker paid on the 120,000- and 200,000-file trees (dump 1.42 -> 0.83-1.01 x Nix
 * at 120,000 files), while a dump of 30,000 files with one took more CPU (1.18 against 0.73 s)
 * and no less time (2026-12-08, Node 24, quiet). Overridable per pool.
 */
export const IO_POOL_START_FILES = 32_768;

/**
 * A worker with jobs that has not answered for this long is taken for lost: 10 s (a job reads
 * at most 1 MiB or writes a batch of at most 512 KiB). Overridable per pool.
 */
export const IO_STALL_TIMEOUT_MS = 10_000;

/** The shared pool closes its workers when no job came for this long after an operation. */
export const IO_POOL_IDLE_CLOSE_MS = 2_000;

/** Spare buffers the pool keeps for reuse. */
const MAX_SPARES = 8;

/**
 * A fault a test makes the next job sent to a worker meet: the worker calls `process.exit`
 * (`exit`), throws outside any job (`throw`, an `error` event), never answers (`hang`), or is
 * terminated by the pool right after the job was sent (`terminate`).
 */
export type IoFault = "exit" | "throw" | "hang" | "terminate";

/** A worker of the I/O pool was lost while it held a batch of files to write. */
export class IoWorkerLostError extends NixCompatError {
  constructor(why: string, job: FsJob) {
    const first =
      job.op === "write"
        ? job.count > 0
          ? writeJobFile(job, 0).path
          : ""
        : Buffer.from((job.op === "files" ? job.paths[0] : job.path) ?? "", "latin1").toString();
    const more = job.op === "write" && job.count > 1 ? ` and ${job.count - 1} more files` : "";
    super(
      "io.worker-lost",
      `a worker thread of the I/O pool ${why} before it finished writing '${first}'${more}`,
    );
  }
}

/** A job handed to the pool: wait for it with {@link IoPool.wait}. */
export interface IoTicket {
  /** The job (a batch of writes a dead worker held comes back with `replace`). */
  job: FsJob;
  /**
   * `queued` (no worker has it), `sent`, `done`, `taken` (run by the main thread), or `lost`
   * (its worker was lost: waiting throws `error`).
   */
  state: "queued" | "sent" | "done" | "taken" | "lost";
  result?: FsResult;
  error?: IoWorkerLostError;
  /** The caller gave up on it: its buffer is recycled when it completes. */
  abandoned: boolean;
}

/** Options of an {@link IoPool}. */
export interface IoPoolOptions {
  /** Milliseconds without an answer after which a worker is lost (default {@link IO_STALL_TIMEOUT_MS}). */
  readonly stallTimeoutMs?: number;
  /** Close the workers when idle this long after {@link IoPool.finished} (default: never). */
  readonly idleCloseMs?: number;
  /** The runnable tasks now (default {@link runnableTasks}; tests give their own). */
  readonly runnable?: () => number;
  /** The machine's cores (default `availableParallelism()`). */
  readonly cores?: number;
  /** Entries listed on the main thread that start the pool (default {@link IO_POOL_START_FILES}). */
  readonly startFiles?: number;
}

interface Lane {
  readonly worker: Worker;
  readonly port: MessagePort;
  ready: boolean;
  readonly sent: Map<number, IoTicket>;
  /** When the lane last answered (or was given work while it had none). */
  lastAnswer: number;
  /** Takes no more jobs; closed once its jobs are answered. */
  retiring: boolean;
  /** What the worker's `error` event said. */
  error?: string;
}

/** Worker program: the job runner's source and a message loop. */
function workerProgram(runner: string): string {
  return `"use strict";
const { workerData } = require("node:worker_threads");
const { port, signal } = workerData;
const counter = new Int32Array(signal);
const run = (${runner})(require("node:fs"));
function post(message, transfer) {
  port.postMessage(message, transfer);
  Atomics.add(counter, 0, 1);
  Atomics.notify(counter, 0);
}
// (the main thread may be waiting synchronously, deaf to the Worker's events: tell it here)
process.on("exit", (code) => post({ exited: code }, []));
port.on("message", ({ id, job, spare, fault }) => {
  if (fault === "exit") process.exit(70);
  if (fault === "throw") {
    setImmediate(() => {
      throw new Error("fault injected by a test");
    });
    return;
  }
  if (fault === "hang") return;
  let result;
  try {
    result = run(job, spare);
  } catch (e) {
    result = { data: spare ?? new ArrayBuffer(0), failure: { kind: "system", message: String((e && e.message) || e) } };
  }
  const transfer = result.data instanceof ArrayBuffer && result.data.byteLength > 0 ? [result.data] : [];
  try {
    post({ id, result }, transfer);
  } catch (e) {
    // (a result that cannot be sent must still be answered, or the main thread waits on)
    post({ id, result: { data: new ArrayBuffer(0), failure: { kind: "system", message: String((e && e.message) || e) } } }, []);
  }
});
post({ ready: true }, []);
`;
}

/** A pool of I/O worker threads (see the module's description). */
export class IoPool {
  private readonly lanes: Lane[] = [];
  private readonly counter = new Int32Array(new SharedArrayBuffer(4));
  private readonly queue: IoTicket[] = [];
  private readonly spares: ArrayBuffer[] = [];
  private readonly sharedSpares: SharedArrayBuffer[] = [];
  private readonly inline: FsJobRun = fsJobRunner(nodeFs);
  private readonly stallTimeoutMs: number;
  private readonly idleCloseMs: number | undefined;
  private idleTimer: ReturnType<typeof setTimeout> | undefined;
  private nextId = 0;
  private started = false;
  /** A worker was lost: no job goes to a worker any more, and the pool does not start again. */
  private broken = false;
  private fault: IoFault | undefined;
  /** Jobs run by the workers so far. */
  workerJobs = 0;
  /** Why the pool lost a worker, if it did. */
  lostWorker: string | undefined;

  /**
   * A pool of `threads` workers, started by {@link IoPool.start}; with `needsIdleCore`, only
   * as many as there are idle cores then (see {@link IO_POOL_NEEDS_IDLE_CORE}).
   */
  constructor(
    private readonly threads: number,
    private readonly needsIdleCore = false,
    options: IoPoolOptions = {},
  ) {
    this.stallTimeoutMs = options.stallTimeoutMs ?? IO_STALL_TIMEOUT_MS;
    this.idleCloseMs = options.idleCloseMs;
    this.runnable = options.runnable ?? runnableTasks;
    this.cores = options.cores ?? availableParallelism();
    this.startFiles = options.startFiles ?? IO_POOL_START_FILES;
  }
  private readonly startFiles: number;
  private readonly runnable: () => number;
  private readonly cores: number;
  /** {@link runnableTasks} sampled while jobs ran on the main thread. */
  private readonly loadSamples: number[] = [];

  /**
   * Workers the pool starts now: all of them, or with `needsIdleCore` as many as there are
   * idle cores (cores minus the median of the runnable tasks sampled, at least one of them
   * this thread).
   */
  workersToStart(): number {
    if (!this.needsIdleCore) return this.threads;
    if (this.loadSamples.length === 0) this.sampleLoad();
    const sorted = [...this.loadSamples].sort((a, b) => a - b);
    const runnable = Math.max(1, sorted[(sorted.length - 1) >> 1]!);
    return Math.max(0, Math.min(this.threads, Math.floor(this.cores - runnable)));
  }

  /** Takes a sample of the runnable tasks (the latest {@link IO_POOL_LOAD_SAMPLES} are kept). */
  private sampleLoad(): void {
    if (this.loadSamples.length === IO_POOL_LOAD_SAMPLES) this.loadSamples.shift();
    this.loadSamples.push(this.runnable());
  }

  /**
   * Starts the workers (once, until {@link IoPool.close}). Starting one costs about as much
   * CPU as a 20 MB dump, so callers start the pool when their work has shown itself large (see
   * {@link IO_POOL_START_JOBS}); until then jobs run on the main thread.
   */
  start(): void {
    if (this.started || this.broken) return;
    this.started = true;
    const count = this.workersToStart();
    if (count === 0) return;
    const { MessageChannel, Worker } = nodeWorkerThreads();
    for (let i = 0; i < count; i++) {
      try {
        const { port1, port2 } = new MessageChannel();
        const worker = new Worker(workerProgram(fsJobRunner.toString()), {
          eval: true,
          workerData: { port: port2, signal: this.counter.buffer },
          transferList: [port2],
        });
        worker.unref();
        const lane: Lane = {
          worker,
          port: port1,
          ready: false,
          sent: new Map(),
          lastAnswer: 0,
          retiring: false,
        };
        // a worker that fails to start leaves its lane never ready: jobs then run here
        worker.on("error", (e) => (lane.error = String(e?.message ?? e)));
        worker.on("exit", (code) => {
          if (this.lanes.includes(lane)) {
            this.collectLane(lane);
            if (this.lanes.includes(lane)) this.lose(lane, `exited with code ${code}`, true);
          }
        });
        this.lanes.push(lane);
        this.taking++;
      } catch {
        break;
      }
    }
  }

  /** True when the pool has worker threads taking jobs (else every job runs on the main thread). */
  get parallel(): boolean {
    return !this.broken && this.taking > 0;
  }
  /** Lanes taking jobs (not retiring). */
  private taking = 0;

  /** Worker threads open (taking jobs or finishing them). */
  get workers(): number {
    return this.lanes.length;
  }

  /**
   * Notes a job run on the main thread that wrote or read whole files, `bytes` of them; starts
   * the pool when there were many (see {@link IO_POOL_START_JOBS}).
   */
  ranInline(bytes: number): void {
    if (this.started) return;
    this.inlineJobs++;
    this.inlineBytes += bytes;
    this.sampleLoad();
    if (this.inlineJobs >= IO_POOL_START_JOBS || this.inlineBytes >= IO_POOL_START_BYTES)
      this.start();
  }
  /** Notes a directory of `entries` listed on the main thread (see {@link IO_POOL_START_FILES}). */
  listedInline(entries: number): void {
    if (this.started) return;
    this.inlineFiles += entries;
    this.sampleLoad();
    if (this.inlineFiles >= this.startFiles) this.start();
  }
  private inlineJobs = 0;
  private inlineBytes = 0;
  private inlineFiles = 0;

  /** Hands `job` to the pool (a worker runs it when one is free). */
  submit(job: FsJob): IoTicket {
    if (this.idleTimer !== undefined) {
      clearTimeout(this.idleTimer);
      this.idleTimer = undefined;
    }
    const t: IoTicket = { job, state: "queued", abandoned: false };
    this.queue.push(t);
    this.collect();
    return t;
  }

  /**
   * The result of `t`: waits for its worker, or runs it here if no worker has it. Throws
   * {@link IoWorkerLostError} for a batch of writes whose worker was lost.
   */
  wait(t: IoTicket): FsResult {
    for (;;) {
      if (t.state === "done") return t.result!;
      if (t.state === "lost") throw t.error!;
      if (t.state === "queued") {
        const i = this.queue.indexOf(t);
        if (i >= 0) this.queue.splice(i, 1);
        t.state = "taken";
        return this.run(t.job);
      }
      const seen = Atomics.load(this.counter, 0);
      if (this.collect() === 0 && t.state === "sent") {
        if (this.runQueuedRead()) continue;
        if (
          Atomics.wait(this.counter, 0, seen, Math.min(1000, this.stallTimeoutMs)) === "timed-out"
        )
          this.loseStalled();
      }
    }
  }

  /**
   * Instead of sleeping while a worker has the job waited for, runs the first queued job that
   * reads (a later one in the caller's order) here, keeping its result for its own wait: with
   * the oldest jobs always at the workers, the main thread would otherwise only wait (a dump of
   * 50,000 small files with one worker spent 0.75 s of its 1.1 s waiting). Batches of writes
   * stay with the workers. Returns whether it ran one.
   */
  private runQueuedRead(): boolean {
    const i = this.queue.findIndex((q) => q.job.op !== "write");
    if (i < 0) return false;
    const q = this.queue.splice(i, 1)[0]!;
    q.state = "taken";
    let result: FsResult;
    try {
      result = this.run(q.job);
    } catch (e) {
      result = {
        data: new ArrayBuffer(0),
        failure: { kind: "system", message: String((e as Error)?.message ?? e) },
      };
    }
    q.result = result;
    q.state = "done";
    if (q.abandoned) this.recycle(result.data);
    return true;
  }

  /** Runs `job` on this thread, with a spare buffer. */
  run(job: FsJob): FsResult {
    const r = this.inline(job, job.op === "write" ? undefined : this.spares.pop());
    if (job.op === "dir") this.listedInline((r as DirResult).names.length);
    else if (job.op !== "read")
      this.ranInline(job.op === "write" ? job.data.byteLength : r.data.byteLength);
    return r;
  }

  /** A buffer of at least `size` bytes: a spare one, or a new one. */
  spare(size: number): ArrayBuffer {
    const i = this.spares.findIndex((b) => b.byteLength >= size);
    return i >= 0 ? this.spares.splice(i, 1)[0]! : new ArrayBuffer(size);
  }

  /** Shared memory of at least `size` bytes for a batch of writes: a spare one, or new. */
  sharedSpare(size: number): SharedArrayBuffer {
    const i = this.sharedSpares.findIndex((b) => b.byteLength >= size);
    return i >= 0 ? this.sharedSpares.splice(i, 1)[0]! : new SharedArrayBuffer(size);
  }

  /** Gives a buffer back for reuse. */
  recycle(buffer: ArrayBuffer | SharedArrayBuffer | undefined): void {
    if (buffer === undefined || buffer.byteLength === 0) return;
    if (buffer instanceof SharedArrayBuffer) {
      if (this.sharedSpares.length < MAX_SPARES && !this.sharedSpares.includes(buffer))
        this.sharedSpares.push(buffer);
    } else if (this.spares.length < MAX_SPARES && !this.spares.includes(buffer))
      this.spares.push(buffer);
  }

  /** Gives up on `t` (its result is dropped, its buffer reused; once, however often called). */
  abandon(t: IoTicket): void {
    if (t.abandoned) return;
    t.abandoned = true;
    if (t.state === "queued") {
      const i = this.queue.indexOf(t);
      if (i >= 0) this.queue.splice(i, 1);
      t.state = "taken";
    } else if (t.state === "done") this.recycle(t.result!.data);
  }

  /**
   * An operation using the pool has ended: with `idleCloseMs` set, the workers are closed
   * when no job came for that long (an unref'd timer: it never keeps the process alive).
   */
  finished(): void {
    if (this.idleCloseMs === undefined || this.lanes.length === 0) return;
    if (this.idleTimer !== undefined) clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => {
      this.idleTimer = undefined;
      if (this.queue.length === 0) this.close();
    }, this.idleCloseMs);
    this.idleTimer.unref();
  }

  /**
   * Closes the workers: at once those with no job, the others when their jobs are answered
   * (collected by {@link IoPool.wait}). The pool may start again later.
   */
  close(): void {
    for (const lane of this.lanes) lane.retiring = true;
    this.taking = 0;
    this.collect();
    this.started = false;
    this.inlineJobs = 0;
    this.inlineBytes = 0;
    this.inlineFiles = 0;
    this.loadSamples.length = 0;
  }

  /** Makes the next job sent to a worker meet `fault` (for tests of the pool's recovery). */
  injectFault(fault: IoFault): void {
    this.fault = fault;
  }

  /** Collects finished results and sends queued jobs to free workers; returns results seen. */
  collect(): number {
    let got = 0;
    for (const lane of this.lanes.slice()) {
      got += this.collectLane(lane);
      if (!this.lanes.includes(lane)) continue;
      while (
        lane.ready &&
        !lane.retiring &&
        !this.broken &&
        lane.sent.size < IO_JOBS_PER_WORKER &&
        this.queue.length > 0
      )
        this.send(lane, this.queue.shift()!);
      if (lane.retiring && lane.sent.size === 0) this.shut(lane);
    }
    return got;
  }

  /** Takes the answers that `lane` has sent; returns how many results. */
  private collectLane(lane: Lane): number {
    let got = 0;
    const { receiveMessageOnPort } = nodeWorkerThreads();
    for (let m = receiveMessageOnPort(lane.port); m !== undefined;) {
      const msg = m.message as { ready?: true; exited?: number; id?: number; result?: FsResult };
      if (msg.ready) lane.ready = true;
      else if (msg.exited !== undefined) {
        this.lose(
          lane,
          lane.error ? `failed (${lane.error})` : `exited with code ${msg.exited}`,
          true,
        );
        return got;
      } else {
        const t = lane.sent.get(msg.id!);
        if (t !== undefined) {
          lane.sent.delete(msg.id!);
          t.state = "done";
          t.result = msg.result!;
          if (t.abandoned) this.recycle(t.result.data);
          got++;
        }
        lane.lastAnswer = performance.now();
      }
      m = receiveMessageOnPort(lane.port);
    }
    return got;
  }

  private send(lane: Lane, t: IoTicket): void {
    const id = this.nextId++;
    this.workerJobs++;
    const spare = t.job.op === "write" ? undefined : this.spares.pop();
    if (lane.sent.size === 0) lane.lastAnswer = performance.now();
    t.state = "sent";
    lane.sent.set(id, t);
    const fault = this.fault;
    this.fault = undefined;
    lane.port.postMessage(
      { id, job: t.job, spare, ...(fault === undefined || fault === "terminate" ? {} : { fault }) },
      spare ? [spare] : [],
    );
    if (fault === "terminate") this.lose(lane, "was terminated", false);
  }

  /** Loses the workers that have had jobs and no answer for the stall timeout. */
  private loseStalled(): void {
    const now = performance.now();
    for (const lane of this.lanes.slice())
      if (lane.sent.size > 0 && now - lane.lastAnswer >= this.stallTimeoutMs)
        this.lose(lane, `did not answer for ${this.stallTimeoutMs} ms`, false);
  }

  /**
   * Loses `lane` (see the module's description): `dead` when the worker is known to have
   * stopped running jobs, so that its batches of writes can run again here.
   */
  private lose(lane: Lane, why: string, dead: boolean): void {
    this.broken = true;
    this.lostWorker ??= `a worker thread ${why}`;
    this.shut(lane);
    const back: IoTicket[] = [];
    for (const t of lane.sent.values()) {
      if (t.job.op !== "write") {
        t.state = "queued";
        back.push(t);
      } else if (dead) {
        t.job = { ...t.job, replace: true };
        t.state = "queued";
        back.push(t);
      } else {
        t.state = "lost";
        t.error = new IoWorkerLostError(why, t.job);
      }
    }
    lane.sent.clear();
    this.queue.unshift(...back.filter((t) => !t.abandoned));
    for (const other of this.lanes.slice()) {
      other.retiring = true;
      if (other.sent.size === 0) this.shut(other);
    }
    this.taking = 0;
  }

  /** Closes `lane`'s worker and port. */
  private shut(lane: Lane): void {
    const i = this.lanes.indexOf(lane);
    if (i >= 0) {
      this.lanes.splice(i, 1);
      if (!lane.retiring) this.taking--;
    }
    lane.port.close();
    void lane.worker.terminate().catch(() => undefined);
  }
}

let shared: IoPool | undefined;

/** The process's I/O pool (made on first use with {@link IO_THREADS} workers). */
export function ioPool(): IoPool {
  return (shared ??= new IoPool(IO_THREADS, IO_POOL_NEEDS_IDLE_CORE, {
    idleCloseMs: IO_POOL_IDLE_CLOSE_MS,
  }));
}
