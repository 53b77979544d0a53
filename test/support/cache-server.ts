/**
 * Helpers of the cache server tests: Nix run without blocking the event loop (the server under
 * test runs in the same process), raw HTTP requests (paths sent exactly as written, which
 * `fetch` would normalise), and a unique nonce for fresh store paths.
 */
import { execFile } from "node:child_process";
import { connect } from "node:net";

/** Runs a Nix program asynchronously; rejects with its stderr on failure. */
export function runNixAsync(
  program: string,
  args: readonly string[],
  env: Record<string, string> = {},
): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      program,
      args,
      { env: { ...process.env, ...env }, maxBuffer: 1 << 28, encoding: "utf8" },
      (err, stdout, stderr) => {
        if (err) reject(new Error(`${program} ${args.join(" ")} failed: ${stderr}`));
        else resolve(stdout.trim());
      },
    );
  });
}

/** Sends `text` as is on a new connection to `port` and resolves with all it got back. */
export function rawRequest(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    const chunks: Buffer[] = [];
    socket.on("data", (c) => chunks.push(c));
    // A server refusing a request while the client still sends may reset the connection:
    // what arrived before the reset is the answer (possibly nothing).
    socket.on("error", (e: NodeJS.ErrnoException) =>
      e.code === "ECONNRESET" ? undefined : reject(e),
    );
    socket.on("close", () => resolve(Buffer.concat(chunks).toString("latin1")));
    socket.write(text);
    setTimeout(() => socket.end(), 500).unref();
  });
}

/** A fresh nonce for store path names. */
export function nonce(): string {
  return `${Date.now().toString(36)}${Math.floor(Math.random() * 1e9).toString(36)}`;
}
