/**
 * Bridges between async iterables of byte chunks and WHATWG streams, for codecs that speak
 * Web streams (`DecompressionStream`, the xz decoder) and for the Web-stream adapters of
 * the async-iterable transforms.
 *
 * Streams are read through their default reader (older engines lack async iteration of
 * streams); stopping early cancels them.
 *
 * @module
 */

/** A `ReadableStream` that pulls `chunks` one at a time (backpressure: nothing is read ahead). */
export function readableOf(chunks: AsyncIterable<Uint8Array>): ReadableStream<Uint8Array> {
  const it = chunks[Symbol.asyncIterator]();
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const r = await it.next();
        if (r.done) controller.close();
        else controller.enqueue(r.value);
      },
      cancel() {
        // not awaited: a pull may be pending on `chunks`, and its return waits for that pull;
        // whoever owns the underlying source cancels it (see `decompress`)
        void it.return?.()?.catch(() => undefined);
      },
    },
    { highWaterMark: 0 },
  );
}

/** The chunks of `stream`, read with its reader; an early stop cancels the stream. */
export async function* chunksOf(
  stream: ReadableStream<Uint8Array>,
): AsyncGenerator<Uint8Array, void, undefined> {
  const reader = stream.getReader();
  let done = false;
  try {
    for (;;) {
      const r = await reader.read();
      if (r.done) break;
      yield r.value;
    }
    done = true;
  } finally {
    if (!done) await reader.cancel().catch(() => undefined);
    reader.releaseLock();
  }
}

/** A transform of byte chunks as async iterables. */
export type ByteTransform = (input: AsyncIterable<Uint8Array>) => AsyncIterable<Uint8Array>;

/**
 * `transform` as a `{ writable, readable }` pair for `ReadableStream.pipeThrough`: what is
 * written is handed to `transform` as it is pulled; the readable side gives its output.
 */
export function transformPairOf(
  transform: ByteTransform,
): ReadableWritablePair<Uint8Array, Uint8Array> {
  const pass = new TransformStream<Uint8Array, Uint8Array>();
  const output = transform(chunksOf(pass.readable))[Symbol.asyncIterator]();
  const readable = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const r = await output.next();
        if (r.done) controller.close();
        else controller.enqueue(r.value);
      },
      async cancel(reason) {
        // abort the input first: the transform may be waiting on it
        const stopped = output.return?.()?.catch(() => undefined);
        await pass.writable.abort(reason).catch(() => undefined);
        await stopped;
      },
    },
    { highWaterMark: 0 },
  );
  return { writable: pass.writable, readable };
}

/** `input` through a Web `TransformStream`-like pair, as async-iterable chunks. */
export function throughPair(
  input: AsyncIterable<Uint8Array>,
  pair: ReadableWritablePair<Uint8Array, Uint8Array>,
): AsyncGenerator<Uint8Array, void, undefined> {
  return chunksOf(readableOf(input).pipeThrough(pair));
}
