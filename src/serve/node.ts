/**
 * Node-only adapter of the serve-protocol client (`nix-compat/serve/node`): runs a server
 * process (by default `nix-store --serve --write`, or `ssh HOST nix-store --serve`) and speaks
 * the protocol over its standard input and output. What it writes on its standard error is kept
 * and becomes the message of the error when it fails.
 *
 * ```ts
 * import { openServeProcess } from "nix-compat/serve/node";
 * const serve = await openServeProcess();                 // nix-store --serve --write
 * const [info] = await serve.queryPathInfos(["/nix/store/...-hello"]);
 * for await (const chunk of serve.dumpStorePath(info.path)) process.stdout.write(chunk);
 * serve.close();
 * ```
 *
 * @module
 */
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import type { Transport } from "../daemon/session.js";
import { ServeConnectionError, ServeRemoteError } from "./errors.js";
import { ServeSession, type ServeSessionOptions } from "./session.js";

/** The command run when none is given. */
export const DEFAULT_SERVE_COMMAND: readonly string[] = ["nix-store", "--serve", "--write"];
/** Bytes of the server's standard error kept for error messages (the last ones): 64 KiB. */
export const SERVE_STDERR_KEEP_BYTES = 64 << 10;
/** Milliseconds a server may take to exit after its input ends before it is killed: 10 s. */
export const SERVE_EXIT_GRACE_MS = 10_000;

/** Options of {@link spawnServeTransport} and {@link openServeProcess}. */
export interface ServeProcessOptions extends ServeSessionOptions {
  /**
   * The server command: an argument vector, or a string split at whitespace (as Nix splits
   * its `remote-program`). Default {@link DEFAULT_SERVE_COMMAND}.
   */
  readonly command?: readonly string[] | string;
  /** Milliseconds to wait for the server's next bytes before failing (default 0: forever). */
  readonly timeoutMs?: number;
  /** Environment of the server process (default: this process's). */
  readonly env?: NodeJS.ProcessEnv;
}

/** The argument vector of a command given as a string or a vector. */
export function serveCommandArgv(command: readonly string[] | string | undefined): string[] {
  if (command === undefined) return [...DEFAULT_SERVE_COMMAND];
  const argv =
    typeof command === "string" ? command.split(/\s+/).filter((w) => w !== "") : [...command];
  if (argv.length === 0)
    throw new ServeConnectionError("serve.empty-command", "the serve command is empty");
  return argv;
}

/** What the server said on its standard error, as an error message (without `error: `). */
function remoteMessage(stderr: string): string {
  const text = stderr.replace(/\x1b\[[0-9;]*[A-Za-z]/g, "").trim();
  return text.replace(/^error: /, "");
}

/** A running server process as a {@link Transport}, with a promise of how it ended. */
export function spawnServeTransport(
  options: ServeProcessOptions = {},
): Transport & { readonly child: ChildProcessWithoutNullStreams; readonly exited: Promise<void> } {
  const argv = serveCommandArgv(options.command);
  const name = argv.join(" ");
  const child = spawn(argv[0]!, argv.slice(1), {
    stdio: ["pipe", "pipe", "pipe"],
    env: options.env ?? process.env,
  });
  let stderr = "";
  child.stderr.setEncoding("utf8");
  child.stderr.on("data", (s: string) => {
    stderr = (stderr + s).slice(-SERVE_STDERR_KEEP_BYTES);
  });
  let spawnError: Error | undefined;
  let closedByUs = false;
  const exited = new Promise<void>((resolve) => {
    child.once("error", (err) => {
      spawnError = err;
      resolve();
    });
    child.once("close", () => resolve());
  });
  // A server that exits early breaks the pipe: the reason is on its stderr, reported on read.
  child.stdin.on("error", () => undefined);

  /** Why the connection ended, once the process is gone. */
  const endError = async (): Promise<Error> => {
    await exited;
    if (spawnError !== undefined) {
      return new ServeConnectionError(
        "serve.spawn-failed",
        `cannot run '${name}': ${spawnError.message}`,
        { cause: spawnError },
      );
    }
    const said = remoteMessage(stderr);
    if (said !== "") return new ServeRemoteError("serve.remote-failed", said);
    const how =
      child.exitCode !== null ? `exit status ${child.exitCode}` : `signal ${child.signalCode}`;
    return new ServeConnectionError(
      closedByUs ? "serve.connection-closed" : "serve.connection-lost",
      `'${name}' ended the connection (${how})`,
    );
  };

  const chunks = child.stdout[Symbol.asyncIterator]() as AsyncIterator<Uint8Array>;
  const timeoutMs = options.timeoutMs ?? 0;
  const nextChunk = async (): Promise<Uint8Array> => {
    const r = await chunks.next();
    if (r.done) throw await endError();
    return r.value;
  };

  return {
    child,
    exited,
    source: {
      next(): Promise<Uint8Array> {
        if (timeoutMs <= 0) return nextChunk();
        return new Promise<Uint8Array>((resolve, reject) => {
          const timer = setTimeout(() => {
            child.kill();
            reject(
              new ServeConnectionError(
                "serve.timeout",
                `'${name}' sent nothing for ${timeoutMs} ms`,
              ),
            );
          }, timeoutMs);
          nextChunk().then(
            (c) => {
              clearTimeout(timer);
              resolve(c);
            },
            (e: unknown) => {
              clearTimeout(timer);
              reject(e);
            },
          );
        });
      },
    },
    async write(bytes: Uint8Array): Promise<void> {
      if (child.stdin.destroyed || child.stdin.writableEnded || child.exitCode !== null) {
        throw await endError();
      }
      if (child.stdin.write(bytes)) return;
      await new Promise<void>((resolve, reject) => {
        const onDrain = () => {
          child.off("close", onClose);
          resolve();
        };
        const onClose = () => {
          child.stdin.off("drain", onDrain);
          endError().then(reject, reject);
        };
        child.stdin.once("drain", onDrain);
        child.once("close", onClose);
      });
    },
    close(): void {
      if (closedByUs) return;
      closedByUs = true;
      child.stdin.end();
      const timer = setTimeout(() => child.kill(), SERVE_EXIT_GRACE_MS);
      timer.unref();
      void exited.then(() => clearTimeout(timer));
    },
  };
}

/** Starts a server process and performs the handshake. Close the session when done. */
export async function openServeProcess(options: ServeProcessOptions = {}): Promise<ServeSession> {
  return ServeSession.open(spawnServeTransport(options), options);
}
