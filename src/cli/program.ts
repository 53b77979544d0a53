/**
 * The `nix-compat` command tree: one module per area registers its commands here.
 *
 * Start-up time matters (Nix's own commands start in milliseconds), so an area's module is
 * imported only when its command is run; `--help` at the top loads them all.
 *
 * @module
 */
import { Command, CommanderError } from "commander";
import { installNodeHashing } from "../node/hash-backend.js";
import { reportError } from "./errors.js";
import { PACKAGE_VERSION } from "./version.js";

type Register = (program: Command) => void;

/** Each top-level command word and the module that registers it. */
const AREAS: Record<string, () => Promise<Register>> = {
  hash: async () => (await import("./commands/hash.js")).registerHashCommands,
  "store-path": async () => (await import("./commands/store-path.js")).registerStorePathCommands,
  nar: async () => (await import("./commands/nar.js")).registerNarCommands,
  derivation: async () => (await import("./commands/derivation.js")).registerDerivationCommands,
  narinfo: async () => (await import("./commands/narinfo.js")).registerNarinfoCommands,
  key: async () => (await import("./commands/key.js")).registerKeyCommands,
  daemon: async () => (await import("./commands/daemon.js")).registerDaemonCommands,
  "export-paths": async () => (await import("./commands/daemon.js")).registerDaemonCommands,
  "import-paths": async () => (await import("./commands/daemon.js")).registerDaemonCommands,
  serve: async () => (await import("./commands/serve.js")).registerServeCommands,
  cache: async () => (await import("./commands/cache.js")).registerCacheCommands,
};

/** Builds the command tree, loading only the areas named (all when `only` is undefined). */
export async function buildProgram(only?: string): Promise<Command> {
  const program = new Command("nix-compat")
    .description("Read and write the formats Nix speaks, byte for byte as C++ Nix does.")
    .version(PACKAGE_VERSION, "--version", "print the package version")
    .exitOverride()
    .showHelpAfterError("(run with --help for usage)");
  const loaders =
    only !== undefined && AREAS[only] ? [AREAS[only]] : [...new Set(Object.values(AREAS))];
  const registered = new Set<Register>();
  for (const load of loaders) {
    const register = await load();
    if (registered.has(register)) continue;
    registered.add(register);
    register(program);
  }
  return program;
}

/** Runs the CLI with `argv` (without `node` and the script) and returns the exit code. */
export async function runCli(argv: readonly string[]): Promise<number> {
  installNodeHashing();
  const program = await buildProgram(argv[0]);
  if (argv.length === 0) {
    program.outputHelp({ error: true });
    return 2;
  }
  try {
    await program.parseAsync([...argv], { from: "user" });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === "commander.helpDisplayed" || err.code === "commander.version") return 0;
      // a group without a subcommand (`nix-compat nar`): its help went to stderr; bad usage
      if (err.code === "commander.help") return err.exitCode === 0 ? 0 : 2;
      return 2;
    }
    return reportError(err);
  }
}
