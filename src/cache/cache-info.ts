/**
 * `nix-cache-info`, the file at the root of a binary cache:
 *
 * ```text
 * file     = *line
 * line     = key ":" value "\n"     ; key and value trimmed of spaces
 * StoreDir: /nix/store             ; the store directory of the cache's paths
 * WantMassQuery: 1                 ; "1": clients may query many paths at once
 * Priority: 40                     ; lower is preferred among substituters
 * ```
 *
 * As Nix reads it, a line without `:` is skipped and unknown keys are kept but not used.
 *
 * @module
 */
import { quoteInput } from "../core/errors.js";
import { CacheInfoError } from "./errors.js";

/** What a `nix-cache-info` says. */
export interface CacheInfo {
  /** `StoreDir`, or `undefined` when absent (Nix then assumes its own store directory). */
  readonly storeDir: string | undefined;
  /** `WantMassQuery: 1`. */
  readonly wantMassQuery: boolean;
  /** `Priority`, if given. */
  readonly priority: number | undefined;
  /** Every `key: value` line, in order (the known ones too). */
  readonly fields: readonly { readonly key: string; readonly value: string }[];
}

/** The largest `nix-cache-info` read (Nix's own are under 100 bytes). */
export const MAX_CACHE_INFO_SIZE = 64 * 1024;

/** Parses a `nix-cache-info` file (see the module comment). */
export function parseCacheInfo(text: string, options: { file?: string } = {}): CacheInfo {
  if (text.length > MAX_CACHE_INFO_SIZE) {
    throw new CacheInfoError(
      "cache.malformed-cache-info",
      `nix-cache-info is larger than ${MAX_CACHE_INFO_SIZE} bytes`,
      { file: options.file },
    );
  }
  const fields: { key: string; value: string }[] = [];
  let storeDir: string | undefined;
  let wantMassQuery = false;
  let priority: number | undefined;
  text.split("\n").forEach((line, i) => {
    const colon = line.indexOf(":");
    if (colon < 0) return;
    const key = line.slice(0, colon).trim();
    const value = line.slice(colon + 1).trim();
    fields.push({ key, value });
    if (key === "StoreDir") storeDir = value;
    else if (key === "WantMassQuery") wantMassQuery = value === "1";
    else if (key === "Priority") {
      if (!/^[0-9]{1,9}$/.test(value)) {
        throw new CacheInfoError(
          "cache.malformed-cache-info",
          `Priority is not a number: ${quoteInput(value)}`,
          { file: options.file, line: i + 1 },
        );
      }
      priority = Number(value);
    }
  });
  return { storeDir, wantMassQuery, priority, fields };
}
