#!/usr/bin/env node
/**
 * Entry point of the `nix-compat` executable.
 *
 * @module
 */
import nodeModule from "node:module";

// Node 22.1+ caches the compiled code of the modules loaded below (on disk, in Node's own
// cache folder; NODE_DISABLE_COMPILE_CACHE turns it off): a faster start from the second run.
// Older Node has no such function and starts as before.
try {
  (nodeModule as { enableCompileCache?: () => unknown }).enableCompileCache?.();
} catch {
  // a cache that cannot be set up only costs speed
}

const argv = process.argv.slice(2);
// The plain forms of the shortest-running commands skip the command tree (and commander):
// see commands/fast.ts and runFastShow in commands/derivation.ts.
const fast =
  argv[0] === "nar" || argv[0] === "hash"
    ? await (await import("./commands/fast.js")).runFast(argv)
    : argv[0] === "derivation"
      ? await (await import("./commands/derivation.js")).runFastShow(argv)
      : undefined;
process.exitCode = fast ?? (await (await import("./program.js")).runCli(argv));
