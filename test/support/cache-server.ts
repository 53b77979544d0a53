/**
 * Helpers of the cache server tests: Nix run without blocking the event loop (the server under
 * test runs in the same process), raw HTTP requests (paths sent exactly as written, which
 * `fetch` would normalise), a unique nonce for fresh store paths, uploads made up for tests, and the teardown of a server over a daemon.
 */
import { execFile } from "node:child_process";
import { rmSync } from "node:fs";
import { connect } from "node:net";
import { computeHash, formatDigest } from "../../src/core/hash.js";
import { nixbase32Encode } from "../../src/core/nixbase32.js";
import { encodeNar } from "../../src/nar/writer.js";

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

/**
 * An upload as `nix copy --to http://` sends it: the NAR of a file holding `contents`, its
 * name (`<nix32 sha256>.nar`) and its narinfo for `storePath` (fields overridable).
 */
export function narUpload(contents: string, storePath: string) {
  const nar = encodeNar({
    type: "regular",
    executable: false,
    contents: new TextEncoder().encode(contents),
  });
  const fileHash = nixbase32Encode(computeHash("sha256", nar).digest);
  const narHash = formatDigest(computeHash("sha256", nar), "nix32");
  const file = `${fileHash}.nar`;
  const narinfo = (over: Record<string, string> = {}) =>
    Object.entries({
      StorePath: storePath,
      URL: `nar/${file}`,
      Compression: "none",
      FileHash: `sha256:${fileHash}`,
      FileSize: String(nar.length),
      NarHash: `sha256:${narHash}`,
      NarSize: String(nar.length),
      References: "",
      ...over,
    })
      .map(([k, v]) => `${k}: ${v}\n`)
      .join("");
  return { nar: nar as Uint8Array<ArrayBuffer>, file, narinfo };
}

/** Stops what a cache server test started (each may be undefined when setup failed). */
export async function stopCacheServer(parts: {
  server?: { close(graceMs?: number): Promise<void> };
  client?: { close(): void };
  daemon?: { stop(): Promise<void> };
  dir?: string;
}): Promise<void> {
  await parts.server?.close(1000);
  parts.client?.close();
  await parts.daemon?.stop();
  if (parts.dir !== undefined) rmSync(parts.dir, { recursive: true, force: true });
}
