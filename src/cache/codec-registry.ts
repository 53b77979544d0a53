/**
 * Which code decompresses and compresses each {@link CompressionMethod}: the portable codecs
 * built in, and those a runtime adapter (`installNodeCompression` in `nix-compat/cache/node`)
 * or the application installs in their place (e.g. a WASM brotli where neither
 * `DecompressionStream("brotli")` nor `node:zlib` exists).
 *
 * @module
 */
import type { CompressionMethod } from "./compression-method.js";
import type { ByteTransform } from "./web-streams.js";

/** Options of compression. */
export interface CompressOptions {
  /** The codec's level (xz 0-9, zstd 1-19, brotli 0-11); each codec's default when absent. */
  readonly level?: number;
}

/**
 * The code behind one compression method. Either half may be absent (this runtime cannot do
 * it). Codecs throw what their library throws; {@link decompress} and {@link compress} turn
 * that into typed errors.
 */
export interface CompressionCodec {
  /** Compressed chunks in, plain chunks out; reads no further than it needs. */
  readonly decompress?: ByteTransform;
  /** Plain chunks in, compressed chunks out. */
  readonly compress?: (
    input: AsyncIterable<Uint8Array>,
    options: CompressOptions,
  ) => AsyncIterable<Uint8Array>;
  /**
   * Tells, for an error the decoder threw after its whole input was read, whether the
   * input was cut short (rather than corrupt). Without it, any such error counts as truncation.
   */
  readonly truncation?: (error: unknown) => boolean;
  /** What the codec runs on, for messages and the bench (e.g. `"fzstd (JavaScript)"`). */
  readonly name: string;
}

const installed = new Map<CompressionMethod, CompressionCodec>();

/**
 * Uses `codec` for `method` from now on, in this realm: its halves replace those of the
 * built-in codec (a half it lacks stays the built-in one). `undefined` goes back to the
 * built-in codec.
 */
export function setCompressionCodec(
  method: CompressionMethod,
  codec: CompressionCodec | undefined,
): void {
  if (codec === undefined) installed.delete(method);
  else installed.set(method, codec);
}

/** The codec installed for `method` with {@link setCompressionCodec}, if any. */
export function installedCompressionCodec(method: CompressionMethod): CompressionCodec | undefined {
  return installed.get(method);
}
