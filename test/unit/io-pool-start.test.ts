// The I/O pool's start policy (issue 16): it starts only with workers that have an idle core
// (cores minus the tasks runnable now, from /proc/loadavg's running count), and a dump starts
// it on many files listed, on a large file's ranges only when its consumer hashes. No timing
// assertions.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it, vi } from "vitest";
import {
  IO_POOL_START_FILES,
  IoPool,
  parseRunnable,
  runnableTasks,
} from "../../src/node/io-pool.js";
import { dumpPathChunks, dumpPathToBytes } from "../../src/node/nar-dump.js";

const work = mkdtempSync(join(tmpdir(), "nix-compat-pool-start-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** The dump of `path` through `pool`, and the workers the pool started for it. */
function dumpWith(
  path: string,
  pool: IoPool,
  overlapReads = false,
): { bytes: Buffer; workers: number } {
  const parts: Buffer[] = [];
  for (const c of dumpPathChunks(path, { pool, overlapReads })) parts.push(Buffer.from(c));
  const workers = pool.workers;
  pool.close();
  return { bytes: Buffer.concat(parts), workers };
}

describe("I/O pool start policy", () => {
  it("reads the running count of /proc/loadavg", () => {
    expect(parseRunnable("0.52 0.58 0.59 3/467 12345\n")).toBe(3);
    expect(parseRunnable("garbage")).toBeUndefined();
    expect(runnableTasks()).toBeGreaterThan(0);
  });

  it("starts as many workers as there are idle cores (median of the samples)", () => {
    const counts = [1, 2, 3, 5].map((runnable) =>
      new IoPool(2, true, { runnable: () => runnable, cores: 4 }).workersToStart(),
    );
    expect(counts).toEqual([2, 2, 1, 0]);
    expect(new IoPool(2, true, { runnable: () => 1, cores: 2 }).workersToStart()).toBe(1);
    expect(new IoPool(2, false, { runnable: () => 9, cores: 2 }).workersToStart()).toBe(2);
  });

  const many = join(work, "many");
  mkdirSync(many);
  // a smaller start than the default, so that the test's tree stays small
  const START_FILES = Math.min(4096, IO_POOL_START_FILES);
  const perDir = 512;
  for (let d = 0; d * perDir < START_FILES + 2 * perDir; d++) {
    mkdirSync(join(many, `d${d}`));
    for (let f = 0; f < perDir; f++) writeFileSync(join(many, `d${d}`, `f${f}`), `${d}.${f}`);
  }
  const large = join(work, "large");
  mkdirSync(large);
  for (let i = 0; i < 3; i++) writeFileSync(join(large, `big${i}`), Buffer.alloc(9 << 20, i));

  it("a dump of many files starts the pool (same bytes); a busy machine gets no workers", () => {
    const expected = Buffer.from(dumpPathToBytes(many));
    const idle = new IoPool(2, true, { runnable: () => 1, cores: 2, startFiles: START_FILES });
    const started = dumpWith(many, idle);
    expect([started.bytes.equals(expected), started.workers]).toEqual([true, 1]);
    const busy = dumpWith(
      many,
      new IoPool(2, true, { runnable: () => 2, cores: 2, startFiles: START_FILES }),
    );
    expect([busy.bytes.equals(expected), busy.workers]).toEqual([true, 0]);
  });

  it("a dump of few large files starts it only for a consumer that hashes", () => {
    const pool = new IoPool(2, true, { runnable: () => 1, cores: 4 });
    const { bytes, workers } = dumpWith(large, pool);
    expect(bytes.length).toBeGreaterThan(27 << 20);
    expect(workers).toBe(0);
    const hashing = new IoPool(2, true, { runnable: () => 1, cores: 4 });
    const overlapped = dumpWith(large, hashing, true);
    expect([overlapped.bytes.equals(bytes), overlapped.workers]).toEqual([true, 2]);
  });

  it("while a worker has the job waited for, the main thread runs the queued reads", async () => {
    const pool = new IoPool(1, false, { stallTimeoutMs: 1000 });
    pool.start();
    const path = join(large, "big1");
    const read = (offset: number) => ({ op: "read" as const, path, offset, length: 4 });
    const first = pool.submit(read(0));
    await vi.waitFor(() => expect(pool.collect()).toBe(1), { timeout: 30_000, interval: 5 });
    pool.wait(first);
    // the worker never answers its two jobs (it has no room for more): the rest stay queued
    pool.injectFault("hang");
    const hung = pool.submit(read(1));
    pool.injectFault("hang");
    pool.submit(read(2));
    const queued = [pool.submit(read(3)), pool.submit(read(4))];
    expect(queued.map((t) => t.state)).toEqual(["queued", "queued"]);
    expect(new Uint8Array(pool.wait(hung).data, 0, 4)).toEqual(new Uint8Array(4).fill(1));
    expect(queued.map((t) => t.state)).toEqual(["done", "done"]);
    expect(pool.workerJobs).toBe(3);
    expect(pool.lostWorker).toMatch(/did not answer/);
  });
});
