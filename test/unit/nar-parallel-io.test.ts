// The parallel I/O pipelines (issue 16): dump and restore through a started I/O pool give the
// same bytes and trees as without one, whatever the chunking, and fail as clearly.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  truncateSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, describe, expect, it, vi } from "vitest";
import { dumpPathChunks, dumpPathToBytes } from "../../src/node/nar-dump.js";
import { restoreNar } from "../../src/node/nar-restore.js";
import { IoPool } from "../../src/node/io-pool.js";
import { writeJobFile } from "../../src/node/fs-jobs.js";
import { snapshot } from "../support/nar-fs.js";
import { FILE_HASH_RANGES_FROM, hashFileSync } from "../../src/node/file-hash.js";
import { FileReadAhead, READ_AHEAD_JOB_BYTES } from "../../src/node/file-read-ahead.js";

const work = mkdtempSync(join(tmpdir(), "nix-compat-parallel-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

// a pool with workers from the start, and one with none (every job on the main thread)
const started = new IoPool(2);
started.start();
const inline = new IoPool(0);

function dump(path: string, pool: IoPool, bufferSize?: number): Buffer {
  const parts: Buffer[] = [];
  for (const c of dumpPathChunks(path, { pool, ...(bufferSize ? { bufferSize } : {}) }))
    parts.push(Buffer.from(c));
  return Buffer.concat(parts);
}

/** A tree with many directories, small, empty, executable and large files, symlinks. */
function makeTree(root: string): void {
  mkdirSync(root);
  const big = Buffer.alloc(5 * (1 << 20) + 13);
  for (let i = 0; i < big.length; i++) big[i] = (i * 7919) >>> 3;
  writeFileSync(join(root, "big.bin"), big);
  writeFileSync(join(root, "mid.bin"), big.subarray(0, 70_001), { mode: 0o755 });
  for (let d = 0; d < 30; d++) {
    const dir = join(root, `d${d}`, `sub${d % 3}`);
    mkdirSync(dir, { recursive: true });
    symlinkSync(`../../d${d}`, join(dir, "up"));
    for (let f = 0; f < 40; f++) {
      writeFileSync(join(dir, `f${f}`), big.subarray(f * 13, f * 13 + ((f * 97) % 3000)), {
        mode: f % 5 === 0 ? 0o755 : 0o644,
      });
    }
  }
  mkdirSync(join(root, "empty"));
  writeFileSync(join(root, Buffer.from([0x6e, 0xff, 0x31]).toString("latin1")), "latin1 name");
}

describe("parallel dump", () => {
  const tree = join(work, "tree");
  makeTree(tree);

  it("gives the same bytes with workers, without, and as nix-store --dump", () => {
    const expected = dump(tree, inline);
    for (const size of [undefined, 40_000, 1 << 16])
      expect(dump(tree, started, size).equals(expected)).toBe(true);
    expect(dump(tree, inline, 40_000).equals(expected)).toBe(true);
    expect(Buffer.from(dumpPathToBytes(tree)).equals(expected)).toBe(true);
    let nix: Buffer | undefined;
    try {
      nix = execFileSync("nix-store", ["--dump", tree], { maxBuffer: 1 << 30 });
    } catch {
      // (no Nix here: the comparison with our own paths above stands)
    }
    if (nix !== undefined) expect(nix.equals(expected)).toBe(true);
    expect(started.workerJobs).toBeGreaterThan(0);
    expect(inline.workerJobs).toBe(0);
  });

  it("a dump stopped early leaves the pool usable", () => {
    const expected = dump(tree, inline);
    for (const c of dumpPathChunks(tree, { pool: started })) {
      expect(c.length).toBeGreaterThan(0);
      break;
    }
    expect(dump(tree, started).equals(expected)).toBe(true);
  });

  it("fails as clearly: unsupported type, a file that shrank, a missing path", () => {
    const bad = join(work, "bad");
    makeTree(bad);
    execFileSync("mkfifo", [join(bad, "d7", "sub1", "fifo")]);
    expect(() => dump(bad, started)).toThrow(/has an unsupported type/);
    expect(() => dump(bad, inline)).toThrow(/has an unsupported type/);
    rmSync(join(bad, "d7", "sub1", "fifo"));
    // a file that shrinks between lstat and read: a file the dump reads in ranges, made
    // shorter after the first chunk was handed out (no workers: no range is read early)
    const it = dumpPathChunks(join(bad, "big.bin"), { pool: inline, bufferSize: 1 << 16 });
    it.next();
    truncateSync(join(bad, "big.bin"), 100);
    expect(() => {
      for (const c of it) void c;
    }).toThrow(/changed while it was being dumped/);
    expect(() => dump(join(work, "absent"), started)).toThrow(/ENOENT/);
  });
});

describe("parallel restore", () => {
  const tree = join(work, "rtree");
  makeTree(tree);
  const nar = dumpPathToBytes(tree);

  it("restores the same tree with workers and without, from any chunking", async () => {
    const want = snapshot(tree);
    const before = started.workerJobs;
    for (const [i, pool] of [started, inline, started].entries()) {
      const dest = join(work, `out${i}`);
      const chunks = i === 2 ? [nar.subarray(0, 1000), nar.subarray(1000)] : nar;
      await restoreNar(chunks, dest, { pool });
      expect(snapshot(dest)).toEqual(want);
      expect(Buffer.from(dumpPathToBytes(dest)).equals(Buffer.from(nar))).toBe(true);
    }
    expect(started.workerJobs).toBeGreaterThan(before);
  });

  it("ends a batch at least half full with its directory", async () => {
    // each write batch's directories, read when it is handed out (its memory is reused later)
    const batches: string[][] = [];
    const submit = vi.spyOn(started, "submit").mockImplementation(function (this: IoPool, job) {
      if (job.op === "write") {
        const dirs = new Set<string>();
        for (let i = 0; i < job.count; i++) dirs.add(dirname(writeJobFile(job, i).path));
        batches.push([...dirs]);
      }
      return IoPool.prototype.submit.call(this, job);
    });
    try {
      await restoreNar(nar, join(work, "by-directory"), { pool: started, batchFiles: 50 });
    } finally {
      submit.mockRestore();
    }
    expect(snapshot(join(work, "by-directory"))).toEqual(snapshot(tree));
    expect(batches.length).toBeGreaterThan(0);
    // (40 files a directory: a batch of 50 would take 10 of the next one)
    for (const dirs of batches) expect(dirs).toHaveLength(1);
  });

  it("never writes outside the destination and says what it left", async () => {
    const dest = join(work, "clash");
    // a NAR cut in the middle: what was written is reported, nothing is left running
    await expect(
      restoreNar(nar.subarray(0, nar.length - 5000), dest, { pool: started }),
    ).rejects.toMatchObject({ message: /restore stopped; '.*' was left incomplete/ });
    const outside = readFileSync(join(tree, "big.bin"));
    expect(outside.length).toBe(5 * (1 << 20) + 13);
  });
});

describe("parallel hash file", () => {
  it("hashes a large file read ahead in ranges as read whole", () => {
    const path = join(work, "large.bin");
    const bytes = Buffer.alloc(FILE_HASH_RANGES_FROM + 12345);
    for (let i = 0; i < bytes.length; i += 4096) bytes[i] = i >>> 12;
    writeFileSync(path, bytes);
    const want = createHash("sha256").update(bytes).digest();
    const before = started.workerJobs;
    expect(Buffer.from(hashFileSync("sha256", path, started)).equals(want)).toBe(true);
    expect(started.workerJobs).toBeGreaterThan(before);
    expect(Buffer.from(hashFileSync("sha256", path, inline)).equals(want)).toBe(true);
    expect(Buffer.from(hashFileSync("sha1", path, started))).toEqual(
      createHash("sha1").update(bytes).digest(),
    );
  });
});

describe("files read ahead (derivation show)", () => {
  it("gives every file's bytes in order, with workers and without; a missing file fails in its turn", () => {
    const dir = join(work, "many");
    mkdirSync(dir);
    const paths: string[] = [];
    for (let i = 0; i < 300; i++) {
      const p = join(dir, `f${i}`);
      // sizes from 0 to past one job's buffer
      writeFileSync(p, Buffer.alloc(i === 7 ? READ_AHEAD_JOB_BYTES * 3 + 5 : i * 37, i & 0xff));
      paths.push(p);
    }
    for (const pool of [started, inline]) {
      const ahead = new FileReadAhead(paths, pool);
      for (const p of paths) expect(Buffer.from(ahead.take()).equals(readFileSync(p))).toBe(true);
      ahead.close();
    }
    const withMissing = [...paths.slice(0, 40), join(dir, "absent"), ...paths.slice(40)];
    for (const pool of [started, inline]) {
      const ahead = new FileReadAhead(withMissing, pool);
      for (let i = 0; i < 40; i++) ahead.take();
      expect(() => ahead.take()).toThrow(/ENOENT.*absent/);
      ahead.close();
    }
  });
});
