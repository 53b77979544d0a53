/**
 * `nix-compat hash ...`: the `nix hash` commands.
 *
 * @module
 */
import type { Command } from "commander";
import {
  formatDigest,
  formatHash,
  type Hash,
  type HashEncoding,
  parseHash,
} from "../../core/hash.js";
import { checkGitHashAlgorithm } from "../../core/git.js";
import type { HashAlgorithm } from "../../core/hash-algorithm.js";
import { hashStream } from "../../core/hasher.js";
import { hashFileSync } from "../../node/file-hash.js";
import { hashPath } from "../../node/nar-dump.js";
import { usageError } from "../errors.js";
import { openInputStream, printLine } from "../io.js";
import { addEncodingFlags, addHashTypeOption, hashTypeOf } from "../options.js";
import { rawArgumentBytes } from "../raw-arguments.js";

/** Prints a hash as `nix hash` does: SRI with prefix, other encodings as the bare digest. */
export function printHashAs(hash: Hash, encoding: HashEncoding): string {
  return encoding === "sri" ? formatHash(hash, "sri") : formatDigest(hash, encoding);
}

/** Registers `hash file`, `hash path` and `hash to-*`. */
export function registerHashCommands(program: Command): void {
  const hash = program.command("hash").description("compute and convert cryptographic hashes");

  for (const [kind, what] of [
    ["file", "print cryptographic hash of a regular file"],
    ["path", "print cryptographic hash of the NAR serialisation of a path"],
  ] as const) {
    const cmd = hash.command(kind).description(what).argument("<paths...>");
    addHashTypeOption(cmd, "sha256");
    if (kind === "path") {
      cmd.option(
        "--mode <mode>",
        "how to hash: 'nar' (the NAR serialisation, default), 'flat' (a file's bytes) or 'git' (the git blob or tree object id; --type sha1 or sha256)",
        "nar",
      );
    }
    const encoding = addEncodingFlags(cmd, "sri");
    cmd.action(async (paths: string[], opts: { type: string; mode?: string }) => {
      const algorithm = hashTypeOf(opts.type) as HashAlgorithm;
      const mode = kind === "file" ? "flat" : (opts.mode ?? "nar");
      if (mode !== "nar" && mode !== "flat" && mode !== "git") {
        usageError(`unknown file ingestion method '${mode}', expected 'nar', 'flat' or 'git'`);
      }
      const git = mode === "git" ? await import("../../node/git-hash.js") : undefined;
      for (const path of paths) {
        const digest =
          git !== undefined
            ? git.gitHashPath(rawArgumentBytes(path), checkGitHashAlgorithm(algorithm))
            : mode === "nar"
              ? await hashPath(rawArgumentBytes(path), algorithm)
              : path === "-"
                ? await hashStream(algorithm, openInputStream(path))
                : hashFileSync(algorithm, rawArgumentBytes(path));
        await printLine(printHashAs({ algorithm, digest }, encoding()));
      }
    });
  }

  for (const [target, enc] of [
    ["to-base16", "base16"],
    ["to-base32", "nix32"],
    ["to-base64", "base64"],
    ["to-sri", "sri"],
  ] as const) {
    const cmd = hash
      .command(target)
      .description(`convert hashes to ${target.slice(3)} format`)
      .argument("<hashes...>");
    addHashTypeOption(cmd);
    cmd.action(async (hashes: string[], opts: { type?: string }) => {
      const algorithm = hashTypeOf(opts.type);
      for (const text of hashes) {
        const parsed = parseHash(text, algorithm === undefined ? {} : { algorithm });
        await printLine(printHashAs(parsed, enc));
      }
    });
  }
}
