// The I/O pool's recovery (issue 16): a worker that exits, throws, hangs or is terminated in
// the middle of a dump or a restore never makes the operation hang; reads fail over to the
// main thread, batches of writes too when the worker is known dead, else the restore fails
// with a typed error naming a file; the pool then shuts down. Errors from a worker are the
// ones the main thread gives for the same job. No timing assertions.
import { execFileSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it, vi } from "vitest";
import { dumpPathChunks, dumpPathToBytes } from "../../src/node/nar-dump.js";
import { NarRestoreError, restoreNar } from "../../src/node/nar-restore.js";
import { type IoFault, IoPool, IoWorkerLostError } from "../../src/node/io-pool.js";
import { failureError, type FsJob, WRITE_TABLE_SLOTS } from "../../src/node/fs-jobs.js";
import { snapshot } from "../support/nar-fs.js";
import { REPO_ROOT } from "../support/fixtures.js";

const work = mkdtempSync(join(tmpdir(), "nix-compat-pool-faults-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A tree of 2 large files and 600 small ones in 20 directories. */
function makeTree(root: string): void {
  mkdirSync(root);
  const big = Buffer.alloc(3 * (1 << 20) + 7);
  for (let i = 0; i < big.length; i++) big[i] = (i * 31) >>> 2;
  writeFileSync(join(root, "big1"), big);
  writeFileSync(join(root, "big2"), big.subarray(100));
  for (let d = 0; d < 20; d++) {
    mkdirSync(join(root, `d${d}`));
    for (let f = 0; f < 30; f++)
      writeFileSync(join(root, `d${d}`, `f${f}`), big.subarray(f, f + 50 + f * 200), {
        mode: f % 7 === 0 ? 0o755 : 0o644,
      });
  }
}

const tree = join(work, "tree");
makeTree(tree);
const expected = Buffer.from(dumpPathToBytes(tree));
const inline = new IoPool(0);

/** A started pool whose first worker is ready (a job was sent to it). */
async function readyPool(stallTimeoutMs?: number): Promise<IoPool> {
  const pool = new IoPool(2, false, stallTimeoutMs === undefined ? {} : { stallTimeoutMs });
  pool.start();
  const t = pool.submit({ op: "read", path: join(tree, "big1"), offset: 0, length: 10 });
  // (answered before waiting: a short stall timeout must not lose a worker here already)
  await vi.waitFor(
    () => {
      pool.collect();
      expect(t.state).toBe("done");
    },
    { timeout: 30_000, interval: 5 },
  );
  pool.wait(t);
  expect(pool.parallel).toBe(true);
  return pool;
}

function dump(path: string, pool: IoPool): Buffer {
  const parts: Buffer[] = [];
  for (const c of dumpPathChunks(path, { pool })) parts.push(Buffer.from(c));
  return Buffer.concat(parts);
}

/** The pool has closed every worker (once their answers are in). */
async function closedDown(pool: IoPool): Promise<void> {
  expect(pool.parallel).toBe(false);
  pool.close();
  await vi.waitFor(
    () => {
      pool.collect();
      expect(pool.workers).toBe(0);
    },
    { timeout: 30_000, interval: 5 },
  );
}

const faults: [IoFault, RegExp][] = [
  ["exit", /exited with code 70/],
  ["throw", /fault injected by a test|exited with code 1/],
  ["hang", /did not answer/],
  ["terminate", /was terminated/],
];

describe("a worker lost in the middle of a dump", () => {
  for (const [fault, why] of faults) {
    it(`${fault}: the dump gives the same bytes, the pool shuts down`, async () => {
      const pool = await readyPool(fault === "hang" ? 20 : undefined);
      pool.injectFault(fault);
      expect(dump(tree, pool).equals(expected)).toBe(true);
      expect(pool.lostWorker).toMatch(why);
      await closedDown(pool);
      // and it keeps working, on the main thread
      expect(dump(tree, pool).equals(expected)).toBe(true);
    });
  }
});

describe("a worker lost in the middle of a restore", () => {
  for (const [fault, why] of faults) {
    const dead = fault === "exit" || fault === "throw";
    it(`${fault}: ${dead ? "its batch is written again here" : "fails naming a file"}`, async () => {
      const pool = await readyPool(fault === "hang" ? 20 : undefined);
      pool.injectFault(fault);
      const dest = join(work, `restored-${fault}`);
      const restoring = restoreNar(expected, dest, { pool });
      if (dead) {
        await restoring;
        expect(snapshot(dest)).toEqual(snapshot(tree));
      } else {
        const e = await restoring.then(
          () => undefined,
          (err: unknown) => err,
        );
        expect(e).toBeInstanceOf(NarRestoreError);
        expect(e).toMatchObject({ code: "io.worker-lost" });
        expect((e as NarRestoreError).cause).toBeInstanceOf(IoWorkerLostError);
        expect((e as Error).message).toMatch(why);
        expect((e as Error).message).toContain(`'${dest}/`);
      }
      await closedDown(pool);
    });
  }
});

describe("a restore never waits on a busy worker while it can write", () => {
  it("with the window full, every other batch is written on the main thread", async () => {
    // the first batch goes to a worker that never answers; window 1: the main thread writes
    // all the others, and only then does the stuck batch fail the restore
    const pool = await readyPool(20);
    pool.injectFault("hang");
    const dest = join(work, "restored-window");
    const e = await restoreNar(expected, dest, { pool, batchFiles: 50, batchesUnderWay: 1 }).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(e).toMatchObject({ code: "io.worker-lost" });
    // root + 2 large + 20 directories + 600 small files, less the stuck batch (≤ 50 files)
    const all = 1 + 2 + 20 + 600;
    expect((e as NarRestoreError).created).toBeGreaterThanOrEqual(all - 50);
    expect((e as NarRestoreError).created).toBeLessThan(all);
    await closedDown(pool);
  });
});

/** A write job of one file (see WriteJob: path and contents in `data`, a table after them). */
function writeJobOf(path: string, contents: string): FsJob {
  const bytes = Buffer.concat([Buffer.from(path), Buffer.from(contents)]);
  const table = 4 * Math.ceil(bytes.length / 4);
  const data = new SharedArrayBuffer(table + 4 * WRITE_TABLE_SLOTS);
  new Uint8Array(data).set(bytes);
  new Int32Array(data, table, WRITE_TABLE_SLOTS).set([0, Buffer.byteLength(path), bytes.length, 0]);
  return { op: "write", data, table, count: 1 };
}

describe("errors from a worker are the main thread's", () => {
  it("ENOENT, a file that shrank, EEXIST: same class, code, message and file", async () => {
    const pool = await readyPool();
    const jobs: FsJob[] = [
      { op: "dir", path: join(work, "absent"), smallMax: 100, budget: 1000 },
      { op: "read", path: join(tree, "d1", "f1"), offset: 0, length: 1 << 20 },
      { op: "read", path: join(work, "absent"), offset: 0, length: 10 },
      writeJobOf(join(tree, "d1", "f1"), "x"),
    ];
    for (const job of jobs) {
      const t = pool.submit(job);
      expect(t.state).toBe("sent");
      const fromWorker = pool.wait(t).failure;
      const here = inline.run(job).failure;
      expect(fromWorker).toBeDefined();
      expect(fromWorker).toEqual(here);
      const a = failureError(fromWorker!);
      const b = failureError(here!);
      expect(a.constructor).toBe(b.constructor);
      expect(a).toMatchObject({ message: b.message, code: (b as { code?: string }).code });
      expect(a.message).toContain(job.op === "write" || job.op === "files" ? "f1" : job.path);
    }
    pool.close();
  });

  it.skipIf(process.getuid?.() === 0)(
    "EACCES inside the tree, with and without workers",
    async () => {
      const locked = join(work, "locked");
      makeTree(locked);
      chmodSync(join(locked, "d3"), 0);
      try {
        const pool = await readyPool();
        const fromPool = (() => {
          try {
            dump(locked, pool);
          } catch (e) {
            return e as Error;
          }
        })();
        expect(() => dump(locked, inline)).toThrow(fromPool!.message);
        expect(fromPool).toMatchObject({ code: "EACCES" });
        pool.close();
      } finally {
        chmodSync(join(locked, "d3"), 0o755);
      }
    },
  );
});

describe("the pool never keeps the process alive", () => {
  it("a process with a job a worker never answers, and workers left open, exits", () => {
    const program = `
      import { IoPool } from ${JSON.stringify(join(REPO_ROOT, "dist", "node", "index.js"))};
      const pool = new IoPool(2);
      pool.start();
      const job = { op: "read", path: ${JSON.stringify(join(tree, "big1"))}, offset: 0, length: 10 };
      const t = pool.submit(job);
      const started = Date.now();
      while (t.state === "queued" && Date.now() - started < 20000) {
        pool.collect();
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
      }
      pool.wait(t);
      pool.injectFault("hang");
      const hung = pool.submit(job);
      console.log(hung.state, pool.workers);`;
    // (the timeout only guards the suite: a pool that held the process would trip it)
    const script = join(work, "hung.mjs");
    writeFileSync(script, program);
    // (a file, not -e: a worker started from "node -e" code waits for the main thread's loop)
    const out = execFileSync(process.execPath, [script], {
      timeout: 60_000,
      // (without vitest's NODE_OPTIONS: its loader hooks hold a worker's start-up while the
      // main thread waits synchronously; the pool then runs every job here, as designed)
      env: { PATH: process.env.PATH ?? "" },
    });
    expect(out.toString().trim()).toBe("sent 2");
  });
});
