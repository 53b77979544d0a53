/**
 * How the CLI turns failures into exit codes: `error: ...` on stderr, exit 1 for invalid
 * input or a failed check, exit 2 for bad usage (the contract in `docs/cli.md`).
 *
 * @module
 */
import { isNixCompatError, UsageError } from "../core/errors.js";

/** Thrown by a command to exit with a given code after printing a message (or nothing). */
export class CliExit extends Error {
  constructor(
    readonly exitCode: number,
    message = "",
  ) {
    super(message);
  }
}

/** Exit with code 2 and a usage message. */
export function usageError(message: string): never {
  throw new UsageError("cli.usage", message);
}

/** Exit 1 with no message beyond what the command already printed (e.g. a failed check). */
export function checkFailed(message = ""): never {
  throw new CliExit(1, message);
}

/** Maps any thrown value to an exit code and writes the diagnostic to stderr. */
export function reportError(err: unknown): number {
  if (err instanceof CliExit) {
    if (err.message) process.stderr.write(`error: ${err.message}\n`);
    return err.exitCode;
  }
  if (err instanceof UsageError) {
    process.stderr.write(`error: ${err.message}\n`);
    return 2;
  }
  if (isNixCompatError(err)) {
    process.stderr.write(`error: ${err.message}\n`);
    return 1;
  }
  const e = err as NodeJS.ErrnoException;
  if (e && typeof e === "object" && typeof e.code === "string" && "syscall" in e) {
    process.stderr.write(`error: ${e.message}\n`);
    return 1;
  }
  process.stderr.write(`error: internal error: ${(err as Error)?.stack ?? String(err)}\n`);
  return 1;
}
