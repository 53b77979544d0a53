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
import {
  type ByteSourceInput,
  type ChunkSource,
  chunkSourceOf,
  finishSource,
} from "../core/byte-stream.js";
import { UsageError } from "../core/errors.js";

// the stream inputs live in core (hashing takes them too); their names stay importable here
export {
  type ByteSourceInput,
  type ByteStreamInput,
  type ChunkSource,
  byteChunks,
  chunkSourceOf,
  type WebByteStream,
  type WebByteStreamReader,
} from "../core/byte-stream.js";

/**
 * Anything the streaming decoders read from: a {@link ByteReader} or any
 * {@link ByteSourceInput} (bytes, iterables of chunks, a `ReadableStream`, a chunk source).
 */
export type ByteInput = ByteReader | ByteSourceInput;

const EMPTY = new Uint8Array(0);

const notSync = () =>
  new UsageError("codec.async-source", "a synchronous reader was given an asynchronous source");

/** A pull reader with an offset; create with {@link byteReader}. */
export class ByteReader {
  private chunk: Uint8Array = EMPTY;
  private pos = 0;
  private sourceEnded = false;
  /**
   * The rest of a source chunk that `ensure` took only the head of (into a copy joined to what
   * was left): the next chunk, before the source is asked again (so the copy is of the bytes
   * asked for, not of whole chunks; the source is not asked again until it is used up).
   */
  private held: Uint8Array | undefined = undefined;
  /**
   * The chunk `held` is the rest of, and where its head starts in the joined copy: once the
   * bytes before are read, `ensure` goes back to reading that chunk in place (a reader asking
   * `ensure` often does not copy the same bytes again).
   */
  private spliced: Uint8Array | undefined = undefined;
  private splicedAt = 0;
  /** Bytes consumed so far. */
  offset = 0;

  private closed = false;

  constructor(private readonly source: ChunkSource) {}

  /**
   * Tells the source that reading is over (once; later calls do nothing): `early` when the
   * reader stops before the end or fails, which cancels a `ReadableStream` and calls an
   * iterator's `return()`; a stream's lock is released either way. A failing close is
   * ignored when `early` (the reason reading stopped matters more).
   */
  async close(early: boolean): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await finishSource(this.source, early);
  }

  /** {@link ByteReader.close} for synchronous readers: a promise it returns is not awaited. */
  closeSync(early: boolean): void {
    if (this.closed) return;
    this.closed = true;
    finishSource(this.source, early).catch(() => undefined);
  }

  private async fill(): Promise<boolean> {
    while (this.pos >= this.chunk.length) {
      if (this.sourceEnded) return false;
      const r = this.takeHeld() ?? this.source.next();
      const c = r instanceof Promise ? await r : r;
      if (c === undefined) {
        this.sourceEnded = true;
        return false;
      }
      this.chunk = c;
      this.pos = 0;
    }
    return true;
  }

  /** The held rest of a chunk, if any (then no longer held). */
  private takeHeld(): Uint8Array | undefined {
    const h = this.held;
    this.held = undefined;
    this.spliced = undefined;
    return h;
  }

  /**
   * A copy of the unread bytes of the window up to the held chunk's head (which is then held
   * whole again: joined anew, so what is before it shrinks as it is read).
   */
  private unread(): Uint8Array<ArrayBuffer> {
    const c = this.spliced;
    if (c === undefined) return new Uint8Array(this.chunk.subarray(this.pos));
    this.held = c;
    this.spliced = undefined;
    return new Uint8Array(this.chunk.subarray(this.pos, this.splicedAt));
  }

  /** Reads the held chunk in place again when the joined bytes before it are read. */
  private unsplice(): void {
    const c = this.spliced;
    if (c === undefined || this.pos < this.splicedAt) return;
    this.pos -= this.splicedAt;
    this.chunk = c;
    this.held = undefined;
    this.spliced = undefined;
  }

  /**
   * `out` followed by the head of `c` up to `n` bytes in all (a new buffer); the rest of `c`
   * is held for the next fill.
   */
  private joinHead(out: Uint8Array, c: Uint8Array, n: number): Uint8Array<ArrayBuffer> {
    const take = Math.min(c.length, n - out.length);
    if (take < c.length) {
      this.held = c.subarray(take);
      this.spliced = c;
      this.splicedAt = out.length;
    }
    const grown = new Uint8Array(out.length + take);
    grown.set(out, 0);
    grown.set(take === c.length ? c : c.subarray(0, take), out.length);
    return grown;
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

  /** @internal The current chunk (read from {@link ByteReader.cursor} on; see `decode-resumable.ts`). */
  window(): Uint8Array {
    return this.chunk;
  }

  /** @internal Position of the next byte in {@link ByteReader.window}. */
  cursor(): number {
    return this.pos;
  }

  /** True once the source said it has no more chunks. */
  get ended(): boolean {
    return this.sourceEnded;
  }

  /** {@link ByteReader.ensureSync} for any source. */
  async ensure(n: number): Promise<void> {
    this.unsplice();
    if (this.chunk.length - this.pos >= n || this.sourceEnded) return;
    let out = this.unread();
    while (out.length < n) {
      const r = this.takeHeld() ?? this.source.next();
      const c = r instanceof Promise ? await r : r;
      if (c === undefined) {
        this.sourceEnded = true;
        break;
      }
      out = this.joinHead(out, c, n);
    }
    this.chunk = out;
    this.pos = 0;
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
      if (this.source.skip !== undefined && !this.sourceEnded && this.held === undefined) {
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
      if (this.sourceEnded) return false;
      const c = this.takeHeld() ?? this.source.next();
      if (c instanceof Promise) throw notSync();
      if (c === undefined) {
        this.sourceEnded = true;
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
      if (this.source.skip !== undefined && !this.sourceEnded && this.held === undefined) {
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
    this.unsplice();
    if (this.chunk.length - this.pos >= n || this.sourceEnded) return;
    // copy first: the source may reuse the buffer the current chunk is a view of (and a
    // Buffer's slice() is a view: copy through the Uint8Array constructor)
    let out = this.unread();
    while (out.length < n) {
      const c = this.takeHeld() ?? this.source.next();
      if (c instanceof Promise) throw notSync();
      if (c === undefined) {
        this.sourceEnded = true;
        break;
      }
      out = this.joinHead(out, c, n);
    }
    this.chunk = out;
    this.pos = 0;
  }

  /** {@link ByteReader.atEnd}, synchronously (synchronous sources only). */
  atEndSync(): boolean {
    return !this.fillSync();
  }
}

/** Wraps any supported input in a {@link ByteReader} (a reader is returned as is); see {@link chunkSourceOf}. */
export function byteReader(input: ByteInput): ByteReader {
  if (input instanceof ByteReader) return input;
  return new ByteReader(chunkSourceOf(input));
}

/**
 * Runs the generator `body` over a reader of `input`. A reader made here (from anything but a
 * {@link ByteReader}, which stays its caller's) is closed when `body` ends: as an early stop
 * when the consumer stops early or `body` throws (a `ReadableStream` is then cancelled, an
 * iterator's `return()` called; see {@link ByteReader.close}).
 */
export async function* readingFrom<Y, R>(
  input: ByteInput,
  body: (reader: ByteReader) => AsyncGenerator<Y, R, undefined>,
): AsyncGenerator<Y, R, undefined> {
  if (input instanceof ByteReader) return yield* body(input);
  const reader = byteReader(input);
  let early = true;
  try {
    const result = yield* body(reader);
    early = false;
    return result;
  } finally {
    await reader.close(early);
  }
}
