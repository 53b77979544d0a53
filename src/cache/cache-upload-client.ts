/**
 * Uploading to a writable binary cache over HTTP, as `nix copy --to http://...` does, plus NAR
 * files in parts (`CacheNarPartUploads` of the server): what gets a NAR larger than a Worker's
 * request body limit into a cache through the Worker. Order: the NAR file, then its narinfo
 * (the server publishes the NAR only once the narinfo checks out against it).
 *
 * Parts (a server that has them): `POST nar/<file>?uploads` answers `{uploadId, partSize}`;
 * each part is `PUT nar/<file>?uploadId=ID&partNumber=N` with `partSize` bytes (the last may be
 * shorter), answered `{partNumber, etag}`; `POST nar/<file>?uploadId=ID` with `{"parts": [...]}`
 * completes. Any failure aborts the upload (`DELETE nar/<file>?uploadId=ID`), so the server
 * keeps nothing of it. A server without parts (404 or 405 to the first `POST`) gets the file
 * in one `PUT`.
 *
 * @module
 */
import { byteChunks, type ByteStreamInput } from "../core/byte-stream.js";
import { printNarInfo } from "../narinfo/print.js";
import type { NarInfo } from "../narinfo/types.js";
import { type BinaryCache, cacheFileUrl } from "./binary-cache.js";
import { CacheResponseError } from "./errors.js";
import { readableOf } from "./web-streams.js";

/** The part of `fetch` uploads use (a request body, headers). */
export type UploadFetch = (
  url: string,
  init: {
    method: string;
    body?: Uint8Array | ReadableStream<Uint8Array> | string;
    headers?: Record<string, string>;
    signal?: AbortSignal;
    duplex?: "half";
  },
) => Promise<Response>;

/** Options of {@link uploadNarFile} and {@link uploadNarInfo}. */
export interface CacheUploadOptions {
  /** The `fetch` to use (default: the cache's, which must then take request bodies). */
  readonly fetch?: UploadFetch;
  /** Headers sent with every request (e.g. `authorization`). */
  readonly headers?: Readonly<Record<string, string>>;
  /** Largest part accepted from the server's `partSize` (default 512 MiB: a part is held in memory). */
  readonly maxPartSize?: number;
}

/** Largest part size the client agrees to hold in memory by default: 512 MiB. */
export const MAX_UPLOAD_PART_SIZE = 512 << 20;

/** What {@link uploadNarFile} did. */
export interface NarFileUpload {
  /** Parts sent; 0 when the file went in one `PUT`. */
  readonly parts: number;
  /** Bytes sent. */
  readonly size: number;
}

interface Sender {
  send(
    method: string,
    url: string,
    body?: Uint8Array | ReadableStream<Uint8Array> | string,
  ): Promise<Response>;
}

function sender(cache: BinaryCache, options: CacheUploadOptions): Sender {
  // a cache's fetch is the runtime's (or one shaped like it) unless said otherwise
  const fetch = options.fetch ?? (cache.fetch as UploadFetch);
  return {
    send: (method, url, body) =>
      fetch(url, {
        method,
        ...(body !== undefined && { body }),
        ...(body instanceof ReadableStream && { duplex: "half" as const }),
        headers: { ...options.headers },
        ...(cache.signal && { signal: cache.signal }),
      }),
  };
}

/** The response if successful, else {@link CacheResponseError} `cache.http-status` with its text. */
async function succeeded(res: Response, method: string, url: string): Promise<Response> {
  if (res.ok) return res;
  const text = (await res.text().catch(() => "")).slice(0, 500).trim();
  throw new CacheResponseError(
    "cache.http-status",
    `${method} ${url}: HTTP ${res.status}${text === "" ? "" : ` (${text})`}`,
    res.status,
    url,
  );
}

/** `chunks` cut into arrays of `size` bytes (the last shorter; one empty array for no bytes). */
async function* fixedParts(
  chunks: AsyncIterable<Uint8Array>,
  size: number,
): AsyncGenerator<Uint8Array, void, undefined> {
  let part = new Uint8Array(size);
  let at = 0;
  let any = false;
  for await (let chunk of chunks) {
    while (chunk.length > 0) {
      const take = Math.min(chunk.length, size - at);
      part.set(chunk.subarray(0, take), at);
      at += take;
      chunk = chunk.subarray(take);
      if (at === size) {
        yield part;
        any = true;
        part = new Uint8Array(size);
        at = 0;
      }
    }
  }
  if (at > 0 || !any) yield part.subarray(0, at);
}

/**
 * Uploads the NAR file `nar/<file>` (its compressed bytes in `compressed`, read once) to
 * `cache`, in parts when the server takes parts, else in one `PUT` (see the module comment).
 */
export async function uploadNarFile(
  cache: BinaryCache,
  file: string,
  compressed: ByteStreamInput,
  options: CacheUploadOptions = {},
): Promise<NarFileUpload> {
  const { send } = sender(cache, options);
  const url = cacheFileUrl(cache, `nar/${file}`);
  const started = await send("POST", `${url}?uploads`);
  if (started.status === 404 || started.status === 405) {
    await started.body?.cancel().catch(() => undefined);
    let size = 0;
    const counted = async function* () {
      for await (const chunk of byteChunks(compressed)) {
        size += chunk.length;
        yield chunk;
      }
    };
    const body = readableOf(counted());
    await succeeded(await send("PUT", url, body), "PUT", url).then((r) => r.body?.cancel());
    return { parts: 0, size };
  }
  const begun = (await (await succeeded(started, "POST", `${url}?uploads`)).json()) as {
    uploadId?: unknown;
    partSize?: unknown;
  };
  const { uploadId, partSize } = begun;
  const maxPart = options.maxPartSize ?? MAX_UPLOAD_PART_SIZE;
  if (
    typeof uploadId !== "string" ||
    typeof partSize !== "number" ||
    !Number.isInteger(partSize) ||
    partSize <= 0 ||
    partSize > maxPart
  ) {
    throw new CacheResponseError(
      "cache.bad-upload-answer",
      `POST ${url}?uploads: expected {uploadId, partSize ≤ ${maxPart}}, got ${JSON.stringify(begun).slice(0, 200)}`,
      started.status,
      url,
    );
  }
  const upload = `${url}?uploadId=${encodeURIComponent(uploadId)}`;
  const tags: { partNumber: number; etag: string }[] = [];
  let size = 0;
  try {
    for await (const part of fixedParts(byteChunks(compressed), partSize)) {
      const partUrl = `${upload}&partNumber=${tags.length + 1}`;
      const res = await succeeded(await send("PUT", partUrl, part), "PUT", partUrl);
      const tag = (await res.json()) as { partNumber: number; etag: string };
      tags.push({ partNumber: tags.length + 1, etag: String(tag.etag) });
      size += part.length;
    }
    const done = await send("POST", upload, JSON.stringify({ parts: tags }));
    await (await succeeded(done, "POST", upload)).body?.cancel();
  } catch (err) {
    // nothing of an upload that failed is kept: drop its parts
    await send("DELETE", upload)
      .then((r) => r.body?.cancel())
      .catch(() => undefined);
    throw err;
  }
  return { parts: tags.length, size };
}

/**
 * Uploads the narinfo of `info` (`PUT <hash>.narinfo`), after its NAR file: the server then
 * checks the NAR against it and publishes both, or refuses (`CacheResponseError`, 400).
 */
export async function uploadNarInfo(
  cache: BinaryCache,
  info: NarInfo,
  options: CacheUploadOptions = {},
): Promise<void> {
  const { send } = sender(cache, options);
  const url = cacheFileUrl(cache, `${info.storePath.hash}.narinfo`);
  const text = printNarInfo(info, { storeDir: cache.storeDir });
  await (await succeeded(await send("PUT", url, text), "PUT", url)).body?.cancel();
}
