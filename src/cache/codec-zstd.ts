/**
 * zstd, decoded by `fzstd` (JavaScript, streaming, by the author of `fflate`): no WebAssembly
 * to load, so it runs wherever JavaScript does; it reads concatenated frames. Node's
 * `node:zlib` decodes zstd natively from Node 22.15 on, and `installNodeCompression` uses it
 * there.
 *
 * There is no portable zstd encoder here; `installNodeCompression` adds one for Node.
 *
 * @module
 */
import type { CompressionCodec } from "./codec-registry.js";

async function* decompressZstd(
  input: AsyncIterable<Uint8Array>,
): AsyncGenerator<Uint8Array, void, undefined> {
  const { Decompress } = await import("fzstd");
  let ready: Uint8Array[] = [];
  const decoder = new Decompress((data) => {
    if (data.length > 0) ready.push(data);
  });
  for await (const chunk of input) {
    decoder.push(chunk);
    if (ready.length > 0) {
      const out = ready;
      ready = [];
      yield* out;
    }
  }
  decoder.push(new Uint8Array(0), true);
  yield* ready;
}

/** The portable zstd codec (decoding only). */
export const zstdCodec: CompressionCodec = {
  name: "fzstd (JavaScript)",
  decompress: decompressZstd,
  // fzstd's ZstdErrorCode.UnexpectedEOF
  truncation: (error) => (error as { code?: unknown }).code === 5,
};
