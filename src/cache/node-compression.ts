/**
 * Node's codecs for binary-cache compression (Node only: imports `node:zlib`):
 *
 * - brotli both ways through `node:zlib`;
 * - zstd both ways through `node:zlib` where it has zstd (Node 22.15 and later); on older
 *   Node, zstd encoding by `@bokuweb/zstd-wasm` (the reference library in WebAssembly) in
 *   independent frames of {@link ZSTD_FRAME_SIZE} bytes (a zstd file may hold many frames;
 *   every decoder reads them), decoding stays with the portable `fzstd`;
 * - xz encoding by the `xz` program, where it is installed (see {@link nodeXzCodec}).
 *
 * {@link installNodeCompression} installs them with `setCompressionCodec`.
 *
 * @module
 */
import { spawn } from "node:child_process";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import * as zlib from "node:zlib";
import {
  type CompressionCodec,
  type CompressOptions,
  setCompressionCodec,
} from "./codec-registry.js";
import { CompressionUnsupportedError } from "./errors.js";

/** Plain bytes per zstd frame when encoding with `@bokuweb/zstd-wasm` (older Node). */
export const ZSTD_FRAME_SIZE = 4 * 1024 * 1024;

/** The zstd level used when none is given (zstd's own default). */
export const DEFAULT_ZSTD_LEVEL = 3;
/** The xz preset used when none is given (xz's own default, and Nix's). */
export const DEFAULT_XZ_PRESET = 6;
/**
 * The brotli quality used when none is given: 5, as a balance for on-the-fly serving (11, the
 * library's default, compresses several times slower).
 */
export const DEFAULT_BROTLI_QUALITY = 5;

/** `input` through a `node:zlib` transform, as async chunks (backpressure kept). */
async function* throughZlib(
  input: AsyncIterable<Uint8Array>,
  transform: zlib.BrotliCompress | NodeJS.ReadWriteStream,
): AsyncGenerator<Uint8Array, void, undefined> {
  const source = Readable.from(input, { objectMode: false });
  source.on("error", (err) => (transform as unknown as Readable).destroy(err));
  const out = source.pipe(transform as unknown as NodeJS.WritableStream) as unknown as Readable;
  try {
    for await (const chunk of out) yield chunk as Uint8Array;
  } finally {
    source.destroy();
    out.destroy();
  }
}

type ZlibWithZstd = typeof zlib & {
  createZstdCompress?: (options?: { params?: Record<number, number> }) => NodeJS.ReadWriteStream;
  createZstdDecompress?: () => NodeJS.ReadWriteStream;
  constants: typeof zlib.constants & { ZSTD_c_compressionLevel?: number };
};
const zlibZstd = zlib as ZlibWithZstd;

/** zlib's message when the input ends mid-stream. */
const zlibTruncation = (error: unknown) => (error as { code?: unknown }).code === "Z_BUF_ERROR";

/** brotli through `node:zlib`. */
export const nodeBrotliCodec: CompressionCodec = {
  name: "node:zlib",
  truncation: zlibTruncation,
  decompress: (input) => throughZlib(input, zlib.createBrotliDecompress()),
  compress: (input, options: CompressOptions) =>
    throughZlib(
      input,
      zlib.createBrotliCompress({
        params: { [zlib.constants.BROTLI_PARAM_QUALITY]: options.level ?? DEFAULT_BROTLI_QUALITY },
      }),
    ),
};

/**
 * The WebAssembly zstd, initialised once per process: a second `init()` gives the module a
 * fresh heap under the old one's feet, and every frame compressed after it came out as zeros.
 */
let zstdWasm: Promise<typeof import("@bokuweb/zstd-wasm")> | undefined;
const loadZstdWasm = () =>
  (zstdWasm ??= import("@bokuweb/zstd-wasm").then(async (zstd) => {
    await zstd.init();
    return zstd;
  }));

async function* framedZstd(
  input: AsyncIterable<Uint8Array>,
  options: CompressOptions,
): AsyncGenerator<Uint8Array, void, undefined> {
  const zstd = await loadZstdWasm();
  const level = options.level ?? DEFAULT_ZSTD_LEVEL;
  let frame = new Uint8Array(ZSTD_FRAME_SIZE);
  let used = 0;
  let any = false;
  for await (let chunk of input) {
    while (chunk.length > 0) {
      const n = Math.min(chunk.length, frame.length - used);
      frame.set(chunk.subarray(0, n), used);
      used += n;
      chunk = chunk.subarray(n);
      if (used === frame.length) {
        yield zstd.compress(frame, level);
        any = true;
        frame = new Uint8Array(ZSTD_FRAME_SIZE);
        used = 0;
      }
    }
  }
  if (used > 0 || !any) yield zstd.compress(frame.subarray(0, used), level);
}

/** zstd: `node:zlib` where it has zstd, else WebAssembly zstd encoding in frames. */
export const nodeZstdCodec: CompressionCodec =
  zlibZstd.createZstdCompress && zlibZstd.createZstdDecompress
    ? {
        name: "node:zlib",
        truncation: zlibTruncation,
        decompress: (input) => throughZlib(input, zlibZstd.createZstdDecompress!()),
        compress: (input, options) =>
          throughZlib(
            input,
            zlibZstd.createZstdCompress!({
              params: {
                [zlibZstd.constants.ZSTD_c_compressionLevel ?? 100]:
                  options.level ?? DEFAULT_ZSTD_LEVEL,
              },
            }),
          ),
      }
    : { name: "@bokuweb/zstd-wasm (framed)", compress: framedZstd };

/**
 * `input` through a program that filters standard input to standard output (`xz -c`), as
 * async chunks: the pipe's backpressure bounds memory; stopping early kills the program. A
 * program that is not installed is {@link CompressionUnsupportedError}.
 */
async function* throughProgram(
  input: AsyncIterable<Uint8Array>,
  program: string,
  args: readonly string[],
): AsyncGenerator<Uint8Array, void, undefined> {
  const child = spawn(program, args, { stdio: ["pipe", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (d: string) => {
    if (stderr.length < 4096) stderr += d;
  });
  const exited = new Promise<number | null>((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (code) => resolve(code));
  });
  exited.catch(() => undefined);
  const feeding = pipeline(Readable.from(input, { objectMode: false }), child.stdin).catch(
    (err: unknown) => err,
  );
  let finished = false;
  try {
    for await (const chunk of child.stdout) yield chunk as Uint8Array;
    const fed = await feeding;
    let code: number | null;
    try {
      code = await exited;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") {
        throw new CompressionUnsupportedError(
          "cache.compression-unsupported",
          `compressing with ${program} needs the ${program} program on PATH`,
        );
      }
      throw err;
    }
    if (fed instanceof Error) throw fed;
    if (code !== 0) throw new Error(`${program} exited with ${code}: ${stderr.trim()}`);
    finished = true;
  } finally {
    if (!finished) child.kill();
  }
}

/**
 * xz encoding by the `xz` program (liblzma, the encoder Nix itself links), one thread, so
 * that the output is one xz stream as Nix writes it. No maintained xz encoder runs in
 * JavaScript or WebAssembly in Node 20 (the candidates measured in `bench/compression`
 * encode without match finding, or need Node 22.20); decoding stays with the portable codec.
 */
export const nodeXzCodec: CompressionCodec = {
  name: "xz program",
  compress: (input, options) =>
    throughProgram(input, "xz", ["-c", "-z", "-T1", `-${options.level ?? DEFAULT_XZ_PRESET}`]),
};

/**
 * Installs Node's codecs (brotli, zstd, xz encoding) with `setCompressionCodec`. Call once;
 * the CLI does.
 */
export function installNodeCompression(): void {
  setCompressionCodec("br", nodeBrotliCodec);
  setCompressionCodec("zstd", nodeZstdCodec);
  setCompressionCodec("xz", nodeXzCodec);
}
