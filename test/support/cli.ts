/**
 * Runs the built `nix-compat` CLI (`dist/cli/main.js`, built by `npm test`'s pretest step)
 * as a child process, the way users run it.
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { REPO_ROOT } from "./fixtures.js";

/** Path of the built CLI entry point. */
export const CLI_PATH = join(REPO_ROOT, "dist", "cli", "main.js");

/** Result of one CLI run. */
export interface CliResult {
  status: number | null;
  stdout: Buffer;
  stdoutText: string;
  stderr: string;
}

/** Runs `nix-compat ARGS...`, optionally feeding `input` on stdin. */
export function runCli(
  args: readonly string[],
  options: { input?: Uint8Array | string; cwd?: string; env?: Record<string, string> } = {},
): CliResult {
  const r = spawnSync(process.execPath, [CLI_PATH, ...args], {
    input: options.input,
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    maxBuffer: 1 << 30,
  });
  return {
    status: r.status,
    stdout: r.stdout,
    stdoutText: r.stdout.toString("utf8"),
    stderr: r.stderr.toString("utf8"),
  };
}
