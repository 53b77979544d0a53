/**
 * The streaming NAR readers behind {@link readNar}: thin drivers over the resumable decoder
 * generated from the NAR declaration (`nar-grammar.resumable.generated.ts`), turning its events
 * (`NAR_EVENTS`) into nodes. File contents are zero-copy views of the input chunks; errors are
 * the declaration's (the interpreter decides whenever the generated code declines).
 *
 * {@link readNarStream} awaits bytes from any source (no promise per node unless bytes must be
 * awaited); {@link readNarSync} reads a synchronous source (a file descriptor, bytes in memory).
 *
 * @module
 */
import { type ByteInput, ByteReader, byteReader, readingFrom } from "../codecs/byte-reader.js";
import { RESUMABLE_END, RESUMABLE_NEED, ResumableDecoding } from "../codecs/decode-resumable.js";
import { UsageError } from "../core/errors.js";
import { narResumable } from "./nar-compiled.js";
import { NarEventPath } from "./nar-event-path.js";
import { narGrammar } from "./nar-grammar.js";
import type { NarReadOptions, NarRegularNode, NarStreamNode } from "./stream-node.js";

/** @internal A decode of a whole NAR by its generated resumable decoder. */
export function narDecoding(reader: ByteReader, options: NarReadOptions): ResumableDecoding {
  return new ResumableDecoding(narGrammar, narResumable.machine(options)!, reader, options);
}

const closedError = () =>
  new UsageError("codec.payload-closed", "NAR contents read after the reader moved on");

/** A regular file met by the reader: its contents are read through the decoder's buffer. */
class RegularNode implements NarRegularNode {
  readonly type = "regular" as const;
  readonly path: string;
  readonly segments: readonly string[];
  readonly segmentBytes: readonly Uint8Array[];
  readonly executable: boolean;
  readonly size: number;
  readonly narOffset: number;
  readonly #d: ResumableDecoding;
  readonly #serial: number;
  /** Bytes of the contents handed out. */
  #got = 0;

  constructor(d: ResumableDecoding, names: readonly string[], raw: readonly Uint8Array[]) {
    this.path = names.join("/");
    this.segments = names.slice();
    this.segmentBytes = raw.slice();
    this.executable = (d.data as { executable: boolean }).executable;
    this.size = d.size;
    this.narOffset = d.payloadOffset;
    this.#d = d;
    this.#serial = d.serial;
  }

  takeBuffered(): Uint8Array | undefined {
    if (this.#got !== 0 || !this.#d.payloadOpen(this.#serial)) return undefined;
    const all = this.#d.takeBuffered();
    if (all !== undefined) this.#got = all.length;
    return all;
  }

  get contents(): AsyncIterable<Uint8Array> {
    if (this.#d.reader.isSync) {
      const chunks = this.#chunksSync();
      return {
        async *[Symbol.asyncIterator]() {
          yield* chunks;
        },
      };
    }
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const self = this;
    return {
      async *[Symbol.asyncIterator]() {
        while (self.#got < self.size) {
          if (!self.#d.payloadOpen(self.#serial)) throw closedError();
          const c = await self.#d.chunk();
          if (c === undefined) return;
          self.#got += c.length;
          yield c;
        }
      },
    };
  }

  get contentsSync(): Iterable<Uint8Array> | undefined {
    return this.#d.reader.isSync ? this.#chunksSync() : undefined;
  }

  *#chunksSync(): Generator<Uint8Array, void, undefined> {
    while (this.#got < this.size) {
      if (!this.#d.payloadOpen(this.#serial)) throw closedError();
      const c = this.#d.chunkSync();
      if (c === undefined) return;
      this.#got += c.length;
      yield c;
    }
  }
}

/** The path of `d`'s events, making the nodes of its NAR. */
function pathOf(d: ResumableDecoding): NarEventPath {
  return new NarEventPath((names, raw) => new RegularNode(d, names, raw));
}

/** Streams the nodes of a NAR (see `readNar`). */
export async function* readNarStream(
  input: ByteInput,
  options: NarReadOptions = {},
): AsyncGenerator<NarStreamNode, void, undefined> {
  return yield* readingFrom(input, (reader) => nodesFrom(reader, options));
}

async function* nodesFrom(
  reader: ByteReader,
  options: NarReadOptions,
): AsyncGenerator<NarStreamNode, void, undefined> {
  const d = narDecoding(reader, options);
  const path = pathOf(d);
  for (;;) {
    const code = d.step();
    if (code === RESUMABLE_NEED) await d.fill();
    else if (code === RESUMABLE_END) return;
    else {
      const node = path.node(d.name!, d.value);
      if (node !== undefined) yield node;
    }
  }
}

/**
 * Streams the nodes of a NAR from a synchronous source (bytes, an iterable of chunks, or a
 * {@link ChunkSource} marked `sync`): `readNar` without a promise per node. Regular nodes also
 * have `contentsSync`. An asynchronous source gives a `codec.async-source` UsageError.
 */
export function* readNarSync(
  input: ByteInput,
  options: NarReadOptions = {},
): Generator<NarStreamNode, void, undefined> {
  const owned = !(input instanceof ByteReader);
  const reader = byteReader(input);
  let early = true;
  try {
    const d = narDecoding(reader, options);
    const path = pathOf(d);
    for (;;) {
      const code = d.step();
      if (code === RESUMABLE_NEED) d.fillSync();
      else if (code === RESUMABLE_END) break;
      else {
        const node = path.node(d.name!, d.value);
        if (node !== undefined) yield node;
      }
    }
    early = false;
  } finally {
    if (owned) reader.closeSync(early);
  }
}
