/**
 * NARs embedded in a worker-protocol stream without a length: the reply of `NarFromPath`, the
 * items of `AddMultipleToStore`, `AddToStoreNar` before protocol 1.23. Their end is found by
 * reading them with the NAR reader compiled from the declaration, which also checks them; the bytes handed on are
 * the source's own chunks, sliced at the NAR's bounds, never copied.
 *
 * ```text
 * embedded-nar = nar            (see nar-grammar.ts; what follows belongs to the next message)
 * ```
 *
 * @module
 */
import { ByteReader } from "../../codecs/byte-reader.js";
import { readNarStream } from "../../nar/nar-stream-reader.js";
import { TeeChunkSource } from "../../codecs/tee-chunk-source.js";

/**
 * A reader over a {@link TeeChunkSource} for streams that embed NARs. While a NAR is read
 * (`inNar`), the input ends, for the NAR reader, where the NAR does: its check for trailing bytes
 * must neither fail on the next message nor wait for one. (The NAR readers call `atEnd` only for
 * that check, after the root node is complete.)
 */
export class EmbeddingReader extends ByteReader {
  /** True while an embedded NAR is being read. */
  inNar = false;

  constructor(readonly tee: TeeChunkSource) {
    super(tee);
  }

  /** A reader over `source`, with its tee. */
  static over(source: ConstructorParameters<typeof TeeChunkSource>[0]): EmbeddingReader {
    return new EmbeddingReader(new TeeChunkSource(source));
  }

  override atEnd(): Promise<boolean> {
    return this.inNar ? Promise.resolve(true) : super.atEnd();
  }
}

/** Options of {@link embeddedNar}. */
export interface EmbeddedNarOptions {
  /**
   * Promise to be done with each chunk before asking for the next: the source may then read
   * into its memory again.
   */
  readonly reuseBuffers?: boolean;
  /**
   * Hand bytes on only once at least this many are read (and at the end): a NAR of many small
   * files then comes in few chunks, not several per file (each one a write for a consumer that
   * sends them on). Default 0: at every node and every chunk of contents. Held meanwhile: at
   * most this many bytes, as views of the source's chunks.
   */
  readonly coalesceBytes?: number;
}

/**
 * Reads one NAR at the reader's position and yields its bytes (views of the source's chunks,
 * valid as long as the source's chunks are; with `reuseBuffers`, only until the next one is
 * asked for: the source may then read into their memory again). File contents are walked chunk
 * by chunk, so only the chunk at hand is held (or `coalesceBytes`). Errors are the NAR reader's
 * typed errors. Stopping early leaves the reader inside the NAR: the stream cannot be used any
 * more.
 */
export async function* embeddedNar(
  reader: EmbeddingReader,
  options: EmbeddedNarOptions = {},
): AsyncGenerator<Uint8Array, void> {
  const tee = reader.tee;
  const coalesce = options.coalesceBytes ?? 0;
  let drained = reader.offset;
  tee.startRecording(reader.offset);
  tee.releasing = options.reuseBuffers === true;
  reader.inNar = true;
  try {
    for await (const node of readNarStream(reader)) {
      if (node.type === "regular") {
        for await (const _ of node.contents) {
          if (reader.offset - drained < coalesce) continue;
          drained = reader.offset;
          for (const c of tee.drainTo(drained)) yield c;
        }
      }
      if (reader.offset - drained < coalesce) continue;
      drained = reader.offset;
      for (const c of tee.drainTo(drained)) yield c;
    }
    reader.inNar = false;
    for (const c of tee.drainTo(reader.offset)) yield c;
  } finally {
    reader.inNar = false;
    tee.stopRecording();
  }
}
