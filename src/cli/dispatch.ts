/**
 * What the `nix-compat` executable runs for its arguments: the plain forms of the
 * shortest-running commands (see commands/plain-forms.ts and `runPlainShow` in commands/derivation.ts),
 * else the command tree. Also what tests call to run the CLI in-process.
 *
 * @module
 */

/** Runs the CLI with `argv` (without `node` and the script) and returns the exit code. */
export async function dispatch(argv: readonly string[]): Promise<number> {
  // The plain forms of the shortest-running commands skip the command tree (and commander).
  const plain =
    argv[0] === "nar" || argv[0] === "hash"
      ? await (await import("./commands/plain-forms.js")).runPlainForm(argv)
      : argv[0] === "derivation"
        ? await (await import("./commands/derivation.js")).runPlainShow(argv)
        : undefined;
  return plain ?? (await (await import("./program.js")).runCli(argv));
}
