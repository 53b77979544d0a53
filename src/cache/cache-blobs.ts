/**
 * The files of a binary cache as keys and bytes (`nix-cache-info`, `<hash>.narinfo`,
 * `<hash>.ls`, `nar/<file>`): what a folder, a map in memory and an R2 bucket all are to
 * {@link createBlobCacheStore}. Keys are checked by the handler's routes before they get here
 * (plus the store's own `.uploads/` prefix for uploads not yet published).
 *
 * @module
 */
import type { StoredFile } from "./cache-store.js";

/** A key-value store of files. */
export interface CacheBlobs {
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
      let total = 0;
      const reader = body.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        parts.push(value);
        total += value.length;
      }
      const out = new Uint8Array(total);
      let at = 0;
      for (const p of parts) {
        out.set(p, at);
        at += p.length;
      }
      this.files.set(key, out);
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
