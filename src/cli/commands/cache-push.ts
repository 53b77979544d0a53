/**
 * `nix-compat cache push URL PATH... [--store STORE] [--compression METHOD]
 * [--secret-key FILE] [--header 'NAME: VALUE']...`: uploads store paths to a writable HTTP
 * binary cache (ours, on a Worker or in Node), NARs larger than a request in parts (contract:
 * `docs/cli.md`). For each path not in the cache yet: its info and NAR from the daemon, the
 * NAR checked against the daemon's NarHash/NarSize and compressed into a temporary file
 * (FileHash/FileSize), the file uploaded (in parts when the server offers them, else one
 * PUT), then the narinfo, signed when a key is given. The server checks the NAR against the
 * narinfo before anything becomes visible.
 *
 * @module
 */
import * as nodeCrypto from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdtemp, open, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Command } from "commander";
import { fetchNarInfo, openBinaryCache } from "../../cache/binary-cache.js";
import { uploadNarFile, uploadNarInfo } from "../../cache/cache-upload-client.js";
import { compress } from "../../cache/compression.js";
import {
  COMPRESSION_METHODS,
  compressionExtension,
  type CompressionMethod,
} from "../../cache/compression-method.js";
import { narInfoOfPathInfo } from "../../cache/daemon-cache-store.js";
import { installNodeCompression } from "../../cache/node-compression.js";
import { NixCompatError, quoteInput, UsageError } from "../../core/errors.js";
import { formatHash, hashEquals, makeHash } from "../../core/hash.js";
import { createHasher } from "../../core/hasher.js";
import { nixbase32Encode } from "../../core/nixbase32.js";
import { parseStorePath } from "../../core/store-path.js";
import type { DaemonClient } from "../../daemon/client.js";
import { openDaemonClient } from "../../daemon/node-client.js";
import { signNarInfo } from "../../narinfo/signatures.js";
import type { NarInfo } from "../../narinfo/types.js";
import { parseSecretKey, setEd25519Backend, type SecretKey } from "../../signing/keys.js";
import { nodeCryptoEd25519Backend } from "../../signing/node-crypto.js";
import { printLine } from "../io.js";
import { storePathSet } from "./daemon.js";

interface PushOptions {
  store: string;
  compression: string;
  secretKey?: string;
  header?: string[];
}

/** `NAME: VALUE` arguments as headers. */
function headersOf(args: readonly string[]): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const arg of args) {
    const colon = arg.indexOf(":");
    if (colon <= 0)
      throw new UsageError("cache.bad-header", `--header ${quoteInput(arg)} is not NAME: VALUE`);
    headers[arg.slice(0, colon).trim().toLowerCase()] = arg.slice(colon + 1).trim();
  }
  return headers;
}

/** The NAR of `path`, compressed into `file`: its FileHash and FileSize; NarHash checked. */
async function compressedNar(
  client: DaemonClient,
  path: string,
  expected: { narHash: ReturnType<typeof makeHash>; narSize: number },
  method: CompressionMethod,
  file: string,
) {
  const narHasher = createHasher("sha256");
  let narSize = 0;
  async function* nar() {
    for await (const chunk of client.narFromPath(path)) {
      narHasher.update(chunk);
      narSize += chunk.length;
      yield chunk;
    }
  }
  const fileHasher = createHasher("sha256");
  let fileSize = 0;
  const out = await open(file, "w");
  try {
    for await (const chunk of compress(method, nar())) {
      fileHasher.update(chunk);
      fileSize += chunk.length;
      await out.write(chunk);
    }
  } finally {
    await out.close();
  }
  const narHash = makeHash("sha256", narHasher.digest());
  if (narSize !== expected.narSize || !hashEquals(narHash, expected.narHash)) {
    throw new NixCompatError(
      "cache.nar-hash-mismatch",
      `the daemon's NAR of ${path} is ${formatHash(narHash, "sri")} (${narSize} bytes), not ` +
        `${formatHash(expected.narHash, "sri")} (${expected.narSize} bytes)`,
    );
  }
  return { fileHash: makeHash("sha256", fileHasher.digest()), fileSize };
}

async function push(url: string, args: string[], opts: PushOptions): Promise<void> {
  const method = COMPRESSION_METHODS.find((m) => m === opts.compression);
  if (method === undefined) {
    throw new UsageError(
      "cache.unknown-compression",
      `--compression '${opts.compression}' is not one of ${COMPRESSION_METHODS.join(", ")}`,
    );
  }
  let secretKey: SecretKey | undefined;
  if (opts.secretKey !== undefined) {
    secretKey = parseSecretKey((await readFile(opts.secretKey, "utf8")).trim(), {
      file: opts.secretKey,
    });
    setEd25519Backend(nodeCryptoEd25519Backend(nodeCrypto));
  }
  const headers = headersOf(opts.header ?? []);
  installNodeCompression();
  const storeDir = process.env.NIX_STORE_DIR ?? "/nix/store";
  let cache;
  try {
    cache = openBinaryCache(url, { storeDir });
  } catch {
    throw new UsageError("cache.bad-url", `cache push: ${quoteInput(url)} is not a URL`);
  }
  if (!["http:", "https:"].includes(new URL(cache.url).protocol))
    throw new UsageError("cache.bad-url", `cache push: ${quoteInput(url)} is not http(s)://`);
  const client = openDaemonClient({ store: opts.store });
  const dir = await mkdtemp(join(tmpdir(), "nix-compat-push-"));
  try {
    for (const path of storePathSet(args)) {
      const hashPart = parseStorePath(path, { storeDir }).hash;
      if ((await fetchNarInfo(cache, hashPart)) !== undefined) {
        await printLine(`${path}: already in the cache`);
        continue;
      }
      const found = await client.queryPathInfo(path);
      if (found === undefined)
        throw new NixCompatError("cache.invalid-path", `path ${quoteInput(path)} is not valid`);
      const tmp = join(dir, hashPart);
      const { fileHash, fileSize } = await compressedNar(client, path, found, method, tmp);
      const file = `${nixbase32Encode(fileHash.digest)}.nar${compressionExtension(method)}`;
      const sent = await uploadNarFile(cache, file, createReadStream(tmp), { headers });
      await rm(tmp);
      let info: NarInfo = {
        ...narInfoOfPathInfo(found, storeDir),
        url: `nar/${file}`,
        compression: method,
        fileHash,
        fileSize,
      };
      if (secretKey !== undefined) info = signNarInfo(info, secretKey);
      await uploadNarInfo(cache, info, { headers });
      const how =
        sent.parts === 0 ? "in one request" : `in ${sent.parts} part${sent.parts === 1 ? "" : "s"}`;
      await printLine(`${path}: pushed ${fileSize} bytes (${method}) ${how}`);
    }
  } finally {
    client.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/** Adds `push` to the `cache` command group. */
export function registerCachePushCommand(cache: Command): void {
  cache
    .command("push")
    .description(
      "upload store paths from the daemon to a writable HTTP binary cache (large NARs in parts)",
    )
    .argument("<url>", "the cache URL (http:// or https://)")
    .argument("<paths...>", "store paths")
    .option("--store <store>", "where the paths are: daemon or unix://SOCKET", "daemon")
    .option("--compression <method>", `NAR compression (${COMPRESSION_METHODS.join(", ")})`, "xz")
    .option("--secret-key <file>", "sign the narinfos with this secret key")
    .option("--header <header...>", "send 'NAME: VALUE' with every request (repeatable)")
    .action(async (url: string, paths: string[], opts: PushOptions) => push(url, paths, opts));
}
