/**
 * A pull reader over a source of byte chunks, with bounded buffering.
 *
 * The reader keeps at most one source chunk plus, when a read spans chunks, one buffer of the
 * requested size (requests are bounded by the codecs' limits before they are made). Views it
 * returns are valid until the next call. Sources that can skip (seekable files) make skipping
 * large payloads free.
 *
 * @module
 */
import { isBytes } from "../core/bytes.js";
import { UsageError } from "../core/errors.js";

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
}

/**
 * A WHATWG `ReadableStream` of bytes, as `fetch()` bodies and `Blob.stream()` give, described
 * by what the readers use (its default reader), so that no DOM typings are needed.
 */
export interface WebByteStream {
  /** Locks the stream to a default reader. */
  getReader(): {
    read(): Promise<{ readonly done: boolean; readonly value?: Uint8Array | undefined }>;
  };
}

/**
 * Anything the streaming decoders read from. `null` is admitted so that a `fetch()` body
 * (`ReadableStream<Uint8Array> | null`) can be passed as is; it is refused when read (see
 * {@link chunkSourceOf}).
 */
export type ByteInput =
  | ByteReader
  | ChunkSource
  | WebByteStream
  | AsyncIterable<Uint8Array>
  | Iterable<Uint8Array>
  | Uint8Array
  | null;

const EMPTY = new Uint8Array(0);

const notSync = () =>
  new UsageError("codec.async-source", "a synchronous reader was given an asynchronous source");

/** A pull reader with an offset; create with {@link byteReader}. */
export class ByteReader {
  private chunk: Uint8Array = EMPTY;
  private pos = 0;
  private ended = false;
  /** Bytes consumed so far. */
  offset = 0;

  constructor(private readonly source: ChunkSource) {}

  private async fill(): Promise<boolean> {
    while (this.pos >= this.chunk.length) {
      if (this.ended) return false;
      const r = this.source.next();
      const c = r instanceof Promise ? await r : r;
      if (c === undefined) {
        this.ended = true;
        return false;
      }
      this.chunk = c;
      this.pos = 0;
    }
    return true;
  }

  /** Returns `n` bytes if they are already buffered in the current chunk (no waiting). */
  tryRead(n: number): Uint8Array | undefined {
    const end = this.pos + n;
    if (end > this.chunk.length) return undefined;
    const v = this.chunk.subarray(this.pos, end);
    this.pos = end;
    this.offset += n;
    return v;
  }

  /** Returns the next `n` bytes without consuming them, if they are buffered in the current chunk. */
  peek(n: number): Uint8Array | undefined {
    const end = this.pos + n;
    return end > this.chunk.length ? undefined : this.chunk.subarray(this.pos, end);
  }

  /** Number of bytes buffered in the current chunk (readable without waiting). */
  available(): number {
    return this.chunk.length - this.pos;
  }

  /** If the next bytes are exactly `expected` (and buffered), consumes them and returns true. */
  consumeIf(expected: Uint8Array): boolean {
    const n = expected.length;
    const c = this.chunk;
    const p = this.pos;
    if (p + n > c.length) return false;
    for (let i = 0; i < n; i++) if (c[p + i] !== expected[i]) return false;
    this.pos = p + n;
    this.offset += n;
    return true;
  }

  /** The buffered byte at `pos + i` (caller checks {@link ByteReader.available}). */
  byteAt(i: number): number {
    return this.chunk[this.pos + i]!;
  }

  /** A fresh copy of `n` buffered bytes starting at `pos + i`. */
  copyAt(i: number, n: number): Uint8Array {
    const out = new Uint8Array(n);
    const from = this.pos + i;
    for (let k = 0; k < n; k++) out[k] = this.chunk[from + k]!;
    return out;
  }

  /** Consumes `n` bytes previously seen with {@link ByteReader.peek}. */
  advance(n: number): void {
    this.pos += n;
    this.offset += n;
  }

  /** Reads exactly `n` bytes, or returns `undefined` if the source ends first. */
  async read(n: number): Promise<Uint8Array | undefined> {
    const quick = this.tryRead(n);
    if (quick !== undefined) return quick;
    const out = new Uint8Array(n);
    let have = 0;
    while (have < n) {
      if (!(await this.fill())) return undefined;
      const take = Math.min(n - have, this.chunk.length - this.pos);
      out.set(this.chunk.subarray(this.pos, this.pos + take), have);
      this.pos += take;
      this.offset += take;
      have += take;
    }
    return out;
  }

  /** Reads between 1 and `max` bytes (what is buffered), or `undefined` at the end. */
  async readUpTo(max: number): Promise<Uint8Array | undefined> {
    if (!(await this.fill())) return undefined;
    const take = Math.min(max, this.chunk.length - this.pos);
    const v = this.chunk.subarray(this.pos, this.pos + take);
    this.pos += take;
    this.offset += take;
    return v;
  }

  /** Skips `n` bytes; returns false if the source ended first. */
  async skip(n: number): Promise<boolean> {
    while (n > 0) {
      const buffered = this.chunk.length - this.pos;
      if (buffered > 0) {
        const take = Math.min(n, buffered);
        this.pos += take;
        this.offset += take;
        n -= take;
        continue;
      }
      if (this.source.skip !== undefined && !this.ended) {
        const r = this.source.skip(n);
        const skipped = r instanceof Promise ? await r : r;
        this.offset += skipped;
        n -= skipped;
        if (n === 0) return true;
      }
      if (!(await this.fill())) return false;
    }
    return true;
  }

  /** True when no byte is left. */
  async atEnd(): Promise<boolean> {
    return !(await this.fill());
  }

  /** True when the source is known to be synchronous (see {@link ChunkSource.sync}). */
  get isSync(): boolean {
    return this.source.sync === true;
  }

  // The synchronous twins of fill/read/readUpTo/skip/atEnd, for synchronous sources: they
  // throw a UsageError (`codec.async-source`) if the source returns a promise.

  private fillSync(): boolean {
    while (this.pos >= this.chunk.length) {
      if (this.ended) return false;
      const c = this.source.next();
      if (c instanceof Promise) throw notSync();
      if (c === undefined) {
        this.ended = true;
        return false;
      }
      this.chunk = c;
      this.pos = 0;
    }
    return true;
  }

  /** {@link ByteReader.read}, synchronously (synchronous sources only). */
  readSync(n: number): Uint8Array | undefined {
    const quick = this.tryRead(n);
    if (quick !== undefined) return quick;
    const out = new Uint8Array(n);
    let have = 0;
    while (have < n) {
      if (!this.fillSync()) return undefined;
      const take = Math.min(n - have, this.chunk.length - this.pos);
      out.set(this.chunk.subarray(this.pos, this.pos + take), have);
      this.pos += take;
      this.offset += take;
      have += take;
    }
    return out;
  }

  /** {@link ByteReader.readUpTo}, synchronously (synchronous sources only). */
  readUpToSync(max: number): Uint8Array | undefined {
    if (!this.fillSync()) return undefined;
    const take = Math.min(max, this.chunk.length - this.pos);
    const v = this.chunk.subarray(this.pos, this.pos + take);
    this.pos += take;
    this.offset += take;
    return v;
  }

  /** {@link ByteReader.skip}, synchronously (synchronous sources only). */
  skipSync(n: number): boolean {
    while (n > 0) {
      const buffered = this.chunk.length - this.pos;
      if (buffered > 0) {
        const take = Math.min(n, buffered);
        this.pos += take;
        this.offset += take;
        n -= take;
        continue;
      }
      if (this.source.skip !== undefined && !this.ended) {
        const skipped = this.source.skip(n);
        if (skipped instanceof Promise) throw notSync();
        this.offset += skipped;
        n -= skipped;
        if (n === 0) return true;
      }
      if (!this.fillSync()) return false;
    }
    return true;
  }

  /**
   * Makes at least `n` bytes (or all that is left, if fewer) readable from the current chunk,
   * copying what is buffered and the next chunks into one buffer (synchronous sources only).
   * Lets a decoder take its fast paths across chunk boundaries.
   */
  ensureSync(n: number): void {
    if (this.chunk.length - this.pos >= n || this.ended) return;
    // copy first: the source may reuse the buffer the current chunk is a view of (and a
    // Buffer's slice() is a view: copy through the Uint8Array constructor)
    let out = new Uint8Array(this.chunk.subarray(this.pos));
    while (out.length < n) {
      const c = this.source.next();
      if (c instanceof Promise) throw notSync();
      if (c === undefined) {
        this.ended = true;
        break;
      }
      const grown = new Uint8Array(out.length + c.length);
      grown.set(out, 0);
      grown.set(c, out.length);
      out = grown;
    }
    this.chunk = out;
    this.pos = 0;
  }

  /** {@link ByteReader.atEnd}, synchronously (synchronous sources only). */
  atEndSync(): boolean {
    return !this.fillSync();
  }
}

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
  };
}

/** A WHATWG stream source, read through its reader (never through async iteration). */
function webStreamSource(stream: WebByteStream): ChunkSource {
  const reader = stream.getReader();
  return {
    next: () => reader.read().then((r) => (r.done ? undefined : checkedChunk(r.value))),
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

/**
 * The chunk source behind any supported input other than a {@link ByteReader}. Bytes of any
 * realm are one chunk; a `ReadableStream` is read with its reader; then async iterables,
 * iterables and {@link ChunkSource}s. `null` (a `fetch()` response without a body) is refused
 * with {@link UsageError} `codec.no-input`, anything else with `codec.unsupported-input`; a
 * chunk that is not a `Uint8Array` with `codec.chunk-not-bytes` when it is read.
 */
export function chunkSourceOf(input: Exclude<ByteInput, ByteReader>): ChunkSource {
  if (input === null) {
    throw new UsageError(
      "codec.no-input",
      "expected bytes or a byte stream, got null (a fetch() response without a body?)",
    );
  }
  if (isBytes(input)) return iteratorSource([input][Symbol.iterator](), true);
  if (typeof input !== "object" || ArrayBuffer.isView(input)) {
    throw new UsageError(
      "codec.unsupported-input",
      `expected bytes or a byte stream, got ${describeValue(input)}`,
    );
  }
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
  throw new UsageError(
    "codec.unsupported-input",
    `expected bytes or a byte stream, got ${describeValue(input)}`,
  );
}

/** What a byte-stream writer takes: any {@link ByteInput} but a reader and `null`. */
export type ByteStreamInput = Exclude<ByteInput, ByteReader | null>;

/** The chunks of any supported input as an async generator (see {@link chunkSourceOf}). */
export async function* byteChunks(
  input: ByteStreamInput,
): AsyncGenerator<Uint8Array, void, undefined> {
  const source = chunkSourceOf(input);
  for (;;) {
    const r = source.next();
    const chunk = r instanceof Promise ? await r : r;
    if (chunk === undefined) return;
    yield chunk;
  }
}

/** Wraps any supported input in a {@link ByteReader} (a reader is returned as is); see {@link chunkSourceOf}. */
export function byteReader(input: ByteInput): ByteReader {
  if (input instanceof ByteReader) return input;
  return new ByteReader(chunkSourceOf(input));
}
