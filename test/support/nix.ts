/**
 * Conformance harness: finds real Nix, runs it on temporary inputs, and lets tests skip
 * visibly where it is absent.
 *
 * Usage in a test file:
 *
 * ```ts
 * import { describeWithNix, nix, withTempDir } from "../support/nix.js";
 * describeWithNix("hash file agrees with nix", () => {
 *   it("...", () => { const out = nix(["hash", "file", path]); ... });
 * });
 * ```
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe } from "vitest";
import { nixbase32Encode } from "../../src/core/nixbase32.js";

function probeNix(): string | undefined {
  const r = spawnSync("nix", ["--version"], { encoding: "utf8" });
  if (r.status !== 0) return undefined;
  return r.stdout.trim();
}

/** `nix --version` output, or undefined when real Nix is not installed. */
export const nixVersion: string | undefined = probeNix();

/** True when real Nix can be asked. */
export const hasNix = nixVersion !== undefined;

let warned = false;

/**
 * `describe` for conformance tests: runs the block against real Nix, or registers it as
 * skipped with a message on stderr saying why.
 */
export function describeWithNix(name: string, fn: () => void): void {
  if (!hasNix && !warned) {
    warned = true;
    process.stderr.write(
      "\n*** Real Nix is not installed: conformance tests are SKIPPED. " +
        "Install it with `apt-get install -y nix-bin` (see README). ***\n\n",
    );
  }
  describe.skipIf(!hasNix)(`${name} [real Nix${nixVersion ? `: ${nixVersion}` : ""}]`, fn);
}

/** Options for running a Nix command. */
export interface RunOptions {
  /** Bytes to write on standard input. */
  input?: Uint8Array | string;
  /** Working directory. */
  cwd?: string;
  /** Extra environment variables. */
  env?: Record<string, string>;
}

/** Runs a Nix program (`nix`, `nix-store`, `nix-hash`, ...) and returns its stdout as bytes; throws on failure with stderr in the message. */
export function runNixBytes(
  program: string,
  args: readonly string[],
  options: RunOptions = {},
): Buffer {
  try {
    return execFileSync(program, args, {
      input: options.input,
      cwd: options.cwd,
      env: { ...process.env, ...options.env },
      maxBuffer: 1 << 30,
      stdio: ["pipe", "pipe", "pipe"],
    });
  } catch (err) {
    const e = err as { stderr?: Buffer; status?: number };
    throw new Error(
      `${program} ${args.join(" ")} failed (exit ${e.status}): ${e.stderr?.toString() ?? ""}`,
    );
  }
}

/** Runs `nix ARGS...` and returns stdout as trimmed text. */
export function nix(args: readonly string[], options: RunOptions = {}): string {
  return runNixBytes("nix", args, options).toString("utf8").trim();
}

/** Runs any Nix program and returns stdout as trimmed text. */
export function runNix(program: string, args: readonly string[], options: RunOptions = {}): string {
  return runNixBytes(program, args, options).toString("utf8").trim();
}

/** Runs `fn` with a fresh temporary directory that is removed afterwards. */
export function withTempDir<T>(fn: (dir: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), "nix-compat-test-"));
  try {
    return fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Async version of {@link withTempDir}. */
export async function withTempDirAsync<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), "nix-compat-test-"));
  try {
    return await fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Number of fast-check runs for conformance properties (each run starts Nix processes). */
export const CONFORMANCE_RUNS = Number(process.env.NIX_COMPAT_CONFORMANCE_RUNS ?? 25);

/** A random store-path hash part (32 nix32 characters), for paths no store holds yet. */
export function randomHashPart(): string {
  const b = new Uint8Array(20);
  crypto.getRandomValues(b);
  return nixbase32Encode(b);
}
