/**
 * Decoding one message from a stream with a compiled codec: the generated decoder runs on the
 * bytes already buffered in the reader (no promise, no generator); when it declines (the
 * message is not whole in the buffer, or something is wrong) the interpreter's
 * {@link decodeAsync} reads it, and decides on errors. Values are the same either way:
 * payloads are copies within `maxBufferedPayload`, as `decodeAsync` gives them.
 *
 * @module
 */
import type { ByteReader } from "./byte-reader.js";
import type { CompiledCodec } from "./compile.js";
import {
  DEFAULT_MAX_BUFFERED_PAYLOAD,
  decodeAsync,
  type StreamDecodeOptions,
} from "./decode-stream.js";

/**
 * One value of `compiled` read from `reader`, leaving what follows unread (the
 * `allowTrailing: true` decoding of a message on a connection).
 */
export async function decodeMessage<T>(
  compiled: CompiledCodec<T>,
  reader: ByteReader,
  options: Omit<StreamDecodeOptions, "allowTrailing"> = {},
): Promise<T> {
  const buffered = reader.available();
  if (buffered > 0) {
    const r = compiled.tryDecodePrefix(reader.peek(buffered)!, {
      limits: options.limits,
      copyPayloadsUpTo: options.maxBufferedPayload ?? DEFAULT_MAX_BUFFERED_PAYLOAD,
    });
    if (r !== undefined) {
      reader.advance(r.end);
      return r.value;
    }
  }
  return decodeAsync(compiled.codec, reader, { ...options, allowTrailing: true });
}
