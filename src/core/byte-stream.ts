/**
 * The byte-stream inputs every streaming entry point takes (bytes, iterables of chunks, WHATWG
 * `ReadableStream`s, chunk sources), turned into one pull interface, {@link ChunkSource}.
 *
 * A source made here is closed when its reader is done with it: a `ReadableStream` is read
 * through its default reader (never through async iteration, which older engines lack) and is
 * cancelled when the reader stops early (the consumer broke out of its loop, or decoding
 * failed), its lock released either way; an iterator's `return()` is called on an early stop.
 *
 * @module
 */
import { isBytes } from "./bytes.js";
import { UsageError } from "./errors.js";

/** A source of chunks: `next()` returns the next chunk, or `undefined` at the end. */
export interface ChunkSource {
  next(): Promise<Uint8Array | undefined> | Uint8Array | undefined;
  /** Skips up to `n` bytes without reading them; returns how many were skipped. Optional. */
  skip?(n: number): Promise<number> | number;
  /**
   * True when `next()` and `skip()` never return a promise: synchronous decoders (such as
   * `readNarSync`) can then read from it. Optional.
   */
  readonly sync?: boolean;
  /**
   * Called once when the reader is done with the source: `early` when it stops before the end
   * (the consumer stopped, or decoding failed), so that the source can cancel what it reads
   * from. Optional.
   */
  finish?(early: boolean): Promise<void> | void;
}

/** The default reader of a {@link WebByteStream}: what the readers use of it. */
export interface WebByteStreamReader {
  /** The next chunk, or `done` at the end. */
  read(): Promise<{ readonly done: boolean; readonly value?: Uint8Array | undefined }>;
  /** Cancels the stream (called when reading stops early). */
  cancel?(reason?: unknown): Promise<void>;
  /** Releases the reader's lock on the stream (called when reading stops). */
  releaseLock?(): void;
}

/**
 * A WHATWG `ReadableStream` of bytes, as `fetch()` bodies and `Blob.stream()` give, described
 * by what the readers use (its default reader), so that no DOM typings are needed.
 */
export interface WebByteStream {
  /** Locks the stream to a default reader. */
  getReader(): WebByteStreamReader;
}

/**
 * Any byte-stream input. `null` is admitted so that a `fetch()` body
 * (`ReadableStream<Uint8Array> | null`) can be passed as is; it is refused when read (see
 * {@link chunkSourceOf}).
 */
export type ByteSourceInput =
  | ChunkSource
  | WebByteStream
  | AsyncIterable<Uint8Array>
  | Iterable<Uint8Array>
  | Uint8Array
  | null;

/** What a byte-stream consumer takes: any {@link ByteSourceInput} but `null`. */
export type ByteStreamInput = Exclude<ByteSourceInput, null>;

function iteratorSource(
  it: AsyncIterator<Uint8Array> | Iterator<Uint8Array>,
  sync = false,
): ChunkSource {
  return {
    sync,
    next() {
      const r = it.next();
      if (r instanceof Promise) return r.then((x) => (x.done ? undefined : checkedChunk(x.value)));
      return r.done ? undefined : checkedChunk(r.value);
    },
    finish(early) {
      if (!early || it.return === undefined) return;
      const r = it.return();
      if (r instanceof Promise) return r.then(() => undefined);
    },
  };
}

/** A WHATWG stream source, read through its reader (never through async iteration). */
function webStreamSource(stream: WebByteStream): ChunkSource {
  const reader = stream.getReader();
  return {
    next: () => reader.read().then((r) => (r.done ? undefined : checkedChunk(r.value))),
    async finish(early) {
      try {
        // cancelling also settles a pending read; a failing cancel must not hide why we stopped
        if (early) await reader.cancel?.().catch(() => undefined);
      } finally {
        reader.releaseLock?.();
      }
    },
  };
}

function checkedChunk(c: unknown): Uint8Array {
  if (isBytes(c)) return c;
  throw new UsageError(
    "codec.chunk-not-bytes",
    `a byte source gave a chunk that is not a Uint8Array (${describeValue(c)})`,
  );
}

function describeValue(x: unknown): string {
  if (x === null) return "null";
  if (typeof x !== "object") return typeof x;
  return Object.prototype.toString.call(x).slice(8, -1);
}

const unsupported = (input: unknown) =>
  new UsageError(
    "codec.unsupported-input",
    `expected bytes or a byte stream, got ${describeValue(input)}`,
  );

/**
 * The chunk source behind any supported input. Bytes of any realm are one chunk; a
 * `ReadableStream` is read with its reader; then async iterables, iterables and
 * {@link ChunkSource}s. `null` (a `fetch()` response without a body) is refused with
 * {@link UsageError} `codec.no-input`, anything else with `codec.unsupported-input`; a chunk that
 * is not a `Uint8Array` with `codec.chunk-not-bytes` when it is read.
 */
export function chunkSourceOf(input: ByteSourceInput): ChunkSource {
  if (input === null) {
    throw new UsageError(
      "codec.no-input",
      "expected bytes or a byte stream, got null (a fetch() response without a body?)",
    );
  }
  if (isBytes(input)) return iteratorSource([input][Symbol.iterator](), true);
  if (typeof input !== "object" || ArrayBuffer.isView(input)) throw unsupported(input);
  if (typeof (input as WebByteStream).getReader === "function") {
    return webStreamSource(input as WebByteStream);
  }
  if (typeof (input as AsyncIterable<Uint8Array>)[Symbol.asyncIterator] === "function") {
    return iteratorSource((input as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]());
  }
  if (typeof (input as Iterable<Uint8Array>)[Symbol.iterator] === "function") {
    return iteratorSource((input as Iterable<Uint8Array>)[Symbol.iterator](), true);
  }
  if (typeof (input as ChunkSource).next === "function") return input as ChunkSource;
  throw unsupported(input);
}

/**
 * Finishes `source` (see {@link ChunkSource.finish}) without letting a failing finish hide the
 * reason reading stopped.
 */
export async function finishSource(source: ChunkSource, early: boolean): Promise<void> {
  if (source.finish === undefined) return;
  try {
    await source.finish(early);
  } catch (err) {
    if (!early) throw err;
  }
}

/**
 * The chunks of any supported input as an async generator (see {@link chunkSourceOf}). When
 * the consumer stops early or reading fails, the input is cancelled (see {@link ChunkSource.finish}).
 */
export async function* byteChunks(
  input: ByteStreamInput,
): AsyncGenerator<Uint8Array, void, undefined> {
  const source = chunkSourceOf(input);
  let early = true;
  try {
    for (;;) {
      const r = source.next();
      const chunk = r instanceof Promise ? await r : r;
      if (chunk === undefined) break;
      yield chunk;
    }
    early = false;
  } finally {
    await finishSource(source, early);
  }
}
