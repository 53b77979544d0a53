/**
 * `nix-compat key ...`: `generate-secret` and `convert-secret-to-public`, printing exactly
 * what `nix key generate-secret` / `nix key convert-secret-to-public` print (no newline).
 *
 * @module
 */
import type { Command } from "commander";
import {
  formatPublicKey,
  formatSecretKey,
  generateSecretKey,
  parseSecretKey,
  publicKeyOf,
} from "../../signing/keys.js";
import { readInputText, writeStdout } from "../io.js";

/** Registers the key commands. */
export function registerKeyCommands(program: Command): void {
  const key = program.command("key").description("generate and convert Nix signing keys");

  key
    .command("generate-secret")
    .description("print a new ed25519 secret key NAME:BASE64")
    .requiredOption("--key-name <name>", "identifier of the key (e.g. cache.example.org-1)")
    .action(async (opts: { keyName: string }) => {
      await writeStdout(formatSecretKey(generateSecretKey(opts.keyName)));
    });

  key
    .command("convert-secret-to-public")
    .description("read a secret key on standard input, print its public key")
    .action(async () => {
      const secret = parseSecretKey(await readInputText("-"), { file: "<stdin>" });
      await writeStdout(formatPublicKey(publicKeyOf(secret)));
    });
}
