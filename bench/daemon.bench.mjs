// Daemon: `daemon dump-path` of a 200 MB path vs `nix store dump-path --store daemon`, against a
// private nix-daemon; QueryPathInfo round trips per second on one connection.

import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createConnection } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openDaemonClient } from "../dist/daemon/node.js";
import {
  bestOf,
  CLI,
  HAVE_NIX,
  measureCommand,
  printTable,
  ratio,
  timeLoopAsync,
  WORK_DIR,
} from "./lib.mjs";

if (!HAVE_NIX || !existsSync("/nix/var/nix")) {
  printTable("daemon (needs real Nix and its store)", []);
  process.exit(0);
}

const SIZE_MB = Number(process.env.NIX_COMPAT_BENCH_DAEMON_MB ?? 200);

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

async function startDaemon() {
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

// A 200 MB file with a fixed pattern: the same store path every run, added once.
mkdirSync(WORK_DIR, { recursive: true });
const big = join(WORK_DIR, `daemon-${SIZE_MB}mb`);
if (!existsSync(big)) {
  const block = Buffer.alloc(1 << 20);
  for (let i = 0; i < block.length; i++) block[i] = (i * 2654435761) >>> 24;
  writeFileSync(big, Buffer.concat(Array.from({ length: SIZE_MB }, () => block)));
}
const path = spawnSync("nix-store", ["--add", big], { encoding: "utf8" }).stdout.trim();

const daemon = await startDaemon();
try {
  const store = `unix://${daemon.socket}`;
  const ours = bestOf(3, () =>
    measureCommand(process.execPath, [CLI, "daemon", "dump-path", "--store", store, path]),
  );
  const theirs = bestOf(3, () =>
    measureCommand("nix", ["store", "dump-path", "--store", store, path]),
  );
  const theirsDump = bestOf(3, () => measureCommand("nix-store", ["--dump", path]));
  // The same NarFromPath stream in this process: the protocol and NAR parsing without the
  // process start (Node starts in ~50-200 ms here; Nix's whole command takes less).
  const inProcess = await (async () => {
    let best = Number.POSITIVE_INFINITY;
    for (let i = 0; i < 3; i++) {
      const c = openDaemonClient({ store, maxConnections: 1 });
      const t0 = process.hrtime.bigint();
      let n = 0;
      for await (const chunk of c.narFromPath(path)) n += chunk.length;
      best = Math.min(best, Number(process.hrtime.bigint() - t0) / 1e9);
      c.close();
      if (n < SIZE_MB << 20) throw new Error("short NAR");
    }
    return best;
  })();
  printTable(`daemon dump-path of a ${SIZE_MB} MB path (best of 3, stdout to /dev/null)`, [
    {
      command: "nix-compat daemon dump-path --store unix://…",
      seconds: ours.seconds,
      "MB/s": SIZE_MB / ours.seconds,
      "max RSS MiB": (ours.maxRssKiB ?? 0) / 1024,
      "ratio vs nix store dump-path": ratio(ours.seconds, theirs.seconds),
    },
    {
      command: "same NarFromPath stream, in process (no node start)",
      seconds: inProcess,
      "MB/s": SIZE_MB / inProcess,
      "max RSS MiB": "",
      "ratio vs nix store dump-path": ratio(inProcess, theirs.seconds),
    },
    {
      command: "nix store dump-path --store unix://… (reads the local FS)",
      seconds: theirs.seconds,
      "MB/s": SIZE_MB / theirs.seconds,
      "max RSS MiB": (theirs.maxRssKiB ?? 0) / 1024,
      "ratio vs nix store dump-path": "",
    },
    {
      command: "nix-store --dump (local, no daemon)",
      seconds: theirsDump.seconds,
      "MB/s": SIZE_MB / theirsDump.seconds,
      "max RSS MiB": (theirsDump.maxRssKiB ?? 0) / 1024,
      "ratio vs nix store dump-path": "",
    },
  ]);

  const client = openDaemonClient({ store, maxConnections: 1 });
  await client.queryPathInfo(path);
  const perCall = await timeLoopAsync(() => client.queryPathInfo(path), {
    minSeconds: 1,
    rounds: 3,
  });
  const concurrent = await timeLoopAsync(
    () => Promise.all(Array.from({ length: 100 }, () => client.queryPathInfo(path))),
    { minSeconds: 1, rounds: 2 },
  );
  client.close();
  const pool = openDaemonClient({ store, maxConnections: 4 });
  await Promise.all(Array.from({ length: 4 }, () => pool.queryPathInfo(path)));
  const pooled = await timeLoopAsync(
    () => Promise.all(Array.from({ length: 100 }, () => pool.queryPathInfo(path))),
    { minSeconds: 1, rounds: 2 },
  );
  pool.close();
  printTable("QueryPathInfo round trips", [
    { connections: 1, "requests in flight": 1, "round trips/s": 1 / perCall },
    { connections: 1, "requests in flight": 100, "round trips/s": 100 / concurrent },
    { connections: 4, "requests in flight": 100, "round trips/s": 100 / pooled },
  ]);
} finally {
  daemon.stop();
}
