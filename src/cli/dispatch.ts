/**
 * What the `nix-compat` executable runs for its arguments: the fast paths of the
 * shortest-running commands (see commands/fast.ts and `runFastShow` in commands/derivation.ts),
 * else the command tree. Also what tests call to run the CLI in-process.
 *
 * @module
 */

/** Runs the CLI with `argv` (without `node` and the script) and returns the exit code. */
export async function dispatch(argv: readonly string[]): Promise<number> {
  // The plain forms of the shortest-running commands skip the command tree (and commander).
  const fast =
    argv[0] === "nar" || argv[0] === "hash"
      ? await (await import("./commands/fast.js")).runFast(argv)
      : argv[0] === "derivation"
        ? await (await import("./commands/derivation.js")).runFastShow(argv)
        : undefined;
  return fast ?? (await (await import("./program.js")).runCli(argv));
}
