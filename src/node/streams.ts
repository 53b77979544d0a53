/**
 * Adapters between async iterables of `Uint8Array` and Node or Web streams (Node only).
 *
 * @module
 */
import { Readable, type Writable } from "node:stream";
import type { ByteSink } from "../codecs/encode.js";

/** A Node `Readable` producing the chunks of `source`. */
export function toNodeReadable(source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): Readable {
  return Readable.from(source, { objectMode: false });
}

/** The chunks of a Node `Readable` as an async iterable of `Uint8Array`. */
export async function* fromNodeReadable(
  readable: NodeJS.ReadableStream,
): AsyncGenerator<Uint8Array, void, undefined> {
  for await (const chunk of readable) {
    yield typeof chunk === "string" ? new TextEncoder().encode(chunk) : (chunk as Uint8Array);
  }
}

/** A Web `ReadableStream` producing the chunks of `source`. */
export function toWebStream(
  source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
): ReadableStream<Uint8Array> {
  const it =
    Symbol.asyncIterator in source
      ? (source as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]()
      : (source as Iterable<Uint8Array>)[Symbol.iterator]();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const r = await it.next();
      if (r.done) controller.close();
      else controller.enqueue(r.value);
    },
    async cancel() {
      await it.return?.();
    },
  });
}

/** The chunks of a Web `ReadableStream` as an async iterable. */
export async function* fromWebStream(
  stream: ReadableStream<Uint8Array>,
): AsyncGenerator<Uint8Array, void, undefined> {
  const reader = stream.getReader();
  try {
    for (;;) {
      const r = await reader.read();
      if (r.done) return;
      yield r.value;
    }
  } finally {
    reader.releaseLock();
  }
}

/** A {@link ByteSink} writing to a Node `Writable`, waiting for `drain` when it is full. */
export function nodeWritableSink(writable: Writable): ByteSink {
  return {
    write(chunk) {
      if (writable.write(chunk)) return;
      return new Promise<void>((resolve) => writable.once("drain", () => resolve()));
    },
  };
}
