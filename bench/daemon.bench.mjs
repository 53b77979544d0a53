// Daemon: `daemon dump-path` of a 200 MB path vs Nix, against a private nix-daemon; QueryPathInfo
// round trips per second on one connection.
//
// Two Nix figures, because Nix 2.8's `nix store dump-path --store unix://SOCKET` does not stream
// the NAR through the socket: its unix-socket store is also a local-filesystem store, so it asks
// the daemon only for the path's info and dumps /nix/store/... itself (strace: 7 reads on the
// socket, 3200 64 KiB reads of the store file). The honest comparison is
// `nix store dump-path --store ssh-ng://localhost` with NIX_REMOTE=daemon: for localhost Nix runs
// `nix-daemon --stdio` without ssh, which relays the worker protocol to the daemon socket, so
// NarFromPath really goes daemon → socket → relay → pipe → nix (one hop more than ours).

import { existsSync } from "node:fs";
import { openDaemonClient } from "../dist/daemon/node.js";
import {
  addPatternPath,
  CLI,
  HAVE_NIX,
  measureCpu,
  printTable,
  ratio,
  startDaemon,
  timeLoopAsync,
} from "./lib.mjs";

if (!HAVE_NIX || !existsSync("/nix/var/nix")) {
  printTable("daemon (needs real Nix and its store)", []);
  process.exit(0);
}

const SIZE_MB = Number(process.env.NIX_COMPAT_BENCH_DAEMON_MB ?? 200);

// A 200 MB file with a fixed pattern: the same store path every run, added once.
const path = addPatternPath(SIZE_MB);

const daemon = await startDaemon();
try {
  const store = `unix://${daemon.socket}`;
  const viaSocket = { NIX_REMOTE: "daemon", NIX_DAEMON_SOCKET_PATH: daemon.socket };
  const ours = measureCpu(process.execPath, [CLI, "daemon", "dump-path", "--store", store, path]);
  const nixLocal = measureCpu("nix", ["store", "dump-path", "--store", store, path]);
  const nixSocket = measureCpu(
    "nix",
    ["store", "dump-path", "--store", "ssh-ng://localhost", path],
    viaSocket,
  );
  const nixDump = measureCpu("nix-store", ["--dump", path]);
  const nodeStart = measureCpu(process.execPath, ["-e", "0"]);
  const ourStart = measureCpu(process.execPath, [
    CLI,
    "daemon",
    "is-valid",
    "--store",
    store,
    path,
  ]);
  // The same NarFromPath stream in this process: the protocol and NAR parsing without the
  // process start.
  const inProcess = await (async () => {
    let best = Number.POSITIVE_INFINITY;
    for (let i = 0; i < 5; i++) {
      const c = openDaemonClient({ store, maxConnections: 1 });
      await c.isValidPath(path);
      const t0 = process.hrtime.bigint();
      let n = 0;
      for await (const chunk of c.narFromPath(path, { reuseBuffers: true })) n += chunk.length;
      best = Math.min(best, Number(process.hrtime.bigint() - t0) / 1e9);
      c.close();
      if (n < SIZE_MB << 20) throw new Error("short NAR");
    }
    return best;
  })();
  const row = (command, m, extra = {}) => ({
    command,
    seconds: m.seconds,
    "CPU s": m.cpu ?? "",
    "MB/s": extra.noRate ? "" : SIZE_MB / m.seconds,
    "max RSS MiB": m.maxRssKiB ? m.maxRssKiB / 1024 : "",
    "ratio vs socket stream": extra.socket ?? "",
    "ratio vs local read": extra.local ?? "",
  });
  const both = (m) => ({
    socket: ratio(m.seconds, nixSocket.seconds),
    local: ratio(m.seconds, nixLocal.seconds),
  });
  printTable(
    `daemon dump-path of a ${SIZE_MB} MB path (best of 5 wall, CPU of that run, stdout to /dev/null)`,
    [
      row("nix-compat daemon dump-path --store unix://…", ours, both(ours)),
      row(
        "same NarFromPath stream, in process (no node start)",
        { seconds: inProcess },
        both({ seconds: inProcess }),
      ),
      row(
        "nix store dump-path --store ssh-ng://localhost (NIX_REMOTE=daemon: streams through the socket)",
        nixSocket,
      ),
      row("nix store dump-path --store unix://… (Nix 2.8 reads the local FS)", nixLocal),
      row("nix-store --dump (local, no daemon)", nixDump),
      row("start-up floor: node -e 0", nodeStart, { noRate: true }),
      row("start-up + handshake: nix-compat daemon is-valid", ourStart, { noRate: true }),
    ],
  );

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
