/**
 * The compression methods of binary caches, as written in a narinfo's `Compression` field
 * and in `?compression=` of a store URL: `none`, `xz`, `zstd`, `bzip2`, `br`.
 *
 * A narinfo without `Compression` means `bzip2` (see `effectiveCompression` in
 * `nix-compat/narinfo`).
 *
 * @module
 */
import { quoteInput } from "../core/errors.js";
import { CompressionUnsupportedError } from "./errors.js";

/** A compression method of NAR files in binary caches. */
export type CompressionMethod = "none" | "xz" | "zstd" | "bzip2" | "br";

/** Every {@link CompressionMethod}, in the order Nix's documentation lists them. */
export const COMPRESSION_METHODS: readonly CompressionMethod[] = [
  "none",
  "xz",
  "bzip2",
  "zstd",
  "br",
];

/** True when `text` names a {@link CompressionMethod}. */
export function isCompressionMethod(text: string): text is CompressionMethod {
  return (COMPRESSION_METHODS as readonly string[]).includes(text);
}

/**
 * `text` as a {@link CompressionMethod}; anything else is a {@link CompressionUnsupportedError}
 * `cache.unknown-compression`.
 */
export function parseCompressionMethod(text: string): CompressionMethod {
  if (isCompressionMethod(text)) return text;
  throw new CompressionUnsupportedError(
    "cache.unknown-compression",
    `unknown compression method ${quoteInput(text)} (known: ${COMPRESSION_METHODS.join(", ")})`,
  );
}

/**
 * The file-name extension Nix gives a NAR compressed with `method` (`nar/<hash>.nar` plus
 * this): `""`, `".xz"`, `".zst"`, `".bz2"`, `".br"`.
 */
export function compressionExtension(method: CompressionMethod): string {
  switch (method) {
    case "none":
      return "";
    case "xz":
      return ".xz";
    case "zstd":
      return ".zst";
    case "bzip2":
      return ".bz2";
    case "br":
      return ".br";
  }
}
