/**
 * Starts a private `nix-daemon` on a temporary socket for the daemon tests, and stops it.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createConnection } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { computeHash } from "../../src/core/hash.js";
import type { PathInfo } from "../../src/daemon/wire/types.js";

function canConnect(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection({ path });
    s.once("connect", () => {
      s.destroy();
      resolve(true);
    });
    s.once("error", () => resolve(false));
  });
}

/** Kills the daemon and the per-connection workers it forked (they start their own sessions). */
function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  const r = spawnSync("pgrep", ["-P", String(child.pid)], { encoding: "utf8" });
  const pids = [child.pid, ...(r.stdout ?? "").split("\n").filter(Boolean).map(Number)];
  for (const pid of pids.reverse()) {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

/** A running test daemon. */
export interface TestDaemon {
  /** Its socket path. */
  readonly socket: string;
  /** `unix://` store URL of the socket. */
  readonly store: string;
  /** The process. */
  readonly child: ChildProcess;
  /** Stops it (kills the process group and removes the socket directory). */
  stop(): Promise<void>;
  /** Kills the daemon and its workers at once with SIGKILL (a crash). */
  kill(): void;
}

/**
 * Starts `nix-daemon` listening on a fresh socket; resolves once the socket exists. `args` go
 * to the daemon (`["--store", ROOT]`: a daemon of a chroot store).
 */
export async function startNixDaemon(args: readonly string[] = []): Promise<TestDaemon> {
  const dir = mkdtempSync(join(tmpdir(), "nix-compat-daemon-"));
  const socket = join(dir, "socket");
  const child = spawn("nix-daemon", [...args], {
    env: { ...process.env, NIX_DAEMON_SOCKET_PATH: socket },
    stdio: ["ignore", "ignore", "ignore"],
  });
  const deadline = Date.now() + 10_000;
  while (!existsSync(socket) || !(await canConnect(socket))) {
    if (Date.now() > deadline || child.exitCode !== null) {
      killGroup(child, "SIGKILL");
      throw new Error("nix-daemon did not start");
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  return {
    socket,
    store: `unix://${socket}`,
    child,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once("exit", r));
        killGroup(child, "SIGTERM");
        await Promise.race([exited, new Promise((r) => setTimeout(r, 2000))]);
      }
      killGroup(child, "SIGKILL");
      rmSync(dir, { recursive: true, force: true });
    },
    kill() {
      killGroup(child, "SIGKILL");
    },
  };
}

/** The info of a valid path whose NAR is `nar` (no references, deriver or signatures). */
export function plainPathInfo(path: string, nar: Uint8Array): PathInfo {
  return {
    path,
    deriver: undefined,
    narHash: computeHash("sha256", nar),
    references: [],
    registrationTime: 1,
    narSize: nar.length,
    ultimate: false,
    sigs: [],
    ca: undefined,
  };
}
