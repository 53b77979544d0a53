/**
 * Runs the `nix-compat` CLI inside the test process (from `src/`, no build, no child
 * process): `dispatch` of `src/cli/dispatch.ts`, as `src/cli/main.ts` runs it, with standard
 * output, standard error and standard input swapped for buffers for the length of one run. A spawn costs 0.1-0.7 s on a loaded
 * machine; a run here costs what the command costs, so tests can drive thousands of inputs.
 *
 * Runs are serialised (the swap is process-wide). Commands that read descriptor 0
 * synchronously (`nar restore`, `nar ls|cat -`) cannot be fed here: use `runCli` (cli.ts).
 */
import fs from "node:fs";
import { syncBuiltinESMExports } from "node:module";
import { Readable } from "node:stream";
import { dispatch } from "../../src/cli/dispatch.js";

/** Result of one in-process run. */
export interface InProcessResult {
  /** Exit status, or `null` when the run did not finish within the timeout. */
  readonly status: number | null;
  readonly stdout: Buffer;
  readonly stderr: string;
  /** Wall-clock milliseconds the run took. */
  readonly ms: number;
}

/** Options of {@link runCliInProcess}. */
export interface InProcessOptions {
  /** Bytes on standard input (for `-` arguments and `key convert-secret-to-public`). */
  readonly input?: Uint8Array | string;
  /** A run still going after this many milliseconds counts as hung (status `null`). */
  readonly timeoutMs?: number;
}

/** Captured output kept at most (a run writing more is cut; the length is still counted). */
const MAX_CAPTURE = 1 << 24;

let queue: Promise<unknown> = Promise.resolve();

/** Runs `nix-compat ARGS...` in this process; never throws for what the command does. */
export function runCliInProcess(
  args: readonly string[],
  options: InProcessOptions = {},
): Promise<InProcessResult> {
  const run = queue.then(() => runOnce(args, options));
  queue = run.catch(() => undefined);
  return run;
}

async function runOnce(
  args: readonly string[],
  options: InProcessOptions,
): Promise<InProcessResult> {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  let outLength = 0;
  const keep = (sink: Buffer[], chunk: unknown, encoding?: unknown): void => {
    const b =
      typeof chunk === "string"
        ? Buffer.from(chunk, typeof encoding === "string" ? (encoding as BufferEncoding) : "utf8")
        : Buffer.from(chunk as Uint8Array);
    outLength += b.length;
    if (outLength <= MAX_CAPTURE) sink.push(b);
  };
  const writer =
    (sink: Buffer[]) =>
    (chunk: unknown, encoding?: unknown, cb?: unknown): boolean => {
      keep(sink, chunk, encoding);
      const done = typeof encoding === "function" ? encoding : cb;
      if (typeof done === "function") queueMicrotask(() => (done as () => void)());
      return true;
    };
  const saved = {
    out: process.stdout.write,
    err: process.stderr.write,
    writeSync: fs.writeSync,
    stdin: Object.getOwnPropertyDescriptor(process, "stdin")!,
  };
  process.stdout.write = writer(out) as typeof process.stdout.write;
  process.stderr.write = writer(err) as typeof process.stderr.write;
  fs.writeSync = ((fd: number, buffer: unknown, ...rest: unknown[]): number => {
    if (fd !== 1 && fd !== 2)
      return (saved.writeSync as (...a: unknown[]) => number)(fd, buffer, ...rest);
    const bytes =
      typeof buffer === "string"
        ? Buffer.from(buffer)
        : Buffer.from(buffer as Uint8Array).subarray(
            (rest[0] as number | undefined) ?? 0,
            rest[1] === undefined ? undefined : ((rest[0] as number) ?? 0) + (rest[1] as number),
          );
    keep(fd === 1 ? out : err, bytes);
    return bytes.length;
  }) as typeof fs.writeSync;
  syncBuiltinESMExports();
  const input = options.input === undefined ? [] : [Buffer.from(options.input)];
  Object.defineProperty(process, "stdin", {
    value: Readable.from(input),
    configurable: true,
    writable: true,
  });
  const start = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    const status = await Promise.race([
      dispatch(args).catch((e: unknown) => {
        keep(err, `uncaught: ${(e as Error)?.stack ?? String(e)}\n`);
        return 1;
      }),
      new Promise<null>((resolve) => {
        timer = setTimeout(() => resolve(null), options.timeoutMs ?? 10_000);
      }),
    ]);
    return {
      status,
      stdout: Buffer.concat(out),
      stderr: Buffer.concat(err).toString("utf8"),
      ms: performance.now() - start,
    };
  } finally {
    clearTimeout(timer);
    process.stdout.write = saved.out;
    process.stderr.write = saved.err;
    fs.writeSync = saved.writeSync;
    syncBuiltinESMExports();
    Object.defineProperty(process, "stdin", saved.stdin);
  }
}

/**
 * Why a run's result breaks the hostile-input contract of `docs/cli.md` (exit 1 or 2 with a
 * one-line `error:` and no stack trace), or `undefined` when it keeps it. `okAllowed`: exit 0
 * is fine too (a mutated input may still be valid).
 */
export function contractBreach(
  r: { status: number | null; stderr: string },
  okAllowed = false,
): string | undefined {
  if (r.status === null) return "no exit within the timeout";
  if (/internal error|uncaught:|^\s+at /m.test(r.stderr)) return "stack trace / internal error";
  if (r.status === 0) return okAllowed ? undefined : "exit 0 on invalid input";
  if (r.status !== 1 && r.status !== 2) return `exit status ${r.status}`;
  if (!/^error: /m.test(r.stderr)) return "no 'error:' on stderr";
  return undefined;
}
