/**
 * Nix's rules on NAR contents that do not depend on the grammar machinery: the magic, the
 * limits and the checks on names, targets and entry order. Shared by the declarative grammar
 * (`nar-grammar.ts`) and the writers.
 *
 * @module
 */
import type { Problem } from "../codecs/codec.js";
import { compareBytes, utf8Text } from "../codecs/wire-bytes.js";

/** The magic string a NAR starts with. */
export const NAR_MAGIC = "nix-archive-1";
/** Maximum length of an entry name in bytes (Linux `NAME_MAX`); limit name `nar.name`. */
export const NAR_MAX_NAME_LENGTH = 255;
/** Maximum length of a symlink target in bytes (`PATH_MAX - 1`); limit name `nar.target`. */
export const NAR_MAX_TARGET_LENGTH = 4095;
/** Maximum size of a regular file's contents; limit name `nar.contents`. */
export const NAR_MAX_CONTENTS_SIZE = Number.MAX_SAFE_INTEGER;
/**
 * Maximum directory nesting depth; limit name `codec.depth`. Far above real trees: Nix dumps
 * paths through full file names, so `PATH_MAX` (4096) keeps what `nix-store --dump` can write
 * below about 2048 levels. Every reader and writer walks a NAR without recursion on the
 * JavaScript stack, so any depth within the limit is read.
 */
export const NAR_MAX_DEPTH = 8192;

/** Checks an entry name given as bytes; returns the problem, if any. */
export function checkNarName(name: Uint8Array): Problem | undefined {
  const bad =
    name.length === 0 ||
    (name.length === 1 && name[0] === 0x2e) ||
    (name.length === 2 && name[0] === 0x2e && name[1] === 0x2e) ||
    name.includes(0x2f) ||
    name.includes(0);
  if (!bad) return undefined;
  return {
    code: "nar.invalid-name",
    detail: `NAR contains invalid file name ${JSON.stringify(utf8Text(name))}`,
  };
}

/** Checks a symlink target given as bytes. */
export function checkNarTarget(target: Uint8Array): Problem | undefined {
  if (target.length === 0) return { code: "nar.invalid-target", detail: "symlink target is empty" };
  if (target.includes(0)) {
    return {
      code: "nar.invalid-target",
      detail: `symlink target ${JSON.stringify(utf8Text(target))} contains NUL`,
    };
  }
  return undefined;
}

/** Checks that `next` may follow `prev` in a directory (strictly increasing as bytes). */
export function checkNarOrder(prev: Uint8Array, next: Uint8Array): Problem | undefined {
  const c = compareBytes(prev, next);
  if (c < 0) return undefined;
  if (c === 0) {
    return {
      code: "nar.duplicate-entry",
      detail: `NAR directory contains duplicate entry ${JSON.stringify(utf8Text(next))}`,
    };
  }
  return {
    code: "nar.unsorted-entries",
    detail: `NAR directory is not sorted: ${JSON.stringify(utf8Text(next))} after ${JSON.stringify(utf8Text(prev))}`,
  };
}
