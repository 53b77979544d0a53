// The NAR declaration's generated event writer against the hand-written framing it replaced
// (bench/baseline: NarBufferEmitter under the dump, createNarWriter/writeNar), in one process,
// interleaved (compiled, hand-written, compiled, ...), best and median of each:
// - dump of a ~200 MB tree of 4 large files and of 57,600 small files (trees under /dev/shm,
//   removed after), in process, chunks consumed (summed);
// - createNarWriter driven directly (the public streaming writer, checked) with the events of
//   each of those trees, read into memory beforehand (contents of large files in 1 MiB pieces),
//   with a sink that only counts and with one that hashes (sha256) what it gets;
// - writeNar of an in-memory tree (20,000 small files in 80 directories, 4 × 4 MiB files) and
//   createNarWriter driven directly with the same events;
// - whole processes: `nar dump-path` against `nix-store --dump` on both trees (a quick paired
//   run, to compare with the README's ratios).
// Target: compiled ≤ 1.05 × hand-written. NAR_BENCH_QUICK=1: trees 10 × smaller, fewer runs.
// NAR_BENCH_PARTS=dump,tree-writer,writers,whole (default: all) runs only those parts.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { cpus, loadavg } from "node:os";
import { bestOfEach, CLI, HAVE_NIX, measureShell, printTable } from "./lib.mjs";
import { makeTree } from "./trees.mjs";
import { lstatSync, readdirSync, readFileSync, readlinkSync, rmSync } from "node:fs";
import { join } from "node:path";
import * as compiledDump from "../dist/node/nar-dump.js";
import * as compiledWriter from "../dist/nar/writer.js";
import * as baselineDump from "./baseline/nar-dump.mjs";
import * as baselineWriter from "./baseline/nar-writer.mjs";

const QUICK = process.env.NAR_BENCH_QUICK === "1";
const RUNS = Number(process.env.NAR_BENCH_RUNS ?? (QUICK ? 3 : 7));
const scale = QUICK ? 10 : 1;
const PARTS = new Set(
  (process.env.NAR_BENCH_PARTS ?? "dump,tree-writer,writers,whole").split(",").map((p) => p.trim()),
);

function uptime() {
  const r = spawnSync("uptime", { encoding: "utf8" });
  return r.status === 0
    ? r.stdout.trim()
    : `load ${loadavg()
        .map((l) => l.toFixed(2))
        .join(" ")}`;
}

/**
 * Runs each of `fns` RUNS times interleaved; returns the best and median wall seconds and the
 * median CPU seconds (user + system: on a loaded machine the fairer figure) of each.
 */
async function interleaved(fns) {
  const times = fns.map(() => ({ wall: [], cpu: [] }));
  for (let i = 0; i < RUNS; i++) {
    for (const [k, fn] of fns.entries()) {
      // (no forced gc() between runs: after one, the compiled createNarWriter measured 2.5×
      // slower in CPU time and 1.0× without; a forced collection does not measure the writer)
      const c0 = process.cpuUsage();
      const t0 = process.hrtime.bigint();
      await fn();
      times[k].wall.push(Number(process.hrtime.bigint() - t0) / 1e9);
      const c = process.cpuUsage(c0);
      times[k].cpu.push((c.user + c.system) / 1e6);
    }
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  return times.map((t) => ({
    best: Math.min(...t.wall),
    median: median(t.wall),
    cpu: median(t.cpu),
  }));
}

function drain(chunks) {
  let n = 0;
  for (const c of chunks) n += c.length;
  return n;
}

/**
 * The entries of the tree at `root` in NAR order (names sorted; they are ASCII here), files
 * read into memory, as `writeNar` takes them.
 */
function entriesOf(root) {
  const out = [];
  const walk = (abs, path) => {
    const st = lstatSync(abs);
    if (st.isDirectory()) {
      out.push({ path, type: "directory" });
      for (const n of readdirSync(abs).sort()) walk(join(abs, n), path === "" ? n : `${path}/${n}`);
    } else if (st.isSymbolicLink()) {
      out.push({ path, type: "symlink", target: readlinkSync(abs) });
    } else {
      const executable = (st.mode & 0o100) !== 0;
      out.push({ path, type: "regular", contents: readFileSync(abs), executable });
    }
  };
  walk(root, "");
  return out;
}

/**
 * A run of a visitor-style writer (`create(sink)`) over `entries` (in NAR order), contents
 * written in pieces of at most `piece` bytes; returns the NAR's size.
 */
function drive(create, entries, piece = Infinity, hashing = false) {
  return () => {
    let n = 0;
    const hash = hashing ? createHash("sha256") : undefined;
    const w = create(
      hash === undefined
        ? (c) => (n += c.length)
        : (c) => {
            n += c.length;
            hash.update(c);
          },
    );
    const open = [];
    for (const e of entries) {
      const segs = e.path === "" ? [] : e.path.split("/");
      while (open.length >= segs.length && open.length > 0) {
        open.pop();
        w.end();
      }
      if (segs.length > 0) w.entry(segs[segs.length - 1]);
      if (e.type === "directory") {
        w.directory();
        if (segs.length > 0) open.push(e.path);
      } else if (e.type === "symlink") w.symlink(e.target);
      else {
        const c = e.contents;
        w.regular(c.length, e.executable);
        if (c.length <= piece) w.write(c);
        else for (let at = 0; at < c.length; at += piece) w.write(c.subarray(at, at + piece));
        w.end();
      }
    }
    while (open.length > 0) {
      open.pop();
      w.end();
    }
    w.end();
    w.finish();
    hash?.digest();
    return n;
  };
}

function row(work, mb, [compiled, baseline]) {
  const r = compiled.median / baseline.median;
  const rc = compiled.cpu / baseline.cpu;
  return {
    work,
    MB: mb,
    "compiled s (best/median)": `${compiled.best.toFixed(4)}/${compiled.median.toFixed(4)}`,
    "hand-written s (best/median)": `${baseline.best.toFixed(4)}/${baseline.median.toFixed(4)}`,
    "ratio median": `${r.toFixed(4)} ${r <= 1.05 ? "✓" : "✗"} (≤ 1.05)`,
    "ratio best": (compiled.best / baseline.best).toFixed(3),
    "cpu s (compiled/hand)": `${compiled.cpu.toFixed(4)}/${baseline.cpu.toFixed(4)}`,
    "ratio cpu": `${rc.toFixed(4)} ${rc <= 1.05 ? "✓" : "✗"}`,
  };
}

/** writeNar and createNarWriter on an in-memory tree: their rows. */
async function inMemoryWriterRows() {
  const out = [];
  const entries = [{ path: "", type: "directory" }];
  const contents = Buffer.alloc(1000, 7);
  const big = Buffer.alloc(4 << 20, 9);
  for (let i = 0; i < 4; i++)
    entries.push({ path: `big${i}`, type: "regular", contents: big, executable: false });
  const dirs = Math.floor(80 / Math.sqrt(scale));
  const files = Math.floor(20000 / scale / dirs);
  for (let d = 0; d < dirs; d++) {
    const dir = `d${String(d).padStart(3, "0")}`;
    entries.push({ path: dir, type: "directory" });
    entries.push({ path: `${dir}/link`, type: "symlink", target: "../elsewhere" });
    const names = Array.from({ length: files }, (_, f) => `f${f}.txt`).sort();
    for (const n of names) {
      entries.push({
        path: `${dir}/${n}`,
        type: "regular",
        contents: contents.subarray(0, (n.length * 37) % 1000),
        executable: n.length % 3 === 0,
      });
    }
  }
  entries.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const sink = {
    n: 0,
    write(c) {
      this.n += c.length;
    },
  };
  await compiledWriter.writeNar(entries, sink);
  const want = sink.n;
  const narMb = () => (want / 1e6).toFixed(0);
  sink.n = 0;
  await baselineWriter.writeNar(entries, sink);
  if (sink.n !== want) throw new Error("writeNar sizes differ");
  out.push(
    row(
      `writeNar, ${entries.length} entries`,
      narMb(),
      await interleaved([
        () => compiledWriter.writeNar(entries, sink),
        () => baselineWriter.writeNar(entries, sink),
      ]),
    ),
  );
  out.push(
    row(
      "createNarWriter, same events",
      narMb(),
      await interleaved([
        drive(compiledWriter.createNarWriter, entries),
        drive(baselineWriter.createNarWriter, entries),
      ]),
    ),
  );
  return out;
}

console.log(
  `# nar-dump-compiled: ${RUNS} interleaved runs${QUICK ? " (quick)" : ""}; ${cpus().length} cores`,
);
console.log(`before: ${uptime()}`);
const large = makeTree("dump-compiled-large", {
  large: 4,
  largeSize: Math.floor((50 << 20) / scale),
});
const small = makeTree("dump-compiled-small", {
  small: Math.floor(57600 / scale),
  smallMean: 1000,
});
const rows = [];
try {
  for (const [name, root] of [
    ["dump, 4 large files", large],
    [`dump, ${Math.floor(57600 / scale)} small files`, small],
  ]) {
    if (!PARTS.has("dump")) break;
    const size = drain(compiledDump.dumpPathChunks(root));
    if (size !== drain(baselineDump.dumpPathChunks(root))) throw new Error("sizes differ");
    rows.push(
      row(
        name,
        (size / 1e6).toFixed(0),
        await interleaved([
          () => drain(compiledDump.dumpPathChunks(root)),
          () => drain(baselineDump.dumpPathChunks(root)),
        ]),
      ),
    );
  }

  // createNarWriter driven with the events of each bench tree (files read beforehand)
  for (const [name, root] of [
    ["4 large files", large],
    [`${Math.floor(57600 / scale)} small files`, small],
  ]) {
    if (!PARTS.has("tree-writer")) break;
    const treeEntries = entriesOf(root);
    // (contents in 64 KiB pieces, as a file stream gives them; the large tree's run is
    // repeated 100 times to be measurable)
    const times = root === large ? 100 : 1;
    const create = (writer, hashing = false) => {
      const once = drive(writer.createNarWriter, treeEntries, 1 << 16, hashing);
      return () => {
        let n = 0;
        // (hashing is measurable in one run)
        for (let i = 0; i < (hashing ? 1 : times); i++) n = once();
        return n;
      };
    };
    const size = create(compiledWriter)();
    if (size !== create(baselineWriter)()) throw new Error("createNarWriter sizes differ");
    rows.push(
      row(
        `createNarWriter, ${name}${times > 1 ? ` (× ${times})` : ""}`,
        (size / 1e6).toFixed(0),
        await interleaved([create(compiledWriter), create(baselineWriter)]),
      ),
    );
    // the same with a sink that hashes what it gets (sha256, node:crypto), as `nar hash`
    // does: what a sink costs per call counts there
    rows.push(
      row(
        `createNarWriter → sha256, ${name}`,
        (size / 1e6).toFixed(0),
        await interleaved([create(compiledWriter, true), create(baselineWriter, true)]),
      ),
    );
  }

  if (PARTS.has("writers")) rows.push(...(await inMemoryWriterRows()));
  console.log(`after: ${uptime()}`);
  printTable("compiled event writer / hand-written framing (same run, interleaved)", rows);

  if (HAVE_NIX && PARTS.has("whole")) {
    const whole = [];
    // NAR_BENCH_BASE_CLI: the CLI of the library before (its dist/cli/main.js), run alike
    const base = process.env.NAR_BENCH_BASE_CLI;
    for (const [name, root] of [
      ["large", large],
      ["small", small],
    ]) {
      const [ours, nix, before] = bestOfEach(QUICK ? 2 : 3, [
        () => measureShell(`${process.execPath} ${CLI} nar dump-path ${root} > /dev/null`),
        () => measureShell(`nix-store --dump ${root} > /dev/null`),
        base &&
          (() => measureShell(`${process.execPath} ${base} nar dump-path ${root} > /dev/null`)),
      ]);
      whole.push({
        tree: name,
        "nar dump-path s": ours.seconds.toFixed(3),
        "nix-store --dump s": nix.seconds.toFixed(3),
        "ours/nix": (ours.seconds / nix.seconds).toFixed(2),
        ...(before && {
          "before s": before.seconds.toFixed(3),
          "before/nix": (before.seconds / nix.seconds).toFixed(2),
        }),
      });
    }
    printTable(`whole processes, best of ${QUICK ? 2 : 3} interleaved (${uptime()})`, whole);
  }
} finally {
  rmSync(large, { recursive: true, force: true });
  rmSync(small, { recursive: true, force: true });
}
