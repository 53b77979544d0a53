/**
 * A chunk source that can hand back the bytes a decoder consumed, without copying them.
 *
 * Formats such as the NAR inside `NarFromPath` replies and `nix-store --export` streams carry
 * no length: the only way to find their end is to decode them. To forward (or hash) exactly the
 * bytes the grammar accepted, wrap the source in a {@link TeeChunkSource}, start recording at
 * the reader's offset, and {@link TeeChunkSource.drainTo} the reader's offset as decoding goes
 * on: the views handed out are the source's own chunks. Memory stays bounded as long as the
 * caller drains often (e.g. after each chunk of file contents).
 *
 * Offsets are those of a {@link ByteReader} created over this source from its start (the
 * reader's `offset`), which never skips through the source (this source has no `skip`).
 *
 * @module
 */
import type { ChunkSource } from "./byte-reader.js";

/**
 * A chunk source whose memory can be reused: `release(chunk)` says that nobody looks at a chunk
 * it returned any more (the Node socket transport then reads into that memory again).
 */
export interface ReleasingChunkSource extends ChunkSource {
  release?(chunk: Uint8Array): void;
}

/** A {@link ChunkSource} wrapper recording the chunks it hands out while asked to. */
export class TeeChunkSource implements ChunkSource {
  private pulled = 0;
  private last: Uint8Array | undefined;
  private lastStart = 0;
  private recording = false;
  private readonly chunks: { start: number; bytes: Uint8Array }[] = [];
  private emitted = 0;
  /** Chunks fully drained by the last {@link TeeChunkSource.drainTo}, when releasing. */
  private drained: Uint8Array[] = [];
  /**
   * When set (by a caller whose consumer is done with each view before asking for the next),
   * recorded chunks are released to the inner source one drain after they were fully drained:
   * by then the consumer has asked for more, so their views are dead.
   */
  releasing = false;

  constructor(private readonly inner: ReleasingChunkSource) {}

  next(): Promise<Uint8Array | undefined> | Uint8Array | undefined {
    // Synchronous when the inner source is (a queued socket chunk): no promise per chunk.
    const r = this.inner.next();
    return r instanceof Promise ? r.then((c) => this.took(c)) : this.took(r);
  }

  private took(c: Uint8Array | undefined): Uint8Array | undefined {
    if (c === undefined) return undefined;
    this.last = c;
    this.lastStart = this.pulled;
    if (this.recording) this.chunks.push({ start: this.pulled, bytes: c });
    this.pulled += c.length;
    return c;
  }

  /** Starts recording at absolute offset `offset` (the reader's current offset). */
  startRecording(offset: number): void {
    this.recording = true;
    this.emitted = offset;
    this.chunks.length = 0;
    if (this.last !== undefined && this.lastStart + this.last.length > offset) {
      this.chunks.push({ start: this.lastStart, bytes: this.last });
    }
  }

  /**
   * Stops recording and forgets what was not drained. (Chunks drained last are not released:
   * their views may still be in use.)
   */
  stopRecording(): void {
    this.recording = false;
    this.releasing = false;
    this.chunks.length = 0;
    this.drained = [];
  }

  /** Returns views of the recorded bytes from the last drain up to absolute offset `end`. */
  drainTo(end: number): Uint8Array[] {
    if (this.drained.length > 0) {
      const release = this.inner.release;
      if (release !== undefined) for (const c of this.drained) release.call(this.inner, c);
      this.drained = [];
    }
    const out: Uint8Array[] = [];
    while (this.emitted < end && this.chunks.length > 0) {
      const c = this.chunks[0]!;
      const from = this.emitted - c.start;
      const to = Math.min(c.bytes.length, end - c.start);
      if (to > from) out.push(c.bytes.subarray(from, to));
      this.emitted = c.start + to;
      if (to === c.bytes.length) {
        this.chunks.shift();
        if (this.releasing) this.drained.push(c.bytes);
      } else break;
    }
    return out;
  }
}
