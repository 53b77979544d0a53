/**
 * The files of a binary cache as keys and bytes (`nix-cache-info`, `<hash>.narinfo`,
 * `<hash>.ls`, `nar/<file>`): what a folder, a map in memory and an R2 bucket all are to
 * {@link createBlobCacheStore}. Keys are checked by the handler's routes before they get here
 * (plus the store's own `.uploads/` prefix for uploads not yet published).
 *
 * @module
 */
import { concatBytes as concatParts } from "../core/bytes.js";
import type { CachePartTag, StoredFile } from "./cache-store.js";

/**
 * Writing one file in parts, each part in its own request (R2's and S3's multipart uploads):
 * nothing is at the key until {@link complete}; {@link abort} drops the parts.
 */
export interface CacheBlobParts {
  /** Starts writing `key` in parts; resolves with the upload's id. */
  begin(key: string): Promise<string>;
  /** Writes part `partNumber` (from 1) of upload `uploadId` of `key`. */
  put(key: string, uploadId: string, partNumber: number, bytes: Uint8Array): Promise<CachePartTag>;
  /** Joins `parts` (in the order given) into the file at `key`. */
  complete(key: string, uploadId: string, parts: readonly CachePartTag[]): Promise<void>;
  /** Drops upload `uploadId` of `key` and its parts. */
  abort(key: string, uploadId: string): Promise<void>;
}

/** A key-value store of files. */
export interface CacheBlobs {
  /** Present when files can be written in parts across requests. */
  readonly parts?: CacheBlobParts;
  /** The file at `key`, if present. */
  get(key: string): Promise<StoredFile | undefined>;
  /**
   * Writes `body` at `key`, replacing what was there. A stream that fails leaves nothing at
   * `key` (the write rejects with its error).
   */
  put(key: string, body: ReadableStream<Uint8Array> | Uint8Array): Promise<void>;
  /** Removes `key` (nothing happens when absent). */
  delete(key: string): Promise<void>;
  /** Moves the file at `from` to `to` (replacing `to`). */
  move(from: string, to: string): Promise<void>;
}

/**
 * A stream that opens its source on the first read: a file answered with a size before its
 * bytes are asked for (HEAD never opens it). Cancelling it cancels the source.
 */
export function lazyStream(
  open: () => Promise<ReadableStream<Uint8Array>>,
): ReadableStream<Uint8Array> {
  let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        reader ??= (await open()).getReader();
        const { done, value } = await reader.read();
        if (done) controller.close();
        else controller.enqueue(value);
      },
      async cancel(reason) {
        await reader?.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
}

/** Files held in a `Map`: for tests, examples and short-lived caches. */
export class MemoryCacheBlobs implements CacheBlobs {
  /** The files, by key. */
  readonly files = new Map<string, Uint8Array>();
  /** Uploads in parts under way: `key` and the parts by number, by upload id. */
  readonly partUploads = new Map<string, { key: string; parts: Map<number, Uint8Array> }>();
  private nextUploadId = 1;

  readonly parts: CacheBlobParts = {
    begin: async (key) => {
      const uploadId = `upload-${this.nextUploadId++}`;
      this.partUploads.set(uploadId, { key, parts: new Map() });
      return uploadId;
    },
    put: async (key, uploadId, partNumber, bytes) => {
      this.partUpload(key, uploadId).parts.set(partNumber, bytes.slice());
      return { partNumber, etag: `${uploadId}-${partNumber}` };
    },
    complete: async (key, uploadId, tags) => {
      const upload = this.partUpload(key, uploadId);
      const parts = tags.map((t) => {
        const part = upload.parts.get(t.partNumber);
        if (part === undefined || t.etag !== `${uploadId}-${t.partNumber}`)
          throw new Error(`no part ${t.partNumber} (${t.etag}) in upload ${uploadId}`);
        return part;
      });
      this.partUploads.delete(uploadId);
      await this.put(key, concatParts(parts));
    },
    abort: async (key, uploadId) => {
      this.partUpload(key, uploadId);
      this.partUploads.delete(uploadId);
    },
  };

  private partUpload(key: string, uploadId: string) {
    const upload = this.partUploads.get(uploadId);
    if (upload === undefined || upload.key !== key)
      throw new Error(`no upload ${uploadId} of ${key}`);
    return upload;
  }

  async get(key: string): Promise<StoredFile | undefined> {
    const bytes = this.files.get(key);
    if (bytes === undefined) return undefined;
    return {
      size: bytes.length,
      open: () =>
        new ReadableStream<Uint8Array>({
          start(controller) {
            if (bytes.length > 0) controller.enqueue(bytes);
            controller.close();
          },
        }),
    };
  }

  async put(key: string, body: ReadableStream<Uint8Array> | Uint8Array): Promise<void> {
    if (body instanceof ReadableStream) {
      const parts: Uint8Array[] = [];
      const reader = body.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        parts.push(value);
      }
      this.files.set(key, concatParts(parts));
    } else {
      this.files.set(key, body.slice());
    }
  }

  async delete(key: string): Promise<void> {
    this.files.delete(key);
  }

  async move(from: string, to: string): Promise<void> {
    const bytes = this.files.get(from);
    if (bytes === undefined) return;
    this.files.delete(from);
    this.files.set(to, bytes);
  }
}
