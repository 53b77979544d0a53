/**
 * The I/O pool (Node only): worker threads that run filesystem jobs (fs-jobs.ts) with
 * synchronous system calls while the main thread parses, frames and hashes. The main thread
 * stays synchronous: it collects results with `receiveMessageOnPort` and sleeps on a shared
 * counter (`Atomics.wait`) that workers bump after each result. A job no worker has started
 * when the main thread needs it (workers still starting, or none) runs on the main thread, so
 * a small tree never waits for a worker to boot.
 *
 * The pool is made on first use and shared by the process; its workers are `unref`'d (they
 * never keep the process alive). {@link IO_THREADS} sets its size.
 *
 * @module
 */
import * as fs from "node:fs";
import { availableParallelism, loadavg } from "node:os";
import {
  MessageChannel,
  type MessagePort,
  receiveMessageOnPort,
  Worker,
} from "node:worker_threads";
import { type FsJob, fsJobRunner, type FsJobRun, type FsResult } from "./fs-jobs.js";

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
 * Whether the default pool starts only when a core is idle: the 1-minute load average plus
 * one at most the number of cores. Workers cost CPU of their own (about 0.1 s each to start
 * on the machines measured), which on a machine with no idle core only slows the work down.
 * Off when `NIX_COMPAT_IO_THREADS` is set.
 */
export const IO_POOL_NEEDS_IDLE_CORE = !(
  Number.isSafeInteger(threadsFromEnv) && threadsFromEnv >= 0
);

/** Jobs sent to one worker at a time at most (the rest wait in the pool's queue). */
export const IO_JOBS_PER_WORKER = 2;

/** The pool starts after this many jobs ran on the main thread (see {@link IoPool.start})... */
export const IO_POOL_START_JOBS = 16;
/** ... or after they read or wrote this many bytes: 16 MiB. */
export const IO_POOL_START_BYTES = 1 << 24;

/** Spare buffers the pool keeps for reuse. */
const MAX_SPARES = 8;

/** A job handed to the pool: wait for it with {@link IoPool.wait}. */
export interface IoTicket {
  readonly job: FsJob;
  /** `queued` (no worker has it), `sent`, `done`, or `taken` (run by the main thread). */
  state: "queued" | "sent" | "done" | "taken";
  result?: FsResult;
  /** The caller gave up on it: its buffer is recycled when it completes. */
  abandoned: boolean;
}

interface Lane {
  readonly port: MessagePort;
  ready: boolean;
  readonly sent: Map<number, IoTicket>;
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
port.on("message", ({ id, job, spare }) => {
  let result;
  try {
    result = run(job, spare);
  } catch (e) {
    result = { data: spare ?? new ArrayBuffer(0), failure: { kind: "system", message: String((e && e.message) || e) } };
  }
  try {
    post({ id, result }, result.data && result.data.byteLength > 0 ? [result.data] : []);
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
  private readonly inline: FsJobRun = fsJobRunner(fs);
  private nextId = 0;
  private started = false;
  /** Jobs run by the workers so far. */
  workerJobs = 0;

  /**
   * A pool of `threads` workers, started by {@link IoPool.start}; with `needsIdleCore`, only
   * when a core is idle then (see {@link IO_POOL_NEEDS_IDLE_CORE}).
   */
  constructor(
    private readonly threads: number,
    private readonly needsIdleCore = false,
  ) {}

  /**
   * Starts the workers (once). Starting one costs about as much CPU as a 20 MB dump, so
   * callers start the pool when their work has shown itself large (see
   * {@link IO_POOL_START_JOBS}); until then jobs run on the main thread.
   */
  start(): void {
    if (this.started) return;
    this.started = true;
    if (this.needsIdleCore && loadavg()[0]! + 1 > availableParallelism()) return;
    for (let i = 0; i < this.threads; i++) {
      try {
        const { port1, port2 } = new MessageChannel();
        const worker = new Worker(workerProgram(fsJobRunner.toString()), {
          eval: true,
          workerData: { port: port2, signal: this.counter.buffer },
          transferList: [port2],
        });
        worker.unref();
        // a worker that fails to start leaves its lane never ready: jobs then run here
        worker.on("error", () => undefined);
        this.lanes.push({ port: port1, ready: false, sent: new Map() });
      } catch {
        break;
      }
    }
  }

  /** True when the pool has started worker threads (else every job runs on the main thread). */
  get parallel(): boolean {
    return this.lanes.length > 0;
  }

  /** Notes a job run on the main thread of `bytes`; starts the pool when there were many. */
  ranInline(bytes: number): void {
    if (this.started) return;
    this.inlineJobs++;
    this.inlineBytes += bytes;
    if (this.inlineJobs >= IO_POOL_START_JOBS || this.inlineBytes >= IO_POOL_START_BYTES)
      this.start();
  }
  private inlineJobs = 0;
  private inlineBytes = 0;

  /** Hands `job` to the pool (a worker runs it when one is free). */
  submit(job: FsJob): IoTicket {
    const t: IoTicket = { job, state: "queued", abandoned: false };
    this.queue.push(t);
    this.collect();
    return t;
  }

  /** The result of `t`: waits for its worker, or runs it here if no worker has started it. */
  wait(t: IoTicket): FsResult {
    if (t.state === "queued") {
      const i = this.queue.indexOf(t);
      if (i >= 0) this.queue.splice(i, 1);
      t.state = "taken";
      return this.run(t.job);
    }
    for (;;) {
      if (t.state === "done") return t.result!;
      const seen = Atomics.load(this.counter, 0);
      if (this.collect() === 0) Atomics.wait(this.counter, 0, seen, 1000);
    }
  }

  /** Runs `job` on this thread, with a spare buffer. */
  run(job: FsJob): FsResult {
    const r = this.inline(job, this.spares.pop());
    this.ranInline(job.op === "write" ? job.data.byteLength : r.data.byteLength);
    return r;
  }

  /** A buffer of at least `size` bytes: a spare one, or a new one. */
  spare(size: number): ArrayBuffer {
    const i = this.spares.findIndex((b) => b.byteLength >= size);
    return i >= 0 ? this.spares.splice(i, 1)[0]! : new ArrayBuffer(size);
  }

  /** Gives a buffer back for reuse. */
  recycle(buffer: ArrayBuffer | undefined): void {
    if (
      buffer !== undefined &&
      buffer.byteLength > 0 &&
      this.spares.length < MAX_SPARES &&
      !this.spares.includes(buffer)
    )
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

  /** Collects finished results and sends queued jobs to free workers; returns results seen. */
  collect(): number {
    let got = 0;
    for (const lane of this.lanes) {
      for (let m = receiveMessageOnPort(lane.port); m !== undefined;) {
        const msg = m.message as { ready?: true; id?: number; result?: FsResult };
        if (msg.ready) lane.ready = true;
        else {
          const t = lane.sent.get(msg.id!)!;
          lane.sent.delete(msg.id!);
          t.state = "done";
          t.result = msg.result!;
          if (t.abandoned) this.recycle(t.result.data);
          got++;
        }
        m = receiveMessageOnPort(lane.port);
      }
      while (lane.ready && lane.sent.size < IO_JOBS_PER_WORKER && this.queue.length > 0) {
        const t = this.queue.shift()!;
        const id = this.nextId++;
        this.workerJobs++;
        const spare = this.spares.pop();
        t.state = "sent";
        lane.sent.set(id, t);
        const transfer = spare ? [spare] : [];
        if (t.job.op === "write") transfer.push(t.job.data);
        lane.port.postMessage({ id, job: t.job, spare }, transfer);
      }
    }
    return got;
  }
}

let shared: IoPool | undefined;

/** The process's I/O pool (made on first use with {@link IO_THREADS} workers). */
export function ioPool(): IoPool {
  return (shared ??= new IoPool(IO_THREADS, IO_POOL_NEEDS_IDLE_CORE));
}
