/**
 * Reading upload bodies with a bound: whole (small texts) or streamed through a counter and a
 * hasher (NARs), refusing more bytes than allowed as soon as they arrive.
 *
 * @module
 */
import { concatBytes } from "../codecs/wire-bytes.js";
import { createHasher } from "../core/hasher.js";
import type { UploadBody } from "./cache-store.js";
import { CacheUploadTooLargeError } from "./server-errors.js";

/** A stream with no bytes. */
export function emptyStream(): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({ start: (c) => c.close() });
}

function tooLarge(limit: number, declared?: number): CacheUploadTooLargeError {
  return new CacheUploadTooLargeError(
    "cache.upload-too-large",
    declared === undefined
      ? `upload is larger than the ${limit} bytes accepted`
      : `upload of ${declared} bytes is larger than the ${limit} bytes accepted`,
  );
}

/** Refuses a body whose declared length exceeds `limit` before a byte is read. */
export function checkDeclaredLength(body: UploadBody, limit: number): void {
  if (body.length !== undefined && body.length > limit) {
    void body.stream.cancel().catch(() => undefined);
    throw tooLarge(limit, body.length);
  }
}

/** The whole body, at most `limit` bytes. */
export async function readUploadBytes(body: UploadBody, limit: number): Promise<Uint8Array> {
  checkDeclaredLength(body, limit);
  const parts: Uint8Array[] = [];
  let total = 0;
  const reader = body.stream.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
    if (total > limit) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge(limit);
    }
    parts.push(value);
  }
  return concatBytes(parts);
}

/** What {@link measuringStream} saw once its output was read to the end. */
export interface Measured {
  /** Bytes that passed. */
  size: number;
  /** Their sha256, set when the stream ended. */
  sha256: Uint8Array | undefined;
}

/**
 * `stream` passed through a sha256 and a byte count; fails with `cache.upload-too-large` past
 * `limit` bytes.
 */
export function measuringStream(
  stream: ReadableStream<Uint8Array>,
  limit: number,
): { stream: ReadableStream<Uint8Array>; measured: Measured } {
  const measured: Measured = { size: 0, sha256: undefined };
  const hasher = createHasher("sha256");
  const counted = stream.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        measured.size += chunk.length;
        if (measured.size > limit) {
          controller.error(tooLarge(limit));
          return;
        }
        hasher.update(chunk);
        controller.enqueue(chunk);
      },
      flush() {
        measured.sha256 = hasher.digest();
      },
    }),
  );
  return { stream: counted, measured };
}

/** What this module uses of Cloudflare Workers' `crypto.DigestStream` (a native sha256 sink). */
interface DigestStreamLike extends WritableStream<Uint8Array> {
  readonly digest: Promise<ArrayBuffer>;
}
type DigestStreamClass = new (algorithm: string) => DigestStreamLike;

/** Workers' `crypto.DigestStream`, where the runtime has it. */
function nativeDigestStream(): DigestStreamClass | undefined {
  const c = (globalThis as { crypto?: { DigestStream?: DigestStreamClass } }).crypto;
  return typeof c?.DigestStream === "function" ? c.DigestStream : undefined;
}

/**
 * Reads `stream` to its end for its size and sha256, failing with `cache.upload-too-large`
 * past `limit` bytes. Where the runtime hashes streams natively (Workers' `crypto.DigestStream`)
 * the bytes are piped into it: the JavaScript sha256 costs a Worker ~6 ms of CPU per MB, more
 * than a large NAR may spend (see bench/cache-worker-parts.mjs); elsewhere `createHasher`.
 */
export async function measureStream(
  stream: ReadableStream<Uint8Array>,
  limit: number,
): Promise<Measured> {
  const Digest = nativeDigestStream();
  if (Digest === undefined) {
    const counted = measuringStream(stream, limit);
    await drain(counted.stream);
    return counted.measured;
  }
  const measured: Measured = { size: 0, sha256: undefined };
  const sink = new Digest("SHA-256");
  await stream
    .pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, controller) {
          measured.size += chunk.length;
          if (measured.size > limit) controller.error(tooLarge(limit));
          else controller.enqueue(chunk);
        },
      }),
    )
    .pipeTo(sink);
  measured.sha256 = new Uint8Array(await sink.digest);
  return measured;
}

/** Reads `stream` to its end, discarding its bytes. */
export async function drain(stream: ReadableStream<Uint8Array>): Promise<void> {
  const reader = stream.getReader();
  for (;;) if ((await reader.read()).done) return;
}
