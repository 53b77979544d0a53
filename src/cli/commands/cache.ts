/**
 * `nix-compat cache ...`: HTTP binary caches. Minimal registration by the server helper; the
 * client commands (info, path-info, dump-path, verify) are added beside `serve`.
 *
 * @module
 */
import type { Command } from "commander";
import { registerCacheServeCommand } from "./cache-serve.js";

/** Registers the `cache` commands. */
export function registerCacheCommands(program: Command): void {
  const cache = program.command("cache").description("serve and read HTTP binary caches");
  registerCacheServeCommand(cache);
}
