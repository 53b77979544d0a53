/**
 * bzip2, decoded by the block decoder of `unbzip2-stream` (JavaScript), driven here over
 * async chunks: a block is decoded once enough compressed bytes for a whole block of the
 * stream's block size are buffered (or the input has ended), so memory stays at about one
 * block (at most 900 kB compressed, and the block's output). Concatenated streams are read.
 *
 * bzip2 is what Nix assumes for a narinfo without `Compression`; no cache writes it today,
 * and there is no bzip2 encoder here.
 *
 * @module
 */
import type { CompressionCodec } from "./codec-registry.js";

/** Compressed bytes buffered beyond one block's size before a block is decoded. */
const BLOCK_MARGIN = 25_000;
/** Output is handed on in chunks of this many bytes. */
const OUTPUT_CHUNK = 64 * 1024;

async function* decompressBzip2(
  input: AsyncIterable<Uint8Array>,
): AsyncGenerator<Uint8Array, void, undefined> {
  const [{ default: bzip2 }, { default: bitIterator }] = await Promise.all([
    import("unbzip2-stream/lib/bzip2.js"),
    import("unbzip2-stream/lib/bit_iterator.js"),
  ]);
  const queue: Uint8Array[] = [];
  let buffered = 0;
  let bits: ReturnType<typeof bitIterator> | undefined;
  let blockSize = 0;
  let crc: number | null = null;
  let table = new Int32Array(0);
  let out = new Uint8Array(OUTPUT_CHUNK);
  let used = 0;
  let done: Uint8Array[] = [];
  const write = (byte: number) => {
    out[used++] = byte;
    if (used === out.length) {
      done.push(out);
      out = new Uint8Array(OUTPUT_CHUNK);
      used = 0;
    }
  };
  /** Decodes a header or one block; returns the output made. */
  const step = (reader: NonNullable<typeof bits>): Uint8Array[] => {
    if (blockSize === 0) {
      blockSize = bzip2.header(reader);
      crc = 0;
      if (table.length < blockSize * 100_000) table = new Int32Array(blockSize * 100_000);
      return [];
    }
    crc = bzip2.decompress(reader, write, table, blockSize * 100_000, crc);
    if (crc === null) blockSize = 0; // end of this stream: a header may follow
    if (used > 0) {
      done.push(out.slice(0, used));
      used = 0;
    }
    const made = done;
    done = [];
    return made;
  };
  for await (const chunk of input) {
    if (chunk.length === 0) continue;
    queue.push(chunk);
    buffered += chunk.length;
    bits ??= bitIterator(() => queue.shift());
    while (
      buffered - bits.bytesRead + 1 >=
      (blockSize === 0 ? 4 : BLOCK_MARGIN + 100_000 * blockSize)
    ) {
      yield* step(bits);
    }
  }
  if (bits === undefined) throw new Error("bzip2 input is empty");
  while (buffered > bits.bytesRead) yield* step(bits);
  if (blockSize !== 0) throw new Error("bzip2 stream ended before its end-of-stream marker");
}

/** The portable bzip2 codec (decoding only). */
export const bzip2Codec: CompressionCodec = {
  name: "unbzip2-stream (JavaScript)",
  decompress: decompressBzip2,
  // the bit reader ran past the last buffer, or the stream had no end marker
  truncation: (error) =>
    error instanceof TypeError || (error instanceof Error && error.message.startsWith("bzip2 ")),
};
