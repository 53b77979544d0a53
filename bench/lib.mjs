// Helpers shared by the benchmark suites (bench/*.bench.mjs). Benchmarks are scripts: they
// time whole processes or in-process loops and print tables with ratios; they never fail.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createConnection } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
export const FIXTURES_DIR = resolve(REPO_ROOT, "fixtures");
export const CLI = resolve(REPO_ROOT, "dist", "cli", "main.js");
export const WORK_DIR = resolve(REPO_ROOT, "bench", ".work");

/** True when a program is on PATH. */
export function have(program) {
  return spawnSync("sh", ["-c", `command -v ${program}`]).status === 0;
}

export const HAVE_NIX = have("nix");
const HAVE_TIME = existsSync("/usr/bin/time");

/**
 * Runs a command once and returns wall seconds and peak RSS (KiB, from /usr/bin/time when
 * installed). stdout goes to /dev/null unless `stdout: "pipe"`.
 */
export function measureCommand(cmd, args, options = {}) {
  const useTime = HAVE_TIME && options.rss !== false;
  const argv = useTime ? ["/usr/bin/time", "-f", "%M", cmd, ...args] : [cmd, ...args];
  const t0 = process.hrtime.bigint();
  const r = spawnSync(argv[0], argv.slice(1), {
    input: options.input,
    stdio: [
      options.inputFile ? "pipe" : options.input ? "pipe" : "ignore",
      options.stdout ?? "ignore",
      "pipe",
    ],
    maxBuffer: 1 << 30,
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    shell: false,
  });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const stderr = r.stderr?.toString() ?? "";
  let maxRssKiB;
  if (useTime) {
    const lines = stderr.trim().split("\n");
    maxRssKiB = Number(lines[lines.length - 1]);
  }
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed: ${stderr}`);
  return { seconds, maxRssKiB, stdout: r.stdout };
}

/** Runs a shell command line (for redirections) and measures it like measureCommand. */
export function measureShell(line, options = {}) {
  return measureCommand("sh", ["-c", line], options);
}

/** Best (minimum) wall time of `runs` runs of `fn`, which returns {seconds, maxRssKiB}. */
export function bestOf(runs, fn) {
  return bestOfEach(runs, [fn])[0];
}

/**
 * Runs each of `fns` `runs` times, interleaved (a, b, a, b, ...) so that a slow spell of a
 * shared machine hits every contender alike, and returns each one's best: least wall time
 * (with the other fields of that run), least CPU time, largest peak RSS seen. An undefined
 * entry of `fns` gives undefined.
 */
export function bestOfEach(runs, fns) {
  const best = fns.map(() => undefined);
  for (let i = 0; i < runs; i++) {
    fns.forEach((fn, k) => {
      if (fn === undefined) return;
      const r = fn();
      const b = best[k];
      best[k] =
        b === undefined
          ? r
          : {
              ...(r.seconds < b.seconds ? r : b),
              seconds: Math.min(r.seconds, b.seconds),
              cpu: r.cpu === undefined ? b.cpu : Math.min(r.cpu, b.cpu ?? Infinity),
              maxRssKiB: Math.max(r.maxRssKiB ?? 0, b.maxRssKiB ?? 0),
            };
    });
  }
  return best;
}

/** Times an in-process synchronous loop: returns seconds per iteration (best of `rounds`). */
export function timeLoop(fn, { minSeconds = 0.5, rounds = 3 } = {}) {
  let best = Number.POSITIVE_INFINITY;
  for (let round = 0; round < rounds; round++) {
    let n = 0;
    const t0 = process.hrtime.bigint();
    let elapsed = 0;
    do {
      fn();
      n++;
      elapsed = Number(process.hrtime.bigint() - t0) / 1e9;
    } while (elapsed < minSeconds);
    best = Math.min(best, elapsed / n);
  }
  return best;
}

/** Async version of timeLoop. */
export async function timeLoopAsync(fn, { minSeconds = 0.5, rounds = 3 } = {}) {
  let best = Number.POSITIVE_INFINITY;
  for (let round = 0; round < rounds; round++) {
    let n = 0;
    const t0 = process.hrtime.bigint();
    let elapsed = 0;
    do {
      await fn();
      n++;
      elapsed = Number(process.hrtime.bigint() - t0) / 1e9;
    } while (elapsed < minSeconds);
    best = Math.min(best, elapsed / n);
  }
  return best;
}

/** Prints a titled table of rows (objects with the same keys). */
export function printTable(title, rows) {
  console.log(`\n## ${title}`);
  if (rows.length === 0) {
    console.log("(nothing measured)");
    return;
  }
  const keys = Object.keys(rows[0]);
  const cells = rows.map((r) => keys.map((k) => formatCell(r[k])));
  const widths = keys.map((k, i) => Math.max(k.length, ...cells.map((c) => c[i].length)));
  const line = (vals) => `| ${vals.map((v, i) => v.padEnd(widths[i])).join(" | ")} |`;
  console.log(line(keys));
  console.log(`|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`);
  for (const c of cells) console.log(line(c));
}

function formatCell(v) {
  if (v === undefined || v === null) return "";
  if (typeof v === "number") {
    if (Number.isInteger(v)) return String(v);
    return v >= 100 ? v.toFixed(0) : v >= 1 ? v.toFixed(2) : v.toPrecision(3);
  }
  return String(v);
}

/** Ratio ours / theirs formatted with a verdict against a target (lower is better). */
export function ratio(ours, theirs, target = 1.0) {
  if (!theirs) return "n/a";
  const r = ours / theirs;
  return `${r.toFixed(2)}${r <= target ? " ✓" : ` ✗ (target ≤ ${target})`}`;
}

function canConnect(path) {
  return new Promise((resolve) => {
    const s = createConnection({ path });
    s.once("connect", () => {
      s.destroy();
      resolve(true);
    });
    s.once("error", () => resolve(false));
  });
}

/** Starts a private nix-daemon on a fresh socket: `{ socket, stop() }`. */
export async function startDaemon() {
  const dir = mkdtempSync(join(tmpdir(), "nix-compat-bench-daemon-"));
  const socket = join(dir, "socket");
  const child = spawn("nix-daemon", [], {
    env: { ...process.env, NIX_DAEMON_SOCKET_PATH: socket },
    stdio: "ignore",
  });
  const deadline = Date.now() + 10_000;
  while (!existsSync(socket) || !(await canConnect(socket))) {
    if (Date.now() > deadline) throw new Error("nix-daemon did not start");
    await new Promise((r) => setTimeout(r, 20));
  }
  return {
    socket,
    stop() {
      const r = spawnSync("pgrep", ["-P", String(child.pid)], { encoding: "utf8" });
      for (const pid of [child.pid, ...r.stdout.split("\n").filter(Boolean).map(Number)]) {
        try {
          process.kill(pid, "SIGTERM");
        } catch {
          // already gone
        }
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Runs a command `runs` times: best wall seconds, with that run's CPU seconds and peak RSS. */
export function measureCpu(cmd, args, env = {}, runs = 5) {
  let best;
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    const r = spawnSync("/usr/bin/time", ["-f", "%U %S %M", cmd, ...args], {
      stdio: ["ignore", "ignore", "pipe"],
      env: { ...process.env, ...env },
    });
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed: ${r.stderr}`);
    const last = r.stderr.toString().trim().split("\n").pop().split(" ").map(Number);
    const run = { seconds, cpu: last[0] + last[1], maxRssKiB: last[2] };
    if (!best || run.seconds < best.seconds) best = run;
  }
  return best;
}

/**
 * A file of `sizeMb` MiB with a fixed pattern in bench/.work, added to the store once (the same
 * store path every run); returns the store path.
 */
export function addPatternPath(sizeMb) {
  mkdirSync(WORK_DIR, { recursive: true });
  const big = join(WORK_DIR, `daemon-${sizeMb}mb`);
  if (!existsSync(big)) {
    const block = Buffer.alloc(1 << 20);
    for (let i = 0; i < block.length; i++) block[i] = (i * 2654435761) >>> 24;
    writeFileSync(big, Buffer.concat(Array.from({ length: sizeMb }, () => block)));
  }
  return spawnSync("nix-store", ["--add", big], { encoding: "utf8" }).stdout.trim();
}
