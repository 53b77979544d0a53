/**
 * The `nix-compat` command tree: one module per area registers its commands here.
 *
 * @module
 */
import { Command, CommanderError } from "commander";
import { installNodeHashing } from "../node/hash-backend.js";
import { registerDaemonCommands } from "./commands/daemon.js";
import { registerDerivationCommands } from "./commands/derivation.js";
import { registerHashCommands } from "./commands/hash.js";
import { registerKeyCommands } from "./commands/key.js";
import { registerNarCommands } from "./commands/nar.js";
import { registerNarinfoCommands } from "./commands/narinfo.js";
import { registerStorePathCommands } from "./commands/store-path.js";
import { reportError } from "./errors.js";
import { PACKAGE_VERSION } from "./version.js";

/** Builds the command tree. */
export function buildProgram(): Command {
  const program = new Command("nix-compat")
    .description("Read and write the formats Nix speaks, byte for byte as C++ Nix does.")
    .version(PACKAGE_VERSION, "--version", "print the package version")
    .exitOverride()
    .showHelpAfterError("(run with --help for usage)");
  registerHashCommands(program);
  registerStorePathCommands(program);
  registerNarCommands(program);
  registerDerivationCommands(program);
  registerNarinfoCommands(program);
  registerKeyCommands(program);
  registerDaemonCommands(program);
  return program;
}

/** Runs the CLI with `argv` (without `node` and the script) and returns the exit code. */
export async function runCli(argv: readonly string[]): Promise<number> {
  installNodeHashing();
  const program = buildProgram();
  if (argv.length === 0) {
    program.outputHelp();
    return 2;
  }
  try {
    await program.parseAsync([...argv], { from: "user" });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (
        err.code === "commander.helpDisplayed" ||
        err.code === "commander.version" ||
        err.code === "commander.help"
      ) {
        return 0;
      }
      return 2;
    }
    return reportError(err);
  }
}
