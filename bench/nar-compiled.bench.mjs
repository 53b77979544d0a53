// The NAR readers compiled from the declaration (src/nar/nar-grammar.resumable.generated.ts,
// driven by src/codecs/decode-resumable.ts) against the hand-written ones they replaced
// (bench/baseline/), in one process, interleaved, best of NAR_BENCH_RUNS rounds:
// - stream read: `readNar` over a file stream, contents read;
// - sync visit: the `nar ls` listing callback, and a restore into /dev/shm;
// on a ~200 MB tree of a few large files, on 57,600 small files and on a 2 GiB single-file NAR.
// Then peak RSS of `nix-compat nar ls -R` and `nar cat` of the 2 GiB NAR (whole processes).
// NAR_BENCH_QUICK=1: smaller inputs. Inputs go under /dev/shm and are removed after.
// Then the same readers each alone in a fresh process (alternating, best of NAR_BENCH_ALONE
// processes × 3 rounds): in one process the two readers share modules (ByteReader, the
// errors), and each one's calls make those modules' type feedback less fitting for the other.
import { spawnSync } from "node:child_process";
import {
  closeSync,
  createReadStream,
  mkdirSync,
  openSync,
  readSync,
  rmSync,
  symlinkSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import { readNar } from "../dist/nar/reader.js";
import { visitNarSync } from "../dist/nar/nar-sync-visitor.js";
import { NAR_HEADERS, NAR_TOKENS } from "../dist/nar/nar-tokens.js";
import { framedBytes } from "../dist/codecs/wire-bytes.js";
import { readNarFast } from "./baseline/nar-reader-fast.mjs";
import { visitNarSync as visitNarSyncBaseline } from "./baseline/nar-visit-sync.mjs";
import { CLI, printTable } from "./lib.mjs";
import { makeTree, removeTree, TREE_DIR } from "./trees.mjs";

const QUICK = process.env.NAR_BENCH_QUICK === "1";
const RUNS = Number(process.env.NAR_BENCH_RUNS ?? (QUICK ? 3 : 7));
const NODE = process.execPath;
const CHUNK = 1 << 20;

/** A synchronous chunk source over a file (one reused buffer, as the CLI reads). */
function fileSource(path) {
  const fd = openSync(path, "r");
  const buf = Buffer.allocUnsafe(CHUNK);
  return {
    sync: true,
    next() {
      const n = readSync(fd, buf, 0, CHUNK, null);
      if (n === 0) {
        closeSync(fd);
        return undefined;
      }
      return buf.subarray(0, n);
    },
  };
}

async function streamRead(read, path) {
  let bytes = 0;
  for await (const node of read(createReadStream(path, { highWaterMark: CHUNK }))) {
    if (node.type === "regular") for await (const c of node.contents) bytes += c.length;
  }
  return bytes;
}

function listing(visit, path) {
  let count = 0;
  let size = 0;
  visit(fileSource(path), (node) => {
    count++;
    if (node.type === "regular") size += node.size;
  });
  return count + size;
}

function restore(visit, path, into) {
  rmSync(into, { recursive: true, force: true });
  visit(fileSource(path), (node) => {
    const where = join(into, ...node.segmentBytes.map((b) => Buffer.from(b).toString()));
    if (node.type === "directory") mkdirSync(where);
    else if (node.type === "symlink") symlinkSync(Buffer.from(node.targetBytes), where);
    else {
      const whole = node.takeBuffered();
      if (whole !== undefined)
        writeFileSync(where, whole, { mode: node.executable ? 0o755 : 0o644 });
      else {
        const fd = openSync(where, "w", node.executable ? 0o755 : 0o644);
        for (const c of node.chunks()) writeSync(fd, c);
        closeSync(fd);
      }
    }
  });
  rmSync(into, { recursive: true, force: true });
}

/** A NAR of one directory holding a `size`-byte file `big` (zeros, sparse on disk). */
function writeBigNar(path, size) {
  const u64 = Buffer.alloc(8);
  u64.writeBigUInt64LE(BigInt(size));
  const head = Buffer.concat([
    NAR_TOKENS.magic,
    NAR_HEADERS.directory,
    NAR_HEADERS.entry,
    framedBytes(Buffer.from("big")),
    NAR_HEADERS.node,
    NAR_HEADERS.regular,
    u64,
  ]);
  const tail = Buffer.concat([
    new Uint8Array((8 - (size % 8)) % 8),
    NAR_TOKENS.close,
    NAR_TOKENS.close,
    NAR_TOKENS.close,
  ]);
  const fd = openSync(path, "w");
  writeSync(fd, head, 0, head.length, 0);
  writeSync(fd, tail, 0, tail.length, head.length + size);
  closeSync(fd);
}

/**
 * CPU seconds (user + system) of `fn`: on the shared, loaded machine wall time mostly measures
 * the wait for a core; CPU time is the fairer comparison (wall time is kept beside it).
 */
async function time(fn) {
  globalThis.gc?.();
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  await fn();
  const c = process.cpuUsage(c0);
  return { cpu: (c.user + c.system) / 1e6, wall: Number(process.hrtime.bigint() - t0) / 1e9 };
}

/** The reader functions of a kind of case: [hand-written, compiled]. */
function readersOf(kind, into) {
  if (kind === "stream")
    return [(path) => streamRead(readNarFast, path), (path) => streamRead(readNar, path)];
  if (kind === "listing")
    return [(path) => listing(visitNarSyncBaseline, path), (path) => listing(visitNarSync, path)];
  return [
    (path) => restore(visitNarSyncBaseline, path, into),
    (path) => restore(visitNarSync, path, into),
  ];
}

// A child of the "alone" table: one reader, in a process of its own; prints its best times.
if (process.env.NAR_COMPILED_ALONE) {
  const { kind, which, path, into } = JSON.parse(process.env.NAR_COMPILED_ALONE);
  const read = readersOf(kind, into)[which];
  let cpu = Infinity;
  let wall = Infinity;
  for (let round = 0; round < 3; round++) {
    const t = await time(() => read(path));
    cpu = Math.min(cpu, t.cpu);
    wall = Math.min(wall, t.wall);
  }
  console.log(JSON.stringify({ cpu, wall }));
  process.exit(0);
}

const ALONE_RUNS = Number(process.env.NAR_BENCH_ALONE ?? (QUICK ? 2 : 3));
const made = [];
const nars = {};
try {
  const large = makeTree("compiled-large", {
    large: 4,
    largeSize: QUICK ? 10_000_000 : 50_000_000,
  });
  const small = makeTree("compiled-small", { small: QUICK ? 5_760 : 57_600, smallMean: 500 });
  made.push(large, small);
  for (const [name, tree] of [
    ["large", large],
    ["small", small],
  ]) {
    nars[name] = join(TREE_DIR, `nix-compat-bench-compiled-${name}.nar`);
    made.push(nars[name]);
    const r = spawnSync("sh", ["-c", `${NODE} ${CLI} nar dump-path ${tree} > ${nars[name]}`]);
    if (r.status !== 0) throw new Error(`dump-path ${tree}: ${r.stderr}`);
    removeTree(tree);
  }
  nars.big = join(TREE_DIR, "nix-compat-bench-compiled-big.nar");
  made.push(nars.big);
  writeBigNar(nars.big, QUICK ? 2 ** 28 : 2 ** 31);
  const into = join(TREE_DIR, "nix-compat-bench-compiled-restore");
  made.push(into);

  const cases = [];
  for (const name of ["large", "small", "big"]) {
    cases.push([`stream read (readNar), ${name}`, ...readersOf("stream"), nars[name], "stream"]);
    cases.push([`sync visit: listing, ${name}`, ...readersOf("listing"), nars[name], "listing"]);
    if (name !== "big")
      cases.push([
        `sync visit: restore to ${TREE_DIR}, ${name}`,
        ...readersOf("restore", into),
        nars[name],
        "restore",
      ]);
  }
  /** Prints the cases' best CPU (and wall) times, [hand-written, compiled] per case. */
  const readerTable = (title, cpu, wall) =>
    printTable(
      `${title}, CPU time; load ${loadavg()
        .map((l) => l.toFixed(2))
        .join(" ")})`,
      cases.map(([what], i) => ({
        path: what,
        "hand-written CPU s": cpu[i][0],
        "compiled CPU s": cpu[i][1],
        "compiled / hand-written (CPU)": `${(cpu[i][1] / cpu[i][0]).toFixed(3)} ${cpu[i][1] / cpu[i][0] <= 1.05 ? "ok" : "MISS (target ≤ 1.05)"}`,
        "wall ratio": (wall[i][1] / wall[i][0]).toFixed(3),
      })),
    );
  const best = cases.map(() => [Infinity, Infinity]);
  const bestWall = cases.map(() => [Infinity, Infinity]);
  for (let round = 0; round < RUNS; round++) {
    for (const [i, [, baseline, compiled, path]] of cases.entries()) {
      // alternate which goes first
      const order = round % 2 === 0 ? [0, 1] : [1, 0];
      for (const which of order) {
        const t = await time(() => (which === 0 ? baseline(path) : compiled(path)));
        best[i][which] = Math.min(best[i][which], t.cpu);
        bestWall[i][which] = Math.min(bestWall[i][which], t.wall);
      }
    }
  }
  const uptime = spawnSync("uptime", [], { encoding: "utf8" }).stdout.trim();
  readerTable(
    `NAR readers: compiled from the declaration vs hand-written (best of ${RUNS}, interleaved`,
    best,
    bestWall,
  );
  console.log(`uptime: ${uptime}`);

  // each reader alone in a fresh process, alternating hand-written and compiled
  const alone = cases.map(() => [Infinity, Infinity]);
  const aloneWall = cases.map(() => [Infinity, Infinity]);
  for (let round = 0; round < ALONE_RUNS; round++) {
    for (const [i, [, , , path, kind]] of cases.entries()) {
      for (const which of round % 2 === 0 ? [0, 1] : [1, 0]) {
        const r = spawnSync(NODE, ["--expose-gc", process.argv[1]], {
          encoding: "utf8",
          env: {
            ...process.env,
            NAR_COMPILED_ALONE: JSON.stringify({ kind, which, path, into }),
          },
        });
        if (r.status !== 0) throw new Error(`alone ${kind} ${which}: ${r.stderr}`);
        const t = JSON.parse(r.stdout.trim().split("\n").pop());
        alone[i][which] = Math.min(alone[i][which], t.cpu);
        aloneWall[i][which] = Math.min(aloneWall[i][which], t.wall);
      }
    }
  }
  readerTable(
    `NAR readers, each alone in a fresh process (best of ${ALONE_RUNS} processes × 3 rounds, alternating`,
    alone,
    aloneWall,
  );

  const rss = (line) => {
    const r = spawnSync("/usr/bin/time", ["-f", "%M", "sh", "-c", line], {
      stdio: ["ignore", "ignore", "pipe"],
    });
    const lines = r.stderr.toString().trim().split("\n");
    return Number(lines[lines.length - 1]) / 1024;
  };
  printTable(`peak RSS of the CLI on the ${QUICK ? "256 MiB" : "2 GiB"} single-file NAR`, [
    {
      command: "nix-compat nar ls -R",
      "max RSS MB": rss(`${NODE} ${CLI} nar ls -R ${nars.big} / > /dev/null`),
      target: "< 150",
    },
    {
      command: "nix-compat nar cat /big",
      "max RSS MB": rss(`${NODE} ${CLI} nar cat ${nars.big} /big > /dev/null`),
      target: "< 150",
    },
  ]);
} finally {
  for (const p of made) rmSync(p, { recursive: true, force: true });
}
