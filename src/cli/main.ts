#!/usr/bin/env node
/**
 * Entry point of the `nix-compat` executable.
 *
 * @module
 */

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
