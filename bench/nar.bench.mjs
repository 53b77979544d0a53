// NAR: dump-path, hash path, restore and ls/cat, side by side with C++ Nix (whole processes).
//
// Trees are generated once under bench/.work (git-ignored):
// - large: ~200 MB, 6 large files plus ~5,750 small ones;
// - small: ~60 MB in ~57,600 small files;
// - big.nar: a NAR holding a 2 GiB file (sparse on disk), for `nar ls -R` / `nar cat` memory.
import { spawnSync } from "node:child_process";
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { join } from "node:path";
import { bestOf, bestOfEach, CLI, HAVE_NIX, printTable, ratio, WORK_DIR } from "./lib.mjs";
import { block, rand } from "./trees.mjs";

// Like lib.mjs's measureShell, but also records CPU time (user + sys): on a shared, loaded
// machine wall time is noisy and CPU time is the fairer comparison.
function measureShell(line) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync("/usr/bin/time", ["-f", "%U %S %M", "sh", "-c", line], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const lines = r.stderr.toString().trim().split("\n");
  const [user, sys, rss] = lines[lines.length - 1].split(" ").map(Number);
  if (r.status !== 0) throw new Error(`${line} failed: ${r.stderr}`);
  return { seconds, cpu: user + sys, maxRssKiB: rss };
}

const RUNS = Number(process.env.NAR_BENCH_RUNS ?? 5);
const NODE = process.execPath;

function bytesOf(size) {
  const off = Math.floor(rand() * (block.length - Math.min(size, block.length)));
  if (size <= block.length) return block.subarray(off, off + size);
  const out = Buffer.allocUnsafe(size);
  for (let at = 0; at < size; at += block.length)
    block.copy(out, at, 0, Math.min(block.length, size - at));
  out.writeUInt32LE(size, 0);
  return out;
}

function makeSmallFiles(root, dirs, perDir, meanSize) {
  for (let d = 0; d < dirs; d++) {
    const dir = join(root, `d${String(d).padStart(3, "0")}`);
    mkdirSync(dir, { recursive: true });
    for (let f = 0; f < perDir; f++) {
      const size = Math.floor(rand() * 2 * meanSize);
      const p = join(dir, `f${f}.txt`);
      writeFileSync(p, bytesOf(size), { mode: f % 17 === 0 ? 0o755 : 0o644 });
    }
  }
}

function ensureTrees() {
  mkdirSync(WORK_DIR, { recursive: true });
  const large = join(WORK_DIR, "tree-large");
  const small = join(WORK_DIR, "tree-small");
  if (!existsSync(join(WORK_DIR, "tree-large.done"))) {
    rmSync(large, { recursive: true, force: true });
    mkdirSync(large);
    for (let i = 0; i < 6; i++)
      writeFileSync(join(large, `big${i}.bin`), bytesOf(33_000_000 + i * 8 + 3));
    makeSmallFiles(join(large, "small"), 23, 250, 1000);
    writeFileSync(join(WORK_DIR, "tree-large.done"), "");
  }
  if (!existsSync(join(WORK_DIR, "tree-small.done"))) {
    rmSync(small, { recursive: true, force: true });
    mkdirSync(small);
    makeSmallFiles(small, 240, 240, 1050);
    writeFileSync(join(WORK_DIR, "tree-small.done"), "");
  }
  return { large, small };
}

// A NAR with a 2 GiB regular file, written sparsely: header, a hole of zeros, trailer.
function ensureBigNar() {
  const path = join(WORK_DIR, "big.nar");
  if (existsSync(path)) return path;
  const str = (s) => {
    const b = Buffer.from(s);
    const out = Buffer.alloc(8 + b.length + ((8 - (b.length % 8)) % 8));
    out.writeBigUInt64LE(BigInt(b.length));
    b.copy(out, 8);
    return out;
  };
  const u64 = (n) => {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(BigInt(n));
    return b;
  };
  const size = 2 ** 31;
  const head = Buffer.concat([
    ...["nix-archive-1", "(", "type", "directory", "entry", "(", "name", "big", "node", "("].map(
      str,
    ),
    ...["type", "regular", "contents"].map(str),
    u64(size),
  ]);
  const tail = Buffer.concat(
    [")", ")", "entry", "(", "name", "small", "node", "(", "type", "regular", "contents"].map(str),
  );
  const fd = openSync(path, "w");
  writeSync(fd, head, 0, head.length, 0);
  let at = head.length + size;
  const rest = Buffer.concat([tail, str("hello\n"), ...[")", ")", ")"].map(str)]);
  writeSync(fd, rest, 0, rest.length, at);
  at += rest.length;
  closeSync(fd);
  return path;
}

function mb(bytes) {
  return bytes / 1e6;
}

// `hash path` is registered by the hash area; until it is, time the library function directly.
const HASH_PATH_CLI = spawnSync(NODE, [CLI, "hash", "path", CLI], { stdio: "ignore" }).status === 0;
const hashScript = join(WORK_DIR, "hash-path.mjs");
function hashCommand(tree) {
  if (HASH_PATH_CLI) return `${NODE} ${CLI} hash path --type sha256 --base16 ${tree}`;
  writeFileSync(
    hashScript,
    `import { installNodeHashing } from ${JSON.stringify(join(CLI, "..", "..", "node", "hash-backend.js"))};
import { hashPath } from ${JSON.stringify(join(CLI, "..", "..", "node", "nar-dump.js"))};
installNodeHashing();
const d = await hashPath(process.argv[2], "sha256");
process.stdout.write(Buffer.from(d).toString("hex") + "\\n");
`,
  );
  return `${NODE} ${hashScript} ${tree}`;
}

// In-process figures: the same work timed inside one Node process after its modules are
// loaded, so that start-up (which alone exceeds Nix's whole run on the large tree) is left out.
const inprocScript = join(WORK_DIR, "nar-inprocess.mjs");
writeFileSync(
  inprocScript,
  `import { dumpPathChunks, narHashAndSize } from ${JSON.stringify(join(CLI, "..", "..", "node", "nar-dump.js"))};
import { restoreNar } from ${JSON.stringify(join(CLI, "..", "..", "node", "nar-restore.js"))};
import { fileChunkSource } from ${JSON.stringify(join(CLI, "..", "..", "node", "byte-sources.js"))};
const [mode, a, b] = process.argv.slice(2);
const t0 = process.hrtime.bigint();
const c0 = process.cpuUsage();
if (mode === "dump") { let n = 0; for (const c of dumpPathChunks(a)) n += c.length; }
else if (mode === "hash") await narHashAndSize(a, "sha256");
else { const src = fileChunkSource(a); await restoreNar(src, b); src.close(); }
const c = process.cpuUsage(c0);
console.log(Number(process.hrtime.bigint() - t0) / 1e9, (c.user + c.system) / 1e6);
`,
);
/** Best in-process wall and CPU seconds of RUNS runs (`before` runs untimed before each). */
function inProcess(args, before) {
  let wall = Infinity;
  let cpu = Infinity;
  for (let i = 0; i < RUNS; i++) {
    before?.();
    const r = spawnSync(NODE, [inprocScript, ...args], { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`in-process ${args.join(" ")} failed: ${r.stderr}`);
    const [w, c] = r.stdout.trim().split(" ").map(Number);
    wall = Math.min(wall, w);
    cpu = Math.min(cpu, c);
  }
  return { wall, cpu };
}

// NAR_BENCH_ONLY=big runs only the 2 GiB part (trees are generated anyway on first use).
const ONLY = process.env.NAR_BENCH_ONLY;
const { large, small } = ONLY === "big" ? { large: "", small: "" } : ensureTrees();
const rows = [];
const hashRows = [];
const restoreRows = [];
for (const [label, tree] of ONLY === "big"
  ? []
  : [
      ["large (~200 MB, few big files)", large],
      ["small (~60 MB, ~57,600 files)", small],
    ]) {
  const nar = `/dev/shm/nix-compat-bench-${label.split(" ")[0]}.nar`;
  spawnSync("sh", ["-c", `${NODE} ${CLI} nar dump-path ${tree} > ${nar}`]);
  const narSize = statSync(nar).size;
  const [ours, nix] = bestOfEach(RUNS, [
    () => measureShell(`${NODE} ${CLI} nar dump-path ${tree} > /dev/null`),
    HAVE_NIX ? () => measureShell(`nix-store --dump ${tree} > /dev/null`) : undefined,
  ]);
  const dumpIn = inProcess(["dump", tree]);
  rows.push({
    tree: label,
    "NAR MB": mb(narSize),
    "ours s": ours.seconds,
    "ours in-process s": dumpIn.wall,
    "nix s": nix?.seconds,
    "ours/nix": nix ? ratio(ours.seconds, nix.seconds) : "n/a",
    "ours cpu s": ours.cpu,
    "nix cpu s": nix?.cpu,
    "cpu ours/nix": nix ? ratio(ours.cpu, nix.cpu) : "n/a",
    "peak RSS MB": ours.maxRssKiB / 1024,
  });

  const [hashOurs, hashNix] = bestOfEach(RUNS, [
    () => measureShell(`${hashCommand(tree)} > /dev/null`),
    HAVE_NIX ? () => measureShell(`nix-hash --type sha256 ${tree} > /dev/null`) : undefined,
  ]);
  const hashIn = inProcess(["hash", tree]);
  hashRows.push({
    tree: label,
    "ours s": hashOurs.seconds,
    "ours in-process s": hashIn.wall,
    "nix-hash s": hashNix?.seconds,
    "ours/nix": hashNix ? ratio(hashOurs.seconds, hashNix.seconds) : "n/a",
    "ours cpu s": hashOurs.cpu,
    "nix cpu s": hashNix?.cpu,
    "cpu ours/nix": hashNix ? ratio(hashOurs.cpu, hashNix.cpu) : "n/a",
  });

  const dest = "/dev/shm/nix-compat-bench-restore";
  const [restoreOurs, restoreNix] = bestOfEach(RUNS, [
    () => {
      rmSync(dest, { recursive: true, force: true });
      return measureShell(`${NODE} ${CLI} nar restore ${dest} < ${nar}`);
    },
    HAVE_NIX
      ? () => {
          rmSync(dest, { recursive: true, force: true });
          return measureShell(`nix-store --restore ${dest} < ${nar}`);
        }
      : undefined,
  ]);
  const restoreIn = inProcess(["restore", nar, dest], () =>
    rmSync(dest, { recursive: true, force: true }),
  );
  rmSync(dest, { recursive: true, force: true });
  restoreRows.push({
    tree: label,
    "ours s": restoreOurs.seconds,
    "ours in-process s": restoreIn.wall,
    "nix s": restoreNix?.seconds,
    "ours/nix": restoreNix ? ratio(restoreOurs.seconds, restoreNix.seconds) : "n/a",
    "ours cpu s": restoreOurs.cpu,
    "nix cpu s": restoreNix?.cpu,
    "cpu ours/nix": restoreNix ? ratio(restoreOurs.cpu, restoreNix.cpu) : "n/a",
    "peak RSS MB": restoreOurs.maxRssKiB / 1024,
  });
  rmSync(nar, { force: true });
}
if (rows.length > 0) {
  // The floor under every ratio: starting Node (and loading the nar commands) costs more than
  // C++ Nix needs for the whole large-tree dump.
  const node = bestOf(RUNS, () => measureShell(`${NODE} -e 0`));
  rows.push({ tree: "(reference: node -e 0)", "ours s": node.seconds, "ours cpu s": node.cpu });
  const help = bestOf(RUNS, () => measureShell(`${NODE} ${CLI} nar --help > /dev/null`));
  rows.push({
    tree: "(reference: nix-compat nar --help)",
    "ours s": help.seconds,
    "ours cpu s": help.cpu,
  });
}
printTable("nar dump-path vs nix-store --dump (to /dev/null)", rows);
printTable("hash path (sha256) vs nix-hash --type sha256", hashRows);
printTable("nar restore vs nix-store --restore (into /dev/shm)", restoreRows);

const big = ensureBigNar();
// The NAR is sparse: the first read of its 2 GiB hole fills the page cache with zero pages,
// which on these VMs costs the kernel 2-7 s (any reader pays it: dd too). Read it once first,
// so the rows time the commands, and show dd's plain read of the whole file for reference.
measureShell(`cat ${big} > /dev/null`);
const bigRows = [];
for (const [work, ours, theirs] of [
  ["nar ls -R --json", `${NODE} ${CLI} nar ls -R --json ${big} /`, `nix nar ls -R --json ${big} /`],
  [
    "nar cat (2 GiB file)",
    `${NODE} ${CLI} nar cat ${big} /big > /dev/null`,
    `nix nar cat ${big} /big > /dev/null`,
  ],
]) {
  const o = bestOf(3, () => measureShell(`${ours} > /dev/null`));
  let n;
  if (HAVE_NIX && process.env.NAR_BENCH_NIX_BIG === "1")
    n = bestOf(1, () => measureShell(`${theirs} > /dev/null`));
  bigRows.push({
    work,
    "ours s": o.seconds,
    "ours cpu s": o.cpu,
    "ours peak RSS MB": o.maxRssKiB / 1024,
    "RSS < 150 MB": o.maxRssKiB / 1024 < 150 ? "✓" : "✗",
    "nix s": n?.seconds,
    "nix peak RSS MB": n ? n.maxRssKiB / 1024 : undefined,
  });
}
{
  const dd = bestOf(3, () => measureShell(`dd if=${big} of=/dev/null bs=1M 2>/dev/null`));
  bigRows.push({
    work: "(reference: dd bs=1M of the whole NAR)",
    "ours s": dd.seconds,
    "ours cpu s": dd.cpu,
  });
}
printTable(
  "NAR holding a 2 GiB file (set NAR_BENCH_NIX_BIG=1 to run Nix too: it loads the whole NAR)",
  bigRows,
);

// A directory of 200,000 empty files: `nar ls -R --json` must stay linear (issue 14 measured
// 5.0 s and 295 MB where Nix took 1.7 s and 179 MB; the JSON is now written while the NAR
// streams by, without a listing tree).
{
  const wide = join(WORK_DIR, "wide.nar");
  if (!existsSync(wide)) {
    const parts = [];
    const str = (s) => {
      const b = Buffer.from(s);
      const len = Buffer.alloc(8);
      len.writeBigUInt64LE(BigInt(b.length));
      return Buffer.concat([len, b, Buffer.alloc((8 - (b.length % 8)) % 8)]);
    };
    parts.push(str("nix-archive-1"), str("("), str("type"), str("directory"));
    const file = Buffer.concat(
      ["(", "type", "regular", "contents"].map(str).concat([Buffer.alloc(8), str(")")]),
    );
    for (let i = 0; i < 200_000; i++) {
      parts.push(
        str("entry"),
        str("("),
        str("name"),
        str(`f${String(i).padStart(6, "0")}`),
        str("node"),
        file,
        str(")"),
      );
    }
    parts.push(str(")"));
    writeFileSync(wide, Buffer.concat(parts));
  }
  const work = `nar ls -R --json ${wide} / > /dev/null`;
  const o = bestOf(3, () => measureShell(`${NODE} ${CLI} ${work}`));
  const n = HAVE_NIX ? bestOf(3, () => measureShell(`nix ${work}`)) : undefined;
  printTable("nar ls -R --json of a directory of 200,000 files", [
    {
      "ours s": o.seconds,
      "ours cpu s": o.cpu,
      "ours peak RSS MB": o.maxRssKiB / 1024,
      "nix s": n?.seconds,
      "nix cpu s": n?.cpu,
      "nix peak RSS MB": n ? n.maxRssKiB / 1024 : undefined,
    },
  ]);
}
