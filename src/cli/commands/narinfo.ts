/**
 * `nix-compat narinfo ...`: `show`, `verify`, `sign` and `fingerprint` (contract:
 * `docs/cli.md`). A file argument of `-` reads standard input.
 *
 * @module
 */
import { readFile } from "node:fs/promises";
import type { Command } from "commander";
import { parseNarInfo } from "../../narinfo/parse.js";
import { printNarInfo } from "../../narinfo/print.js";
import {
  checkNarInfoSignatures,
  narInfoFingerprint,
  signNarInfo,
} from "../../narinfo/signatures.js";
import type { NarInfo } from "../../narinfo/types.js";
import { narInfoToJson } from "../../narinfo/json.js";
import { type PublicKey, parsePublicKey, parseSecretKey } from "../../signing/keys.js";
import { checkFailed, usageError } from "../errors.js";
import { printLine, readInputText, writeStdout } from "../io.js";

async function readNarInfo(file: string, storeDir: string | undefined): Promise<NarInfo> {
  const text = await readInputText(file);
  return parseNarInfo(text, { file: file === "-" ? "<stdin>" : file, storeDir });
}

/** Splits `--key` values (each may hold several keys separated by whitespace, as in nix.conf). */
export function publicKeysOf(values: readonly string[]): PublicKey[] {
  const keys: PublicKey[] = [];
  for (const v of values)
    for (const k of v.split(/\s+/)) if (k !== "") keys.push(parsePublicKey(k));
  return keys;
}

/** Registers the narinfo commands. */
export function registerNarinfoCommands(program: Command): void {
  const narinfo = program
    .command("narinfo")
    .description("parse, check, sign and fingerprint binary-cache .narinfo files");

  narinfo
    .command("show")
    .description("parse a .narinfo and print it as JSON (every quirk recorded)")
    .argument("<file>", "the .narinfo file, or - for standard input")
    .option("--store-dir <dir>", "store directory of the StorePath", "/nix/store")
    .action(async (file: string, opts: { storeDir: string }) => {
      const info = await readNarInfo(file, opts.storeDir);
      await printLine(JSON.stringify(narInfoToJson(info, { storeDir: opts.storeDir }), null, 2));
    });

  narinfo
    .command("verify")
    .description("exit 0 if a signature by one of the given keys is valid, else 1")
    .option("--key <keys...>", "trusted public key NAME:BASE64 (repeatable)")
    .option("--store-dir <dir>", "store directory of the StorePath", "/nix/store")
    .argument("[file]", "the .narinfo file, or - for standard input")
    .action(async (fileArg: string | undefined, opts: { key?: string[]; storeDir: string }) => {
      const keyArgs = [...(opts.key ?? [])];
      let file = fileArg;
      // `--key A B FILE`: the variadic option swallowed the file name
      if (file === undefined && keyArgs.length >= 2) file = keyArgs.pop();
      if (file === undefined) usageError("narinfo verify: missing the .narinfo file argument");
      if (keyArgs.length === 0) usageError("narinfo verify: give at least one --key NAME:BASE64");
      const keys = publicKeysOf(keyArgs);
      const info = await readNarInfo(file, opts.storeDir);
      const checks = checkNarInfoSignatures(info, keys, { storeDir: opts.storeDir });
      const valid = checks.filter((c) => c.status === "valid");
      if (valid.length === 0) {
        const seen =
          checks.length === 0
            ? "it has no signatures"
            : `its signatures: ${checks.map((c) => `${c.signature.keyName} (${c.status})`).join(", ")}`;
        checkFailed(`${file}: no valid signature by a trusted key (${seen})`);
      }
      for (const c of valid) await printLine(`valid signature by '${c.signature.keyName}'`);
    });

  narinfo
    .command("sign")
    .description("print the .narinfo with one more Sig: line, made with the secret key")
    .requiredOption(
      "--key-file <file>",
      "secret key file as written by nix key generate-secret (- for standard input)",
    )
    .option("--store-dir <dir>", "store directory of the StorePath", "/nix/store")
    .argument("<file>", "the .narinfo file, or - for standard input")
    .action(async (file: string, opts: { keyFile: string; storeDir: string }) => {
      if (opts.keyFile === "-" && file === "-") {
        usageError("narinfo sign: the key file and the .narinfo cannot both be standard input");
      }
      const keyText =
        opts.keyFile === "-" ? await readInputText("-") : await readFile(opts.keyFile, "utf8");
      const secret = parseSecretKey(keyText, {
        file: opts.keyFile === "-" ? "<stdin>" : opts.keyFile,
      });
      const info = await readNarInfo(file, opts.storeDir);
      const signed = signNarInfo(info, secret, { storeDir: opts.storeDir });
      await writeStdout(printNarInfo(signed, { storeDir: opts.storeDir }));
    });

  narinfo
    .command("fingerprint")
    .description("print the fingerprint the signatures sign")
    .option("--store-dir <dir>", "store directory of the StorePath", "/nix/store")
    .argument("<file>", "the .narinfo file, or - for standard input")
    .action(async (file: string, opts: { storeDir: string }) => {
      const info = await readNarInfo(file, opts.storeDir);
      await printLine(narInfoFingerprint(info, { storeDir: opts.storeDir }));
    });
}
