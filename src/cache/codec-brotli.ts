/**
 * brotli through the runtime's own `DecompressionStream("brotli")` and
 * `CompressionStream("brotli")`, where it has them (the Compression Streams standard names
 * the format; engines are adding it). Node's `node:zlib` has brotli, and
 * `installNodeCompression` uses it. Elsewhere, install a codec with `setCompressionCodec`.
 *
 * @module
 */
import type { CompressionCodec } from "./codec-registry.js";
import { throughPair } from "./web-streams.js";

type StreamConstructor = new (format: string) => ReadableWritablePair<Uint8Array, Uint8Array>;

/** True when `constructor` exists and accepts `"brotli"`. */
function brotliStreams(
  name: "DecompressionStream" | "CompressionStream",
): StreamConstructor | undefined {
  const ctor = (globalThis as Record<string, unknown>)[name] as StreamConstructor | undefined;
  if (typeof ctor !== "function") return undefined;
  try {
    new ctor("brotli");
    return ctor;
  } catch {
    return undefined;
  }
}

let memo: CompressionCodec | undefined;

/**
 * The runtime's brotli codec: each half present only where the runtime has it (looked up on
 * the first call).
 */
export function runtimeBrotliCodec(): CompressionCodec {
  if (memo !== undefined) return memo;
  const Decompression = brotliStreams("DecompressionStream");
  const Compression = brotliStreams("CompressionStream");
  memo = {
    name: "Compression Streams (runtime)",
    ...(Decompression && {
      decompress: (input: AsyncIterable<Uint8Array>) =>
        throughPair(input, new Decompression("brotli")),
    }),
    ...(Compression && {
      compress: (input: AsyncIterable<Uint8Array>) => throughPair(input, new Compression("brotli")),
    }),
  };
  return memo;
}
