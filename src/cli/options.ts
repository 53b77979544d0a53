/**
 * Option helpers shared by commands that mirror Nix's flags.
 *
 * @module
 */
import { type Command, Option } from "commander";
import { quoteInput } from "../core/errors.js";
import type { HashEncoding } from "../core/hash.js";
import { HASH_ALGORITHMS, type HashAlgorithm, isHashAlgorithm } from "../core/hash-algorithm.js";
import { usageError } from "./errors.js";

/** Adds `--type T` (md5, sha1, sha256, sha512, blake3). */
export function addHashTypeOption(cmd: Command, defaultValue?: HashAlgorithm): Command {
  const opt = new Option(
    "--type <hash-algo>",
    "hash algorithm ('md5', 'sha1', 'sha256', 'sha512', or 'blake3')",
  );
  if (defaultValue) opt.default(defaultValue);
  return cmd.addOption(opt);
}

/** Reads and checks `--type`. */
export function hashTypeOf(value: unknown): HashAlgorithm | undefined {
  if (value === undefined) return undefined;
  const s = String(value);
  if (!isHashAlgorithm(s))
    usageError(
      `unknown hash algorithm ${quoteInput(s)}, expected one of ${HASH_ALGORITHMS.join(", ")}`,
    );
  return s;
}

/**
 * Adds Nix's `--base16/--base32/--base64/--sri` flags; the last one given wins, as in Nix.
 * Returns a getter for the chosen encoding.
 */
export function addEncodingFlags(cmd: Command, defaultEncoding: HashEncoding): () => HashEncoding {
  let chosen: HashEncoding = defaultEncoding;
  const flags: [string, HashEncoding, string][] = [
    ["base16", "base16", "Print the hash in base-16 format."],
    ["base32", "nix32", "Print the hash in base-32 (Nix-specific) format."],
    ["base64", "base64", "Print the hash in base-64 format."],
    ["sri", "sri", "Print the hash in SRI format."],
  ];
  for (const [flag, enc, help] of flags) {
    cmd.option(`--${flag}`, help);
    cmd.on(`option:${flag}`, () => {
      chosen = enc;
    });
  }
  return () => chosen;
}
