/**
 * `nix-compat serve ...`: talk to `nix-store --serve` (what `ssh://` stores speak) run as a
 * subprocess, with the output of `nix path-info --json` and `nix-store --dump` (Nix 2.8).
 *
 * @module
 */
import type { Command } from "commander";
import { NixCompatError } from "../../core/errors.js";
import type { Hash } from "../../core/hash.js";
import type { PathInfo } from "../../daemon/wire/types.js";
import { openServeProcess } from "../../serve/node.js";
import type { ServeSession } from "../../serve/session.js";
import type { ServePathInfo } from "../../serve/wire/types.js";
import { writeStdoutSync } from "../io.js";
import { exportOrder, OutWriter, pathInfoJson, storePathSet, toStorePath } from "./daemon.js";

const COMMAND_HELP = "the server command (default: nix-store --serve --write)";

/** The NAR hash Nix shows for a path whose server sent none: sha256 of zeros. */
const NO_NAR_HASH: Hash = { algorithm: "sha256", digest: new Uint8Array(32) };

/**
 * A serve path info in the worker protocol's shape, for `nix path-info --json`: the serve
 * protocol has no registration time and no `ultimate` flag, so Nix shows neither.
 */
export function servePathInfoAsPathInfo(info: ServePathInfo): PathInfo {
  return {
    path: info.path,
    deriver: info.deriver,
    narHash: info.narHash ?? NO_NAR_HASH,
    references: info.references,
    registrationTime: 0,
    narSize: info.narSize,
    ultimate: false,
    sigs: info.sigs,
    ca: info.ca,
  };
}

async function withServe<T>(
  command: string | undefined,
  fn: (s: ServeSession) => Promise<T>,
): Promise<T> {
  const serve = await openServeProcess({ command });
  try {
    return await fn(serve);
  } finally {
    serve.close();
  }
}

/** Registers this area's commands on `program`. */
export function registerServeCommands(program: Command): void {
  const serve = program
    .command("serve")
    .description("talk to nix-store --serve (the protocol of ssh:// stores) run as a subprocess");

  serve
    .command("path-info")
    .description("query path infos over the serve protocol (nix path-info --store ssh://...)")
    .option("--json", "print JSON, as nix path-info --json")
    .option("--command <cmd>", COMMAND_HELP)
    .argument("<paths...>", "store paths")
    .action(async (args: string[], opts: { json?: boolean; command?: string }) => {
      const paths = storePathSet(args);
      const infos = await withServe(opts.command, (s) => s.queryPathInfos(paths));
      const byPath = new Map(infos.map((i) => [i.path, servePathInfoAsPathInfo(i)]));
      if (opts.json) {
        const list = paths.map((p) => {
          const info = byPath.get(p);
          return info === undefined ? { path: p, valid: false } : pathInfoJson(info);
        });
        writeStdoutSync(Buffer.from(JSON.stringify(list)));
        return;
      }
      const invalid = paths.find((p) => !byPath.has(p));
      if (invalid !== undefined) {
        throw new NixCompatError("serve.invalid-path", `path '${invalid}' is not valid`);
      }
      const order = exportOrder(paths, (p) => byPath.get(p)?.references ?? []);
      writeStdoutSync(Buffer.from(order.map((p) => `${p}\n`).join("")));
    });

  serve
    .command("dump-path")
    .description("fetch a path's NAR over the serve protocol (nix-store --dump)")
    .option("--command <cmd>", COMMAND_HELP)
    .argument("<path>", "store path")
    .action(async (arg: string, opts: { command?: string }) => {
      const path = toStorePath(arg);
      await withServe(opts.command, async (s) => {
        // The server fails on an invalid path (and says so on its stderr): check first.
        if ((await s.queryValidPaths([path])).length === 0) {
          throw new NixCompatError("serve.invalid-path", `path '${path}' is not valid`);
        }
        const out = new OutWriter();
        try {
          for await (const chunk of s.dumpStorePath(path)) out.write(chunk);
        } finally {
          out.flush();
        }
      });
    });
}
