/**
 * Framed data streams: how protocol ≥ 1.23 sends a NAR of unknown length inside a request
 * (`AddToStoreNar`, `AddMultipleToStore`).
 *
 * ```text
 * framed = { frame } , u64 0
 * frame  = u64 n (n > 0), n raw bytes        (no padding)
 * ```
 *
 * The frame header is the DSL's u64 codec ({@link frameHeader}); the body is raw bytes of the
 * length just read, which the DSL cannot declare (its byte strings are padded), so the readers
 * here take them straight from the {@link ByteReader}.
 *
 * @module
 */
import type { ByteReader } from "../../codecs/byte-reader.js";
import type { Codec } from "../../codecs/codec.js";
import { decodeAsync } from "../../codecs/decode-stream.js";
import { encode } from "../../codecs/encode.js";
import { u64n } from "../../codecs/primitives.js";
import { TruncatedInputError } from "../../core/errors.js";

/** Largest frame accepted when reading (limit name `wire.frame`): 64 MiB. */
export const MAX_FRAME_SIZE = 64 << 20;
/** Size of the frames {@link framedChunks} writes. */
export const FRAME_SIZE = 1 << 16;

/** A frame header: the body's length, 0 for the end. */
export const frameHeader: Codec<number> = u64n("wire.frame", { max: MAX_FRAME_SIZE });

/** Encodes `source` as frames (each at most {@link FRAME_SIZE} bytes) and the final empty frame. */
export async function* framedChunks(
  source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
): AsyncGenerator<Uint8Array, void, undefined> {
  for await (const chunk of source) {
    for (let at = 0; at < chunk.length; at += FRAME_SIZE) {
      const part = chunk.subarray(at, Math.min(chunk.length, at + FRAME_SIZE));
      yield encode(frameHeader, part.length);
      yield part;
    }
  }
  yield encode(frameHeader, 0);
}

/** Reads a framed stream from `reader`, yielding the bodies' bytes; ends after the empty frame. */
export async function* readFramed(reader: ByteReader): AsyncGenerator<Uint8Array, void, undefined> {
  for (;;) {
    let n = await decodeAsync(frameHeader, reader, { allowTrailing: true });
    if (n === 0) return;
    while (n > 0) {
      const at = reader.offset;
      const c = await reader.readUpTo(n);
      if (c === undefined) {
        throw new TruncatedInputError(
          "wire.truncated",
          `input ended early: expected ${n} more bytes of a frame`,
          {
            offset: at,
            rule: "wire.frame",
          },
        );
      }
      n -= c.length;
      yield c;
    }
  }
}
