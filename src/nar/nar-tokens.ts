/**
 * The NAR tokens framed once, and the fixed byte runs of each node's header: derived from the
 * token texts of the declaration (`NAR_TOKEN_TEXT` in `nar-grammar.ts`), for the writers that
 * emit a NAR from a walk (`createNarWriter`, the dump).
 *
 * @module
 */
import { concatBytes, framedBytes, utf8Bytes } from "../codecs/wire-bytes.js";
import { NAR_TOKEN_TEXT } from "./nar-grammar.js";

type TokenName = keyof typeof NAR_TOKEN_TEXT;

/** Precomputed framings of the NAR tokens (from the declaration's `NAR_TOKEN_TEXT`). */
export const NAR_TOKENS: { readonly [K in TokenName]: Uint8Array } = Object.fromEntries(
  Object.entries(NAR_TOKEN_TEXT).map(([name, text]) => [name, framedBytes(utf8Bytes(text))]),
) as { [K in TokenName]: Uint8Array };

const run = (...names: TokenName[]) => concatBytes(names.map((n) => NAR_TOKENS[n]));

/** Header bytes of each node type, from `(` to just before the variable part. */
export const NAR_HEADERS = {
  /** `nix-archive-1` */
  magic: NAR_TOKENS.magic,
  /** `( type regular contents` then u64 size */
  regular: run("open", "type", "regular", "contents"),
  /** `( type regular executable "" contents` then u64 size */
  executable: run("open", "type", "regular", "executable", "empty", "contents"),
  /** `( type symlink target` then the target string */
  symlink: run("open", "type", "symlink", "target"),
  /** `( type directory` */
  directory: run("open", "type", "directory"),
  /** `entry ( name` then the name string */
  entry: run("entry", "open", "name"),
  /** `node` */
  node: NAR_TOKENS.node,
  /** `)` */
  close: NAR_TOKENS.close,
} as const;
