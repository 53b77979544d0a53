/**
 * How the cache server compresses the NARs it serves and reads back the NARs uploaded to it:
 * one small interface per method, so the handler stays free of any codec. `none` is built in;
 * the other methods come from `nix-compat/cache`'s compression module.
 *
 * @module
 */

/** A compression method as the server uses it. */
export interface ServerCompression {
  /** Its name in a narinfo's `Compression` line (`none`, `xz`, `zstd`, `bzip2`, `br`). */
  readonly name: string;
  /** A stream that compresses the bytes written to it. */
  compress(): ReadableWritablePair<Uint8Array, Uint8Array>;
  /** A stream that decompresses the bytes written to it. */
  decompress(): ReadableWritablePair<Uint8Array, Uint8Array>;
}

/** The file extension Nix gives a NAR compressed with `method` (`.nar` + this). */
export function compressionExtension(method: string): string {
  switch (method) {
    case "none":
      return "";
    case "xz":
      return ".xz";
    case "bzip2":
      return ".bz2";
    case "zstd":
      return ".zst";
    case "br":
      return ".br";
    case "lzip":
      return ".lzip";
    case "lz4":
      return ".lz4";
    default:
      return `.${method}`;
  }
}

/** `none`: bytes pass through unchanged. */
export const NO_COMPRESSION: ServerCompression = {
  name: "none",
  compress: () => new TransformStream<Uint8Array, Uint8Array>(),
  decompress: () => new TransformStream<Uint8Array, Uint8Array>(),
};
