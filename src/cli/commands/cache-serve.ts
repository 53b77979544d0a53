/**
 * `nix-compat cache serve --store STORE --listen HOST:PORT [--secret-key FILE]
 * [--compression METHOD] [--priority N] [--writable]`: serves a store as an HTTP binary cache
 * that Nix copies from (and, with `--writable`, to: into the folder or the daemon's store). STORE is `daemon`,
 * `unix://SOCKET` or `file://DIR`. Prints `listening on http://HOST:PORT` once ready; SIGINT
 * or SIGTERM stop it gracefully (requests under way finish).
 *
 * @module
 */
import * as nodeCrypto from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Command } from "commander";
import { createCacheHandler } from "../../cache/cache-handler.js";
import type { CacheStore } from "../../cache/cache-store.js";
import { createDaemonCacheStore } from "../../cache/daemon-cache-store.js";
import {
  createFileCacheStore,
  fileCacheBlobs,
  removeStaleUploads,
} from "../../cache/node-file-blobs.js";
import { serveWithNode } from "../../cache/node-http-server.js";
import { canRunCompression } from "../../cache/compression.js";
import { COMPRESSION_METHODS, type CompressionMethod } from "../../cache/compression-method.js";
import { installNodeCompression } from "../../cache/node-compression.js";
import { UsageError } from "../../core/errors.js";
import { openDaemonClient } from "../../daemon/node-client.js";
import { parseSecretKey, setEd25519Backend, type SecretKey } from "../../signing/keys.js";
import { nodeCryptoEd25519Backend } from "../../signing/node-crypto.js";
import { printLine } from "../io.js";

/**
 * The compressions this process can serve and check uploads of (both ways), with Node's
 * codecs installed: what `--compression` takes.
 */
export function serverCompressions(): CompressionMethod[] {
  installNodeCompression();
  return COMPRESSION_METHODS.filter(
    (m) => canRunCompression(m, "compress") && canRunCompression(m, "decompress"),
  );
}

/** Options of `cache serve`. */
interface ServeOptions {
  store: string;
  listen: string;
  secretKey?: string;
  compression: string;
  priority?: string;
  writable?: boolean;
  pathInfoTtl?: string;
  checkSigs: boolean;
}

/** `HOST:PORT` (or `[V6]:PORT`) as host and port. */
export function parseListenAddress(text: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(text);
  const port = m === null ? NaN : Number(m[3]);
  if (m === null || port > 65535) {
    throw new UsageError("cache.bad-listen", `--listen '${text}' is not HOST:PORT`);
  }
  return { host: m[1] ?? m[2]!, port };
}

async function openStore(
  url: string,
  opts: ServeOptions,
): Promise<{ store: CacheStore; close: () => Promise<void> }> {
  if (url.startsWith("file://")) {
    const dir = url.slice("file://".length).replace(/\?.*$/, "");
    if (dir === "") throw new UsageError("cache.bad-store", `store '${url}' names no folder`);
    // what abandoned uploads left behind (a client or this server gone half way)
    if (opts.writable) await removeStaleUploads(dir);
    return { store: createFileCacheStore(dir), close: async () => undefined };
  }
  if (url === "daemon" || url.startsWith("unix://")) {
    const ttl = opts.pathInfoTtl === undefined ? undefined : Number(opts.pathInfoTtl);
    if (ttl !== undefined && !(Number.isInteger(ttl) && ttl >= 0)) {
      throw new UsageError(
        "cache.bad-path-info-ttl",
        `--path-info-ttl '${opts.pathInfoTtl}' is not a number of milliseconds`,
      );
    }
    // uploads wait for their narinfo in a folder of this process, removed when it stops
    const staging =
      opts.writable === true
        ? await mkdtemp(join(tmpdir(), "nix-compat-cache-uploads-"))
        : undefined;
    const client = openDaemonClient({ store: url });
    return {
      store: createDaemonCacheStore({
        client,
        pathInfoTtlMs: ttl,
        ...(staging === undefined
          ? {}
          : {
              uploads: { staging: fileCacheBlobs(staging), checkSignatures: opts.checkSigs },
            }),
      }),
      close: async () => {
        client.close();
        if (staging !== undefined) await rm(staging, { recursive: true, force: true });
      },
    };
  }
  throw new UsageError(
    "cache.bad-store",
    `store '${url}' is not supported: use daemon, unix://SOCKET or file://DIR`,
  );
}

async function readSecretKey(file: string): Promise<SecretKey> {
  const text = await readFile(file, "utf8");
  return parseSecretKey(text.trim(), { file });
}

/** Runs the server until SIGINT or SIGTERM. */
async function serve(opts: ServeOptions): Promise<void> {
  const { host, port } = parseListenAddress(opts.listen);
  const compressions = serverCompressions();
  const compression = compressions.find((c) => c === opts.compression);
  if (compression === undefined) {
    throw new UsageError(
      "cache.unknown-compression",
      `--compression '${opts.compression}' is not one of ${compressions.join(", ")} here`,
    );
  }
  const priority = opts.priority === undefined ? undefined : Number(opts.priority);
  if (priority !== undefined && !Number.isInteger(priority)) {
    throw new UsageError("cache.bad-priority", `--priority '${opts.priority}' is not an integer`);
  }
  const secretKey = opts.secretKey === undefined ? undefined : await readSecretKey(opts.secretKey);
  setEd25519Backend(nodeCryptoEd25519Backend(nodeCrypto));
  const { store, close } = await openStore(opts.store, opts);
  if (opts.writable && store.uploads === undefined) {
    await close();
    throw new UsageError("cache.read-only-store", `store '${opts.store}' does not take uploads`);
  }
  const handler = createCacheHandler({
    store,
    secretKey,
    compression,
    priority,
    writable: opts.writable ?? false,
    onError: (err) =>
      process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`),
  });
  const server = await serveWithNode(handler, { host, port });
  await printLine(`listening on ${server.url}`);
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      resolve();
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
  await server.close();
  await close();
}

/** Adds `serve` to the `cache` command group. */
export function registerCacheServeCommand(cache: Command): void {
  cache
    .command("serve")
    .description(
      "serve a store as an HTTP binary cache (what nix copy --from/--to http:// talks to)",
    )
    .requiredOption("--store <store>", "daemon, unix://SOCKET or file://DIR")
    .requiredOption("--listen <host:port>", "address to listen on, e.g. 127.0.0.1:5000")
    .option("--secret-key <file>", "sign every narinfo served with this secret key")
    .option("--compression <method>", "compression of NARs served from a daemon store", "none")
    .option("--priority <n>", "Priority in nix-cache-info")
    .option(
      "--writable",
      "accept uploads (nix copy --to): into the folder, or into the daemon's store (AddToStoreNar)",
    )
    .option(
      "--no-check-sigs",
      "daemon stores: ask the daemon not to check the signatures of uploads (trusted users only)",
    )
    .option(
      "--path-info-ttl <ms>",
      "daemon stores: reuse a path's info this long without asking the daemon (default 1000; 0: never)",
    )
    .action(async (opts: ServeOptions) => serve(opts));
}
