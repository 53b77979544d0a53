/**
 * xz, decoded by `xz-decompress`: xz-embedded compiled to WebAssembly (the module inlined in
 * the JavaScript, so it loads the same way in Node, browsers and Workers). It reads
 * concatenated xz streams. It decodes one stream at a time per realm (the library serialises
 * its decoder contexts): a second decode waits until the first ends or is cancelled.
 *
 * There is no portable xz encoder here; `installNodeCompression` adds one for Node.
 *
 * @module
 */
import type { CompressionCodec } from "./codec-registry.js";
import { chunksOf, readableOf } from "./web-streams.js";

interface XzModule {
  XzReadableStream: new (compressed: ReadableStream<Uint8Array>) => ReadableStream<Uint8Array>;
}

let loaded: Promise<XzModule> | undefined;

async function loadXz(): Promise<XzModule> {
  // a UMD bundle: Node's CommonJS interop gives its exports as `default`
  const mod = (await import("xz-decompress")) as unknown as Partial<XzModule> & {
    default?: XzModule;
  };
  return mod.XzReadableStream !== undefined ? (mod as XzModule) : (mod.default as XzModule);
}

async function* decompressXz(
  input: AsyncIterable<Uint8Array>,
): AsyncGenerator<Uint8Array, void, undefined> {
  const { XzReadableStream } = await (loaded ??= loadXz());
  yield* chunksOf(new XzReadableStream(readableOf(input)));
}

/** The portable xz codec (decoding only). */
export const xzCodec: CompressionCodec = {
  name: "xz-decompress (xz-embedded, WebAssembly)",
  decompress: decompressXz,
  // xz-embedded's XZ_BUF_ERROR: no progress possible, the input ran out mid-stream
  truncation: (error) => error instanceof Error && /error code 8\b/.test(error.message),
};
