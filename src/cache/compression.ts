/**
 * Decompression and compression of binary-cache files as transforms of async iterables of
 * `Uint8Array` chunks, with bounded memory: output is made as input is pulled, and nothing is
 * read ahead of what the decoder needs.
 *
 * Which code runs for each method is in `codec-registry.ts` (portable defaults: xz by
 * xz-embedded in WebAssembly, zstd by fzstd, bzip2 by unbzip2-stream's decoder, brotli by the
 * runtime's `DecompressionStream`; `installNodeCompression` from `nix-compat/cache/node` adds
 * `node:zlib` and native encoders in Node). Decoder failures become typed errors: a stream
 * that ends early is {@link CompressedDataTruncatedError} `cache.compressed-data-truncated`,
 * anything else the decoder refuses is {@link CompressedDataError}
 * `cache.compressed-data-corrupt`, bytes after the end of the compressed stream are
 * `cache.trailing-data`; `offset` is how many compressed bytes had been read.
 *
 * @module
 */
import {
  byteChunks,
  type ByteStreamInput,
  chunkSourceOf,
  finishSource,
} from "../core/byte-stream.js";
import { isNixCompatError } from "../core/errors.js";
import { bzip2Codec } from "./codec-bzip2.js";
import { runtimeBrotliCodec } from "./codec-brotli.js";
import {
  type CompressionCodec,
  type CompressOptions,
  installedCompressionCodec,
} from "./codec-registry.js";
import { runtimeXzCodec } from "./codec-xz.js";
import { zstdCodec } from "./codec-zstd.js";
import type { CompressionMethod } from "./compression-method.js";
import { parseCompressionMethod } from "./compression-method.js";
import {
  CompressedDataError,
  CompressedDataTruncatedError,
  CompressionUnsupportedError,
} from "./errors.js";

/** Options of {@link decompress}. */
export interface DecompressOptions {
  /** Named in error messages (e.g. the URL the file came from). */
  readonly file?: string;
}

const identity: CompressionCodec = {
  name: "none",
  decompress: (input) => input,
  compress: (input) => input,
};

function builtinCodec(method: CompressionMethod): CompressionCodec {
  switch (method) {
    case "none":
      return identity;
    case "xz":
      return runtimeXzCodec();
    case "zstd":
      return zstdCodec;
    case "bzip2":
      return bzip2Codec;
    case "br":
      return runtimeBrotliCodec();
  }
}

/** The codec that runs for `method`: the installed one's halves, else the built-in's. */
export function compressionCodec(method: CompressionMethod): CompressionCodec {
  const builtin = builtinCodec(method);
  const installed = installedCompressionCodec(method);
  if (installed === undefined) return builtin;
  const decompress = installed.decompress ?? builtin.decompress;
  const compress = installed.compress ?? builtin.compress;
  const truncation = installed.decompress ? installed.truncation : builtin.truncation;
  return {
    name: installed.name,
    ...(truncation && { truncation }),
    ...(decompress && { decompress }),
    ...(compress && { compress }),
  };
}

/** True when this runtime can decompress (`"decompress"`) or compress `method`. */
export function canRunCompression(method: string, direction: "decompress" | "compress"): boolean {
  try {
    return compressionCodec(parseCompressionMethod(method))[direction] !== undefined;
  } catch {
    return false;
  }
}

function unsupported(method: CompressionMethod, direction: string): CompressionUnsupportedError {
  return new CompressionUnsupportedError(
    "cache.compression-unsupported",
    `this runtime cannot ${direction} ${method} (install a codec with setCompressionCodec` +
      `${method === "br" || method === "zstd" || method === "xz" ? ", or installNodeCompression() in Node" : ""})`,
  );
}

/**
 * The plain bytes of `input`, compressed with `method` (a {@link CompressionMethod} or the
 * text of a narinfo's `Compression`), as an async generator of chunks. Stopping early
 * cancels `input`. Errors: see the module comment; an unknown or unavailable method is
 * {@link CompressionUnsupportedError}, thrown on the first pull.
 */
export async function* decompress(
  method: CompressionMethod | string,
  input: ByteStreamInput,
  options: DecompressOptions = {},
): AsyncGenerator<Uint8Array, void, undefined> {
  const m = parseCompressionMethod(method);
  const codec = compressionCodec(m);
  const decode = codec.decompress;
  if (decode === undefined) throw unsupported(m, "decompress");
  if (m === "none") {
    yield* byteChunks(input);
    return;
  }
  // count what the decoder reads, and whether the input ran out, to tell truncation apart;
  // the source is cancelled from here when we stop early, even while the decoder waits on it
  let offset = 0;
  let ended = false;
  let complete = false;
  const source = chunkSourceOf(input);
  async function* counted(): AsyncGenerator<Uint8Array, void, undefined> {
    for (;;) {
      const chunk = await source.next();
      if (chunk === undefined) {
        ended = true;
        return;
      }
      offset += chunk.length;
      yield chunk;
    }
  }
  try {
    for await (const chunk of decode(counted())) if (chunk.length > 0) yield chunk;
    // the decoder stopped at the end of its stream: anything after it is not its data
    while (!ended) {
      const chunk = await source.next();
      if (chunk === undefined) break;
      if (chunk.length > 0) {
        throw new CompressedDataError(
          "cache.trailing-data",
          `data after the end of the ${m} stream`,
          {
            file: options.file,
            offset,
          },
        );
      }
    }
    complete = true;
  } catch (err) {
    if (isNixCompatError(err)) throw err;
    const reason = err instanceof Error ? err.message : String(err);
    const where = { file: options.file, offset, cause: err };
    if (ended && (codec.truncation?.(err) ?? true)) {
      throw new CompressedDataTruncatedError(
        "cache.compressed-data-truncated",
        `${m} data ends before its stream is complete (${reason})`,
        where,
      );
    }
    throw new CompressedDataError(
      "cache.compressed-data-corrupt",
      `corrupt ${m} data (${reason})`,
      where,
    );
  } finally {
    await finishSource(source, !complete);
  }
}

/**
 * `input` compressed with `method`, as an async generator of chunks. `none` hands the chunks
 * on as they are. A method this runtime cannot compress is {@link CompressionUnsupportedError}.
 */
export async function* compress(
  method: CompressionMethod | string,
  input: ByteStreamInput,
  options: CompressOptions = {},
): AsyncGenerator<Uint8Array, void, undefined> {
  const m = parseCompressionMethod(method);
  const encode = compressionCodec(m).compress;
  if (encode === undefined) throw unsupported(m, "compress");
  for await (const chunk of encode(byteChunks(input), options)) if (chunk.length > 0) yield chunk;
}
