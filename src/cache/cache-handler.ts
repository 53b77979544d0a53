/**
 * The cache server as one fetch-style function, `(request: Request) => Promise<Response>`:
 * what Node's `node:http` adapter, a Cloudflare Worker or Deno serve alike.
 *
 * Routes (see {@link cacheRoute}): `GET|HEAD /nix-cache-info`, `/<hash>.narinfo` (signed on
 * the fly with the configured key; when the store gives plain NARs and a compression is
 * configured, the `URL` and `Compression` lines say so and the NAR is compressed while it
 * streams), `/nar/<file>`, `/<hash>.ls`; on a writable store `PUT` of each of them, as
 * `nix copy --to http://...` sends them, and NAR files in parts (`POST|PUT|DELETE
 * /nar/<file>?uploads|uploadId=...`, see `CacheNarPartUploads`: NARs larger than a Worker's
 * request body). Anything else is 404; other methods 405.
 *
 * @module
 */
import { isNixCompatError, LimitExceededError } from "../core/errors.js";
import { formatDigest } from "../core/hash.js";
import { printNarInfo } from "../narinfo/print.js";
import { signNarInfo } from "../narinfo/signatures.js";
import type { NarInfo } from "../narinfo/types.js";
import type { SecretKey } from "../signing/keys.js";
import { type CacheRoute, cacheRoute } from "./cache-routes.js";
import {
  type CachePartTag,
  type CacheStore,
  formatCacheInfo,
  type StoredFile,
} from "./cache-store.js";
import { CacheUploadError } from "./server-errors.js";
import { emptyStream, readUploadBytes } from "./upload-body.js";
import { compressionExtension, type CompressionMethod } from "./compression-method.js";
import { compressionStream } from "./compression-streams.js";
import { bytesResponse, lendingResponse } from "./response-bytes.js";

/** Largest `nix-cache-info` or narinfo upload read (narinfos are a few hundred bytes). */
export const MAX_NARINFO_UPLOAD_BYTES = 1 << 20;

/** Largest part list accepted when a NAR uploaded in parts is completed. */
export const MAX_PART_LIST_BYTES = 1 << 20;

/** Options of {@link createCacheHandler}. */
export interface CacheHandlerOptions {
  /** Where the paths are. */
  readonly store: CacheStore;
  /** Signs every narinfo served (added after the store's own signatures). */
  readonly secretKey?: SecretKey;
  /**
   * Compression of the NARs a store gives uncompressed (the daemon's), applied while they
   * stream (default `none`); the runtime must be able to compress it (`canRunCompression`).
   */
  readonly compression?: CompressionMethod;
  /** `Priority` in `nix-cache-info` (default: the store's). */
  readonly priority?: number;
  /** Accept uploads (`PUT`); the store must have `uploads`. Default false. */
  readonly writable?: boolean;
  /** Path below which the cache answers (default `/`); must end with `/`. */
  readonly prefix?: string;
  /** Called with errors of the store while serving (default: none). */
  readonly onError?: (error: unknown, request: Request) => void;
}

/** A fetch-style handler. */
export type CacheHandler = (request: Request) => Promise<Response>;

const TEXT = "text/plain; charset=utf-8";
/** Methods every URL of a cache takes. */
const READ_METHODS: readonly string[] = ["GET", "HEAD"];
const encoder = new TextEncoder();

function plain(status: number, text: string, head = false): Response {
  const bytes = encoder.encode(text);
  return bytesResponse(head ? null : bytes, {
    status,
    headers: { "content-type": TEXT, "content-length": String(bytes.length) },
  });
}

/**
 * 405 with the `Allow` header RFC 9110 asks for: the methods `allow` lists (those the URL
 * takes here, given the store and whether the handler is writable).
 */
function methodNotAllowed(allow: readonly string[], text: string): Response {
  const bytes = encoder.encode(text);
  return bytesResponse(bytes, {
    status: 405,
    headers: {
      allow: allow.join(", "),
      "content-type": TEXT,
      "content-length": String(bytes.length),
    },
  });
}

function json(value: unknown): Response {
  const bytes = new TextEncoder().encode(JSON.stringify(value));
  return new Response(bytes, {
    headers: { "content-type": "application/json", "content-length": String(bytes.length) },
  });
}

/** The part list of a completion, `{"parts": [{"partNumber": 1, "etag": "..."}, ...]}`. */
function parsePartList(text: string): CachePartTag[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    value = undefined;
  }
  const parts = (value as { parts?: unknown } | undefined)?.parts;
  const valid =
    Array.isArray(parts) &&
    parts.every(
      (p: unknown) =>
        typeof p === "object" &&
        p !== null &&
        Number.isInteger((p as CachePartTag).partNumber) &&
        typeof (p as CachePartTag).etag === "string",
    );
  if (!valid) {
    throw new CacheUploadError(
      "cache.upload-parts",
      'a completion is {"parts": [{"partNumber": N, "etag": "..."}, ...]}',
    );
  }
  return (parts as CachePartTag[]).map((p) => ({ partNumber: p.partNumber, etag: p.etag }));
}

/** The narinfo as served: rewritten for on-the-fly compression, then signed. */
function servedNarInfo(info: NarInfo, options: CacheHandlerOptions): NarInfo {
  let out = info;
  const compression = options.compression ?? "none";
  if ((info.compression ?? "bzip2") === "none" && compression !== "none") {
    out = {
      ...out,
      url: `${info.url}${compressionExtension(compression)}`,
      compression,
      fileHash: undefined,
      fileSize: undefined,
      quirks: { ...out.quirks, fieldOrder: undefined },
    };
  }
  if (options.secretKey !== undefined) out = signNarInfo(out, options.secretKey);
  return out;
}

function fileResponse(
  file: StoredFile,
  type: string,
  head: boolean,
  extra: Record<string, string> = {},
): Response {
  const headers: Record<string, string> = { "content-type": type, ...extra };
  if (file.size !== undefined) headers["content-length"] = String(file.size);
  if (head) return new Response(null, { status: 200, headers });
  const lend = file.lend?.bind(file);
  return lend === undefined
    ? new Response(file.open(), { status: 200, headers })
    : lendingResponse(file.open(), lend, { status: 200, headers });
}

async function readLimitedText(request: Request, limit: number): Promise<string> {
  const declared = request.headers.get("content-length");
  const bytes = await readUploadBytes(
    {
      stream: request.body ?? emptyStream(),
      length: declared === null ? undefined : Number(declared),
    },
    limit,
  );
  return new TextDecoder().decode(bytes);
}

/** Creates the handler of a binary cache over `options.store`. */
export function createCacheHandler(options: CacheHandlerOptions): CacheHandler {
  const { store } = options;
  const prefix = options.prefix ?? "/";
  const compression = options.compression ?? "none";
  // what was printed and signed for a narinfo the store gave: a store that gives the same
  // object again (the daemon store, within its TTL) is answered without printing or signing
  const served = new WeakMap<NarInfo, Uint8Array<ArrayBuffer>>();
  // the methods of a URL without an upload query: PUT where uploads are taken
  const allowedMethods = (): readonly string[] =>
    options.writable && store.uploads !== undefined ? [...READ_METHODS, "PUT"] : READ_METHODS;

  const get = async (route: CacheRoute, head: boolean): Promise<Response> => {
    switch (route.kind) {
      case "cache-info": {
        const info = await store.cacheInfo();
        const bytes = encoder.encode(
          formatCacheInfo({ ...info, priority: options.priority ?? info.priority }),
        );
        return bytesResponse(head ? null : bytes, {
          headers: {
            "content-type": "text/x-nix-cache-info",
            "content-length": String(bytes.length),
          },
        });
      }
      case "narinfo": {
        let bytes: Uint8Array<ArrayBuffer> | undefined;
        if (options.secretKey === undefined && store.narInfoText !== undefined) {
          const text = await store.narInfoText(route.hashPart);
          if (text !== undefined) bytes = encoder.encode(text);
        } else {
          const info = await store.narInfo(route.hashPart);
          if (info !== undefined) {
            bytes = served.get(info);
            if (bytes === undefined) {
              const text = printNarInfo(servedNarInfo(info, options), {
                storeDir: (await store.cacheInfo()).storeDir,
              });
              bytes = encoder.encode(text);
              served.set(info, bytes);
            }
          }
        }
        if (bytes === undefined) return plain(404, "not found\n", head);
        return bytesResponse(head ? null : bytes, {
          headers: { "content-type": "text/x-nix-narinfo", "content-length": String(bytes.length) },
        });
      }
      case "listing": {
        const file = await store.listing(route.hashPart);
        return file === undefined
          ? plain(404, "not found\n", head)
          : fileResponse(file, "application/json", head);
      }
      case "nar": {
        const direct = await store.nar(route.file);
        if (direct !== undefined) return fileResponse(direct, "application/x-nix-nar", head);
        // a plain NAR served compressed: the narinfo named it with the extension added
        const ext = compressionExtension(compression);
        if (ext === "" || !route.file.endsWith(ext)) return plain(404, "not found\n", head);
        const plainNar = await store.nar(route.file.slice(0, -ext.length));
        if (plainNar === undefined || plainNar.compression !== "none")
          return plain(404, "not found\n", head);
        return new Response(
          head ? null : plainNar.open().pipeThrough(compressionStream(compression)),
          {
            headers: { "content-type": "application/x-nix-nar" },
          },
        );
      }
    }
  };

  const put = async (route: CacheRoute, request: Request): Promise<Response> => {
    const uploads = store.uploads;
    if (!options.writable || uploads === undefined)
      return methodNotAllowed(READ_METHODS, "this cache is read-only\n");
    const length = request.headers.get("content-length");
    const body = {
      stream: request.body ?? emptyStream(),
      length: length === null ? undefined : Number(length),
    };
    switch (route.kind) {
      case "cache-info": {
        const text = await readLimitedText(request, MAX_NARINFO_UPLOAD_BYTES);
        const storeDir = /^StoreDir: (.*)$/m.exec(text)?.[1];
        const ours = (await store.cacheInfo()).storeDir;
        if (storeDir !== undefined && storeDir !== ours) {
          return plain(400, `this cache holds paths of ${ours}, not ${storeDir}\n`);
        }
        break;
      }
      case "narinfo":
        await uploads.putNarInfo(
          route.hashPart,
          await readLimitedText(request, MAX_NARINFO_UPLOAD_BYTES),
        );
        break;
      case "listing":
        await uploads.putListing(route.hashPart, body);
        break;
      case "nar":
        await uploads.putNar(route.file, body);
        break;
    }
    return new Response(null, { status: 204 });
  };

  /** A NAR upload in parts (see `CacheNarPartUploads`): `nar/<file>` with a query. */
  const narParts = async (
    file: string,
    query: URLSearchParams,
    request: Request,
  ): Promise<Response> => {
    const parts = store.uploads?.narParts;
    if (!options.writable || parts === undefined)
      return methodNotAllowed(allowedMethods(), "this cache takes no uploads in parts\n");
    const uploadId = query.get("uploadId");
    const method = request.method;
    if (uploadId === null) {
      if (method !== "POST")
        return methodNotAllowed(
          [...READ_METHODS, "POST"],
          "POST nar/<file>?uploads starts an upload\n",
        );
      return json({ uploadId: await parts.begin(file), partSize: parts.partSize });
    }
    switch (method) {
      case "PUT": {
        const length = request.headers.get("content-length");
        const body = {
          stream: request.body ?? emptyStream(),
          length: length === null ? undefined : Number(length),
        };
        return json(await parts.putPart(file, uploadId, Number(query.get("partNumber")), body));
      }
      case "POST": {
        const list = parsePartList(await readLimitedText(request, MAX_PART_LIST_BYTES));
        await parts.complete(file, uploadId, list);
        return new Response(null, { status: 204 });
      }
      case "DELETE":
        await parts.abort(file, uploadId);
        return new Response(null, { status: 204 });
      default:
        return methodNotAllowed(
          [...READ_METHODS, "PUT", "POST", "DELETE"],
          "nar/<file>?uploadId= takes PUT (a part), POST (completes) and DELETE (aborts)\n",
        );
    }
  };

  return async (request: Request): Promise<Response> => {
    let url: URL;
    try {
      url = new URL(request.url);
    } catch {
      return plain(400, "bad request\n");
    }
    const route = cacheRoute(url.pathname, prefix);
    const method = request.method;
    const head = method === "HEAD";
    try {
      if (
        route?.kind === "nar" &&
        !head &&
        method !== "GET" &&
        (url.searchParams.has("uploads") || url.searchParams.has("uploadId"))
      ) {
        return await narParts(route.file, url.searchParams, request);
      }
      if (method === "GET" || head) {
        if (route === undefined) return plain(404, "not found\n", head);
        return await get(route, head);
      }
      if (method === "PUT") {
        if (route === undefined) return plain(404, "not found\n");
        return await put(route, request);
      }
      return methodNotAllowed(allowedMethods(), "method not allowed\n");
    } catch (err) {
      if (isNixCompatError(err) && (method === "PUT" || err.code.startsWith("cache.upload"))) {
        const status = err instanceof LimitExceededError ? 413 : 400;
        // drain nothing more: the body was refused
        await request.body?.cancel().catch(() => undefined);
        return plain(status, `${err.code}: ${err.message}\n`);
      }
      options.onError?.(err, request);
      return plain(500, "internal error\n", head);
    }
  };
}

/** The `URL` a store gives the plain NAR of a path: `nar/<hash part>-<NAR hash>.nar`. */
export function plainNarFile(hashPart: string, info: Pick<NarInfo, "narHash">): string {
  return `${hashPart}-${formatDigest(info.narHash, "nix32")}.nar`;
}
