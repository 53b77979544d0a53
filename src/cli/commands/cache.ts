/**
 * `nix-compat cache ...`: read binary caches over `http(s)://` and `file://` (contract:
 * `docs/cli.md`): `info`, `path-info`, `dump-path`, `verify`. `cache serve` and `cache push`
 * are registered here by their own modules.
 *
 * @module
 */
import type { Command } from "commander";
import { NixCompatError, quoteInput } from "../../core/errors.js";
import { parseStorePath } from "../../core/store-path.js";
import type { NarInfo } from "../../narinfo/types.js";
import { narInfoToNix28PathInfoJson } from "../../schemas/path-info.js";
import type { PublicKey } from "../../signing/keys.js";
import {
  type BinaryCache,
  fetchCacheInfo,
  fetchNarInfo,
  openBinaryCache,
  requireTrustedSignature,
} from "../../cache/binary-cache.js";
import { fetchNar } from "../../cache/checked-nar.js";
import { installNodeCompression } from "../../cache/node-compression.js";
import { fileFetch } from "../../cache/node-file-fetch.js";
import { checkFailed, usageError } from "../errors.js";
import { printLine, writeStdoutSync } from "../io.js";
import { registerCachePushCommand } from "./cache-push.js";
import { registerCacheServeCommand } from "./cache-serve.js";
import { storePathSet } from "./daemon.js";
import { publicKeysOf } from "./narinfo.js";

function open(url: string, keys?: readonly PublicKey[]): BinaryCache {
  installNodeCompression();
  let cache: BinaryCache;
  try {
    cache = openBinaryCache(url, {
      fetch: fileFetch,
      storeDir: process.env.NIX_STORE_DIR ?? "/nix/store",
      ...(keys && { trustedKeys: keys }),
    });
  } catch (err) {
    if (err instanceof TypeError) usageError(`cache: ${quoteInput(url)} is not a URL`);
    throw err;
  }
  if (!["http:", "https:", "file:"].includes(new URL(cache.url).protocol)) {
    usageError(
      `cache: ${quoteInput(url)}: only http://, https:// and file:// caches are supported`,
    );
  }
  return cache;
}

const hashPart = (path: string, storeDir: string) => parseStorePath(path, { storeDir }).hash;

async function requireNarInfo(cache: BinaryCache, path: string): Promise<NarInfo> {
  const info = await fetchNarInfo(cache, hashPart(path, cache.storeDir));
  if (info === undefined)
    throw new NixCompatError("cache.invalid-path", `path ${quoteInput(path)} is not valid`);
  return info;
}

/** Registers the cache commands. */
export function registerCacheCommands(program: Command): void {
  const cache = program
    .command("cache")
    .description("serve and read binary caches (http://, https://, file://)");
  registerCacheServeCommand(cache);
  registerCachePushCommand(cache);

  cache
    .command("info")
    .description("print a binary cache's nix-cache-info as JSON")
    .argument("<url>", "the cache URL")
    .action(async (url: string) => {
      const info = await fetchCacheInfo(open(url));
      await printLine(
        JSON.stringify(
          {
            storeDir: info.storeDir ?? null,
            wantMassQuery: info.wantMassQuery,
            priority: info.priority ?? null,
          },
          null,
          2,
        ),
      );
    });

  cache
    .command("path-info")
    .description("print the paths' infos from the cache (nix path-info --store URL)")
    .option("--json", "print JSON, as nix path-info --json")
    .argument("<url>", "the cache URL")
    .argument("<paths...>", "store paths")
    .action(async (url: string, args: string[], opts: { json?: boolean }) => {
      const c = open(url);
      const paths = storePathSet(args);
      const infos = await Promise.all(paths.map((p) => fetchNarInfo(c, hashPart(p, c.storeDir))));
      if (opts.json) {
        const list = paths.map((p, i) => {
          const info = infos[i];
          return info === undefined
            ? { path: p, valid: false }
            : narInfoToNix28PathInfoJson(info, { storeDir: c.storeDir });
        });
        writeStdoutSync(Buffer.from(JSON.stringify(list)));
        return;
      }
      const missing = paths.find((_, i) => infos[i] === undefined);
      if (missing !== undefined) {
        throw new NixCompatError("cache.invalid-path", `path ${quoteInput(missing)} is not valid`);
      }
      for (const p of paths) await printLine(p);
    });

  cache
    .command("dump-path")
    .description("write the path's NAR, decompressed and checked against its narinfo, to stdout")
    .argument("<url>", "the cache URL")
    .argument("<path>", "a store path")
    .action(async (url: string, path: string) => {
      const c = open(url);
      const [p] = storePathSet([path]);
      const info = await requireNarInfo(c, p!);
      for await (const chunk of fetchNar(c, info)) writeStdoutSync(chunk);
    });

  cache
    .command("verify")
    .description(
      "check that each path's narinfo is signed by a trusted key and its NAR matches it; exit 1 if not",
    )
    .argument("<url>", "the cache URL")
    .argument("[paths...]", "store paths")
    .option("--key <keys...>", "trusted public key NAME:BASE64 (repeatable)")
    .action(async (url: string, args: string[], opts: { key?: string[] }) => {
      const keyArgs = [...(opts.key ?? [])];
      // `--key A B PATH`: the variadic option swallowed store paths
      while (keyArgs.length > 0 && keyArgs[keyArgs.length - 1]!.startsWith("/"))
        args.push(keyArgs.pop()!);
      if (keyArgs.length === 0) usageError("cache verify: give at least one --key NAME:BASE64");
      if (args.length === 0) usageError("cache verify: give at least one store path");
      const c = open(url);
      const keys = publicKeysOf(keyArgs);
      let failed = 0;
      for (const p of storePathSet(args)) {
        try {
          const info = await requireNarInfo(c, p);
          requireTrustedSignature(info, keys, c.storeDir, p);
          for await (const chunk of fetchNar(c, info)) void chunk;
          await printLine(`${p}: ok`);
        } catch (err) {
          if (!(err instanceof NixCompatError)) throw err;
          failed++;
          process.stderr.write(`error: ${p}: ${err.message}\n`);
        }
      }
      if (failed > 0) checkFailed(`${failed} path${failed === 1 ? "" : "s"} failed verification`);
    });
}
