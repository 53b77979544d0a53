/**
 * The NAR tokens, framed once: for the hand-written fast paths (dump, writers) that assemble
 * NAR bytes without the codec machinery.
 *
 * @module
 */
import { concatBytes, framedBytes, utf8Bytes } from "../codecs/wire-bytes.js";
import { NAR_MAGIC } from "./nar-rules.js";

const t = (s: string) => framedBytes(utf8Bytes(s));
/** Precomputed framings of the NAR tokens, for hand-written fast paths. */
export const NAR_TOKENS = {
  magic: t(NAR_MAGIC),
  open: t("("),
  close: t(")"),
  type: t("type"),
  regular: t("regular"),
  executable: t("executable"),
  empty: t(""),
  contents: t("contents"),
  symlink: t("symlink"),
  target: t("target"),
  directory: t("directory"),
  entry: t("entry"),
  name: t("name"),
  node: t("node"),
} as const;

/** Header bytes of each node type, from `(` to just before the variable part. */
export const NAR_HEADERS = {
  /** `nix-archive-1` */
  magic: NAR_TOKENS.magic,
  /** `( type regular contents` then u64 size */
  regular: concatBytes([NAR_TOKENS.open, NAR_TOKENS.type, NAR_TOKENS.regular, NAR_TOKENS.contents]),
  /** `( type regular executable "" contents` then u64 size */
  executable: concatBytes([
    NAR_TOKENS.open,
    NAR_TOKENS.type,
    NAR_TOKENS.regular,
    NAR_TOKENS.executable,
    NAR_TOKENS.empty,
    NAR_TOKENS.contents,
  ]),
  /** `( type symlink target` then the target string */
  symlink: concatBytes([NAR_TOKENS.open, NAR_TOKENS.type, NAR_TOKENS.symlink, NAR_TOKENS.target]),
  /** `( type directory` */
  directory: concatBytes([NAR_TOKENS.open, NAR_TOKENS.type, NAR_TOKENS.directory]),
  /** `entry ( name` then the name string */
  entry: concatBytes([NAR_TOKENS.entry, NAR_TOKENS.open, NAR_TOKENS.name]),
  /** `node` */
  node: NAR_TOKENS.node,
  /** `)` */
  close: NAR_TOKENS.close,
} as const;
