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
    process.stderr.write(`error: ${describeSystemError(e)}\n`);
    return 1;
  }
  process.stderr.write(`error: internal error: ${(err as Error)?.stack ?? String(err)}\n`);
  return 1;
}

/** The C library's `strerror` texts Nix prints, for the errors a command meets most. */
const STRERROR: Readonly<Record<string, string>> = {
  ENOENT: "No such file or directory",
  EACCES: "Permission denied",
  EPERM: "Operation not permitted",
  ENOTDIR: "Not a directory",
  EISDIR: "Is a directory",
  ELOOP: "Too many levels of symbolic links",
  ENAMETOOLONG: "File name too long",
  EEXIST: "File exists",
  ENOSPC: "No space left on device",
  EROFS: "Read-only file system",
  EMFILE: "Too many open files",
  EIO: "Input/output error",
};

/** What Nix says it was doing when each system call failed (libutil's messages). */
const DOING: Readonly<Record<string, string>> = {
  lstat: "getting status of",
  stat: "getting status of",
  open: "opening file",
  readlink: "reading symbolic link",
  scandir: "opening directory",
  opendir: "opening directory",
  mkdir: "creating directory",
  symlink: "creating symlink",
};

/**
 * A failed system call as Nix reports it: `getting status of '/x': No such file or
 * directory` (not Node's `ENOENT: no such file or directory, lstat '/x'`).
 */
export function describeSystemError(e: NodeJS.ErrnoException): string {
  const reason =
    STRERROR[e.code ?? ""] ??
    (e.message.replace(/^[A-Z0-9_]+: /, "").replace(/, \w+( '.*')?$/, "") || String(e.code));
  const what = reason.charAt(0).toUpperCase() + reason.slice(1);
  const doing = DOING[e.syscall ?? ""];
  if (e.path === undefined)
    return `${e.syscall === "read" ? "reading from file" : (e.syscall ?? "system call")}: ${what}`;
  return `${doing ?? e.syscall} '${e.path}': ${what}`;
}
