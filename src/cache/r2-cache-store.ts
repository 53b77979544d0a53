/**
 * A binary cache in a Cloudflare R2 bucket, for a Worker: the bucket binding's files as
 * {@link CacheBlobs}, under {@link createBlobCacheStore}.
 *
 * Uploads larger than {@link WORKERS_REQUEST_BODY_LIMIT} (100 MiB, the request body limit of
 * Cloudflare's common plans) never reach a Worker whole: the store refuses such a `PUT` with
 * 413 from its `Content-Length` before reading a byte, and keeps nothing. Such NARs go up in
 * parts instead (the handler's `nar/<file>?uploads` protocol, `CacheNarPartUploads`; the
 * client is `uploadNarFile`, the command `nix-compat cache push`): each part is a request
 * within the limit and an R2 multipart upload part (the bucket binding's
 * `resumeMultipartUpload`), the joined file is hashed against its name on completion, and the
 * narinfo publishes it as any other. A refused or aborted upload is dropped
 * (`abort`); one its client abandoned without aborting holds no object (its parts go with
 * the bucket's lifecycle rule for incomplete multipart uploads). Within the limit a NAR
 * `PUT` streams to R2 in parts ({@link R2_PART_SIZE}, a multipart upload) while its hash is
 * computed, so a Worker never holds more than one part of it.
 *
 * @module
 */
import { createBlobCacheStore, type BlobCacheStoreOptions } from "./blob-cache-store.js";
import { type CacheBlobParts, type CacheBlobs, lazyStream } from "./cache-blobs.js";
import type { CacheStore, CacheUploads, StoredFile } from "./cache-store.js";

/** The request body limit of a Worker on Cloudflare's Free and Pro plans: 100 MiB. */
export const WORKERS_REQUEST_BODY_LIMIT = 100 << 20;
/** Size of the parts a NAR is written to R2 in (R2 wants at least 5 MiB but for the last). */
export const R2_PART_SIZE = 8 << 20;

/** What this store uses of an R2 object. */
export interface R2ObjectLike {
  readonly size: number;
}
/** What this store uses of an R2 object with its body. */
export interface R2ObjectBodyLike extends R2ObjectLike {
  readonly body: ReadableStream<Uint8Array>;
}
/** What this store uses of an R2 multipart upload. */
export interface R2MultipartUploadLike {
  /** Its id (for uploads in parts across requests). */
  readonly uploadId?: string;
  uploadPart(partNumber: number, value: Uint8Array): Promise<{ partNumber: number; etag: string }>;
  complete(parts: { partNumber: number; etag: string }[]): Promise<unknown>;
  abort(): Promise<void>;
}
/** What this store uses of an R2 bucket binding (`env.BUCKET` in a Worker). */
export interface R2BucketLike {
  head(key: string): Promise<R2ObjectLike | null>;
  get(key: string): Promise<R2ObjectBodyLike | null>;
  put(key: string, value: Uint8Array | ReadableStream<Uint8Array>): Promise<unknown>;
  delete(key: string): Promise<void>;
  createMultipartUpload(key: string): Promise<R2MultipartUploadLike>;
  /** Present on R2 bindings: what lets a NAR be uploaded in parts across requests. */
  resumeMultipartUpload?(key: string, uploadId: string): R2MultipartUploadLike;
}

/** Options of {@link createR2CacheStore}. */
export interface R2CacheStoreOptions extends BlobCacheStoreOptions {
  /** Key prefix of the cache in the bucket (default none). */
  readonly keyPrefix?: string;
}

/** Reads up to `size` bytes from `reader` (fewer at the end of the stream), as one array. */
async function readPart(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  carry: Uint8Array[],
  size: number,
): Promise<{ part: Uint8Array; ended: boolean }> {
  const parts = carry.splice(0);
  let total = parts.reduce((n, p) => n + p.length, 0);
  let ended = false;
  while (total < size) {
    const { done, value } = await reader.read();
    if (done) {
      ended = true;
      break;
    }
    parts.push(value);
    total += value.length;
  }
  const part = new Uint8Array(Math.min(total, size));
  let at = 0;
  for (const p of parts) {
    const take = Math.min(p.length, part.length - at);
    part.set(p.subarray(0, take), at);
    at += take;
    if (take < p.length) carry.push(p.subarray(take));
  }
  return { part, ended: ended && carry.length === 0 };
}

/** R2's multipart uploads as {@link CacheBlobParts}. */
function r2Parts(
  bucket: R2BucketLike,
  bucketKey: (key: string) => string,
  resumeUpload: (key: string, uploadId: string) => R2MultipartUploadLike,
): CacheBlobParts {
  const resume = (key: string, uploadId: string) => resumeUpload(bucketKey(key), uploadId);
  return {
    async begin(key) {
      const upload = await bucket.createMultipartUpload(bucketKey(key));
      if (upload.uploadId === undefined) throw new Error("the bucket gave no upload id");
      return upload.uploadId;
    },
    put: (key, uploadId, partNumber, bytes) => resume(key, uploadId).uploadPart(partNumber, bytes),
    async complete(key, uploadId, parts) {
      await resume(key, uploadId).complete([...parts]);
    },
    abort: (key, uploadId) => resume(key, uploadId).abort(),
  };
}

/** An R2 bucket as {@link CacheBlobs}. */
export function r2CacheBlobs(bucket: R2BucketLike, keyPrefix = ""): CacheBlobs {
  const k = (key: string) => `${keyPrefix}${key}`;
  const resume = bucket.resumeMultipartUpload?.bind(bucket);
  return {
    ...(resume && { parts: r2Parts(bucket, k, resume) }),
    async get(key): Promise<StoredFile | undefined> {
      const head = await bucket.head(k(key));
      if (head === null) return undefined;
      return {
        size: head.size,
        open: () =>
          lazyStream(async () => {
            const object = await bucket.get(k(key));
            if (object === null) throw new Error(`${key} vanished from the bucket`);
            return object.body;
          }),
      };
    },
    async put(key, body) {
      if (!(body instanceof ReadableStream)) {
        await bucket.put(k(key), body);
        return;
      }
      const reader = body.getReader();
      const carry: Uint8Array[] = [];
      const first = await readPart(reader, carry, R2_PART_SIZE);
      if (first.ended) {
        await bucket.put(k(key), first.part);
        return;
      }
      const upload = await bucket.createMultipartUpload(k(key));
      try {
        const parts = [await upload.uploadPart(1, first.part)];
        for (;;) {
          const next = await readPart(reader, carry, R2_PART_SIZE);
          if (next.part.length > 0)
            parts.push(await upload.uploadPart(parts.length + 1, next.part));
          if (next.ended || next.part.length < R2_PART_SIZE) break;
        }
        await upload.complete(parts);
      } catch (err) {
        await upload.abort().catch(() => undefined);
        await reader.cancel(err).catch(() => undefined);
        throw err;
      }
    },
    async delete(key) {
      await bucket.delete(k(key));
    },
    async move(from, to) {
      const object = await bucket.get(k(from));
      if (object === null) return;
      await bucket.put(k(to), object.body);
      await bucket.delete(k(from));
    },
  };
}

/**
 * A readable and writable binary cache in an R2 bucket; single-request uploads above
 * {@link WORKERS_REQUEST_BODY_LIMIT} are refused unless `maxNarUploadBytes` says otherwise,
 * and parts are at most that size too (`narPartSize`, default 32 MiB; R2 wants at least 5 MiB).
 */
export function createR2CacheStore(
  bucket: R2BucketLike,
  options: R2CacheStoreOptions = {},
): CacheStore & { readonly uploads: CacheUploads } {
  return createBlobCacheStore(r2CacheBlobs(bucket, options.keyPrefix), {
    ...options,
    maxNarUploadBytes: options.maxNarUploadBytes ?? WORKERS_REQUEST_BODY_LIMIT,
  });
}
