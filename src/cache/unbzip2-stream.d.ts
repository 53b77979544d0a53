// The block decoder and bit reader inside `unbzip2-stream` (its Node-stream wrapper is not
// used), which ship no types.
declare module "unbzip2-stream/lib/bzip2.js" {
  /** Reads `n` bits (or aligns to a byte with `null`); `bytesRead` counts bytes touched. */
  type BitReader = ((n: number | null) => number) & { bytesRead: number };
  const bzip2: {
    /** Reads a stream header; returns the block size (1-9, in units of 100,000 bytes). */
    header(bits: BitReader): number;
    /**
     * Decodes one block, calling `write` for each byte; returns the running stream CRC, or
     * `null` at the end-of-stream marker.
     */
    decompress(
      bits: BitReader,
      write: (byte: number) => void,
      buf: Int32Array,
      bufsize: number,
      streamCRC: number | null,
    ): number | null;
  };
  export default bzip2;
}
declare module "unbzip2-stream/lib/bit_iterator.js" {
  type BitReader = ((n: number | null) => number) & { bytesRead: number };
  /** A bit reader over the buffers `nextBuffer` returns in turn. */
  const bitIterator: (nextBuffer: () => Uint8Array | undefined) => BitReader;
  export default bitIterator;
}
