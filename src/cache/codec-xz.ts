/**
 * xz, decoded by `xz-decompress`: xz-embedded compiled to WebAssembly (the module inlined in
 * the JavaScript, so it loads the same way in Node, browsers and Workers). It reads
 * concatenated xz streams. It decodes one stream at a time per realm (the library serialises
 * its decoder contexts): a second decode waits until the first ends or is cancelled.
 *
 * It needs a runtime that compiles WebAssembly from bytes: Cloudflare Workers (workerd) do not,
 * and there xz has no decoder unless one is installed with `setCompressionCodec`.
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

/** True when this runtime compiles WebAssembly from bytes (Workers forbid it). */
function compilesWasm(): boolean {
  try {
    // the 8-byte header of an empty module
    new WebAssembly.Module(new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]));
    return true;
  } catch {
    return false;
  }
}

let memo: CompressionCodec | undefined;

/**
 * The portable xz codec (decoding only), or one without halves where the runtime cannot
 * compile WebAssembly (looked up on the first call).
 */
export function runtimeXzCodec(): CompressionCodec {
  memo ??= compilesWasm()
    ? {
        name: "xz-decompress (xz-embedded, WebAssembly)",
        decompress: decompressXz,
        // xz-embedded's XZ_BUF_ERROR: no progress possible, the input ran out mid-stream
        truncation: (error) => error instanceof Error && /error code 8\b/.test(error.message),
      }
    : { name: "none (this runtime does not compile WebAssembly)" };
  return memo;
}
