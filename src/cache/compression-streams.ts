/**
 * Web-stream forms of {@link decompress} and {@link compress}: `{ writable, readable }` pairs
 * for `ReadableStream.pipeThrough`, e.g.
 * `response.body.pipeThrough(decompressionStream("xz"))`.
 *
 * @module
 */
import type { CompressOptions } from "./codec-registry.js";
import { compress, type DecompressOptions, decompress } from "./compression.js";
import type { CompressionMethod } from "./compression-method.js";
import { transformPairOf } from "./web-streams.js";

/** A Web-stream pair that decompresses what is written to it (see {@link decompress}). */
export function decompressionStream(
  method: CompressionMethod | string,
  options: DecompressOptions = {},
): ReadableWritablePair<Uint8Array, Uint8Array> {
  return transformPairOf((input) => decompress(method, input, options));
}

/** A Web-stream pair that compresses what is written to it (see {@link compress}). */
export function compressionStream(
  method: CompressionMethod | string,
  options: CompressOptions = {},
): ReadableWritablePair<Uint8Array, Uint8Array> {
  return transformPairOf((input) => compress(method, input, options));
}
