/**
 * Payloads: framed byte strings that may be large (file contents, embedded blobs).
 *
 * The synchronous decoder returns a `Uint8Array` view of the input. The streaming decoder does
 * not read the bytes: it hands out a {@link PayloadHandle} whose `stream` the consumer reads
 * (or ignores) before decoding goes on; whatever is left is skipped and the padding checked.
 * Memory stays bounded whatever the size.
 *
 * @module
 */
import type { ByteStreamInput } from "../core/byte-stream.js";
import { type Codec, typed } from "./codec.js";
import { DEFAULT_MAX_PAYLOAD, limit } from "./limits.js";

/** A payload met by the streaming decoder. */
export interface PayloadHandle {
  /** Size in bytes. */
  readonly size: number;
  /** Offset of the first content byte in the input. */
  readonly offset: number;
  /**
   * The content as chunks (views valid until the next chunk is requested). Readable once, and
   * only until decoding continues.
   */
  readonly stream: AsyncIterable<Uint8Array>;
}

/** A payload to encode: bytes, or a size with the chunks that make it up. */
export type PayloadSource =
  | Uint8Array
  | {
      readonly size: number;
      /** Bytes, chunks (synchronous or not) or a `ReadableStream` (see `byteChunks`). */
      readonly stream: ByteStreamInput;
    };

/** A framed payload of at most `max` bytes (default: any safe integer). */
export function payload(
  rule = "codec.payload",
  options: { max?: number; limitName?: string } = {},
): Codec<Uint8Array | PayloadHandle> {
  return typed({
    kind: "payload",
    rule,
    limit: limit(options.limitName ?? rule, options.max ?? DEFAULT_MAX_PAYLOAD),
  });
}
