/**
 * `nix-compat store-path ...`: store path computations without a store.
 *
 * @module
 */
import { lstat } from "node:fs/promises";
import { basename, resolve } from "node:path";
import type { Command } from "commander";
import { checkGitHashAlgorithm } from "../../core/git.js";
import type { HashAlgorithm } from "../../core/hash-algorithm.js";
import { DEFAULT_STORE_DIR, storePathToAbsolute } from "../../core/store-path.js";
import { makeFixedOutputPath } from "../../core/store-path-compute.js";
import { hashFileSync } from "../../node/file-hash.js";
import { hashPath } from "../../node/nar-dump.js";
import { checkFailed, usageError } from "../errors.js";
import { printLine } from "../io.js";
import { addHashTypeOption, hashTypeOf } from "../options.js";
import { rawArgumentBytes } from "../raw-arguments.js";

/** Registers `store-path add`. */
export function registerStorePathCommands(program: Command): void {
  const sp = program.command("store-path").description("compute store paths without a store");
  const add = sp
    .command("add")
    .description(
      "print the store path that adding PATH to the store would give (nix-store --add / --add-fixed)",
    )
    .argument("<path>")
    .option("--name <name>", "the name of the store path (default: the base name of PATH)")
    .option(
      "--flat",
      "hash the file's contents (nix-store --add-fixed) instead of its NAR serialisation",
    )
    .option(
      "--mode <mode>",
      "file ingestion method: 'nar' (default), 'flat' (as --flat) or 'git' (modern Nix's git hashing; --type sha1 or sha256)",
    )
    .option("--store-dir <dir>", "the store directory", DEFAULT_STORE_DIR);
  addHashTypeOption(add, "sha256");
  add.action(
    async (
      path: string,
      opts: { name?: string; flat?: boolean; mode?: string; type: string; storeDir: string },
    ) => {
      const algorithm = hashTypeOf(opts.type) as HashAlgorithm;
      const mode = opts.mode ?? (opts.flat ? "flat" : "nar");
      if ((mode !== "nar" && mode !== "flat" && mode !== "git") || (opts.flat && mode !== "flat")) {
        usageError(`unknown or conflicting --mode '${mode}', expected 'nar', 'flat' or 'git'`);
      }
      const name = opts.name ?? basename(resolve(path));
      // the file itself by its exact bytes (a name that is not UTF-8 still names a file; it
      // is not a valid store path name, so such a path needs --name)
      const file = rawArgumentBytes(path);
      let digest: Uint8Array;
      if (mode === "flat") {
        const st = await lstat(file);
        if (!st.isFile()) checkFailed(`'${path}' is not a regular file; --flat needs one`);
        digest = hashFileSync(algorithm, file);
      } else if (mode === "git") {
        const { gitHashPath } = await import("../../node/git-hash.js");
        digest = gitHashPath(file, checkGitHashAlgorithm(algorithm));
      } else {
        digest = await hashPath(file, algorithm);
      }
      const storePath = makeFixedOutputPath(
        name,
        { method: mode, hash: { algorithm, digest } },
        [],
        { storeDir: opts.storeDir },
      );
      await printLine(storePathToAbsolute(storePath, opts.storeDir));
    },
  );
}
