// Generated directory trees for the NAR pipeline benches (dump, hash, restore).
//
// A tree is `large` files of `largeSize` bytes plus `small` files (sizes 0..2×`smallMean`,
// every 17th executable, 250 per directory, a symlink per directory), filled with
// deterministic pseudo-random bytes. Trees go under /dev/shm (or $NAR_BENCH_DIR) and are
// removed by the caller with removeTree.
import { existsSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** Where generated trees go: $NAR_BENCH_DIR, else /dev/shm when present, else /tmp. */
export const TREE_DIR = process.env.NAR_BENCH_DIR ?? (existsSync("/dev/shm") ? "/dev/shm" : "/tmp");

// Deterministic pseudo-random bytes (xorshift), one 1 MiB block reused at varying offsets.
let seed = 0x9e3779b9;
/** The next deterministic pseudo-random number in [0, 1) (xorshift, one sequence per process). */
export function rand() {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return (seed >>> 0) / 0x1_0000_0000;
}
/** 1 MiB of deterministic pseudo-random bytes. */
export const block = Buffer.alloc(1 << 20);
for (let i = 0; i < block.length; i += 4) block.writeUInt32LE((rand() * 0x1_0000_0000) >>> 0, i);

function writeBig(path, size) {
  const out = Buffer.allocUnsafe(Math.min(size, 64 << 20));
  for (let at = 0; at < out.length; at += block.length)
    block.copy(out, at, 0, Math.min(block.length, out.length - at));
  writeFileSync(path, "");
  for (let done = 0; done < size; done += out.length) {
    out.writeUInt32LE(done, 0);
    writeFileSync(path, out.subarray(0, Math.min(out.length, size - done)), { flag: "a" });
  }
}

/**
 * Creates (once per name; the caller removes it) a tree `name` under {@link TREE_DIR}:
 * `{ large, largeSize, small, smallMean }`. Returns its path.
 */
export function makeTree(name, { large = 0, largeSize = 0, small = 0, smallMean = 1000 }) {
  const root = join(TREE_DIR, `nix-compat-bench-${name}`);
  rmSync(root, { recursive: true, force: true });
  mkdirSync(root);
  for (let i = 0; i < large; i++) writeBig(join(root, `big${i}.bin`), largeSize + i * 8 + 3);
  const perDir = 250;
  for (let d = 0; d * perDir < small; d++) {
    const dir = join(root, "small", `d${String(d).padStart(4, "0")}`);
    mkdirSync(dir, { recursive: true });
    symlinkSync(`../d${String(d).padStart(4, "0")}/f0.txt`, join(dir, "link"));
    for (let f = 0; f < perDir && d * perDir + f < small; f++) {
      const size = Math.floor(rand() * 2 * smallMean);
      const off = Math.floor(rand() * (block.length - size));
      writeFileSync(join(dir, `f${f}.txt`), block.subarray(off, off + size), {
        mode: f % 17 === 0 ? 0o755 : 0o644,
      });
    }
  }
  return root;
}

/** Removes a tree (or any path) made for the bench. */
export function removeTree(path) {
  rmSync(path, { recursive: true, force: true });
}

/** The trees of issue 16, by name: shape and the ratio target against Nix. */
export const TREES = {
  /** ~217 MB: 4 large files and 30,000 small ones. */
  "217mb": {
    shape: { large: 4, largeSize: 47_000_000, small: 30_000, smallMean: 1000 },
    target: 1.0,
  },
  /** ~2 GB: 16 files of 125 MB and 10,000 small ones. */
  "2gb": {
    shape: { large: 16, largeSize: 125_000_000, small: 10_000, smallMean: 1000 },
    target: 0.8,
  },
  /** 200,000 small files (~200 MB). */
  "200k": { shape: { small: 200_000, smallMean: 1000 }, target: 0.8 },
};
