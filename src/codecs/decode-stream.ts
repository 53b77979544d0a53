/**
 * The streaming decoders: the same interpreter as the synchronous {@link decode}, driven by an
 * async source of chunks.
 *
 * - {@link decodeEvents} yields the declaration's events as they are decoded; payloads are
 *   {@link PayloadHandle}s to be read before asking for the next event (never buffered).
 *   Repetitions are checked but not collected, so memory stays bounded.
 * - {@link decodeAsync} returns the whole value (payloads buffered, within their limits): for
 *   small messages read from a connection.
 *
 * @module
 */
import { UsageError } from "../core/errors.js";
import { type ByteInput, type ByteReader, readingFrom } from "./byte-reader.js";
import type { Codec } from "./codec.js";
import { limitError, malformedError, truncatedError } from "./codec-errors.js";
import { type DecodeOptions, decodeRoot, newState, type ResumeFrame } from "./decode.js";
import type { DecodeEvent } from "./event.js";
import type { PayloadHandle } from "./payload.js";
import { allZero, concatBytes, copyBytes, padLength } from "./wire-bytes.js";

/** @internal A payload handed out and not yet passed. */
export interface Pending {
  remaining: number;
  readonly pad: number;
  readonly rule: string;
  readonly end: number;
  closed: boolean;
}

/** Default maximum size of a payload that {@link decodeAsync} buffers: 256 MiB. */
export const DEFAULT_MAX_BUFFERED_PAYLOAD = 256 << 20;

/** Options of the streaming decoders. */
export interface StreamDecodeOptions extends Omit<DecodeOptions, "onEvent"> {
  /**
   * Maximum size of a payload {@link decodeAsync} holds in memory (default
   * {@link DEFAULT_MAX_BUFFERED_PAYLOAD}); {@link decodeEvents} never buffers payloads.
   */
  readonly maxBufferedPayload?: number;
}

/** @internal The input ended inside a payload's contents, at `at`, `remaining` bytes short. */
export function payloadTruncatedError(rule: string, at: number, remaining: number): Error {
  return truncatedError(rule, at, `${remaining} more bytes of payload`);
}

/** @internal Checks a payload's padding `b` (`undefined`: the input ended) read at `at`. */
export function checkPayloadPadding(
  b: Uint8Array | undefined,
  pad: number,
  rule: string,
  at: number,
): void {
  if (b === undefined) throw truncatedError(rule, at, `${pad} bytes of padding`);
  if (!allZero(b))
    throw malformedError(rule, at, "nonzero-padding", "padding of a payload is not zero");
}

/** @internal The error for bytes after a whole value, at `at`. */
export function trailingDataError(rule: string, at: number): Error {
  return malformedError(rule, at, "trailing-data", "expected the end of the input, got more bytes");
}

async function finish(reader: ByteReader, base: number, p: Pending): Promise<void> {
  p.closed = true;
  if (p.remaining > 0) {
    const at = reader.offset - base;
    if (!(await reader.skip(p.remaining))) throw payloadTruncatedError(p.rule, at, p.remaining);
    p.remaining = 0;
  }
  if (p.pad > 0) {
    const at = reader.offset - base;
    checkPayloadPadding(reader.tryRead(p.pad) ?? (await reader.read(p.pad)), p.pad, p.rule, at);
  }
}

/** @internal {@link finish} for synchronous readers (the replay of `decode-resumable.ts`). */
export function finishSync(reader: ByteReader, base: number, p: Pending): void {
  p.closed = true;
  if (p.remaining > 0) {
    const at = reader.offset - base;
    if (!reader.skipSync(p.remaining)) throw payloadTruncatedError(p.rule, at, p.remaining);
    p.remaining = 0;
  }
  if (p.pad > 0) {
    const at = reader.offset - base;
    checkPayloadPadding(reader.tryRead(p.pad) ?? reader.readSync(p.pad), p.pad, p.rule, at);
  }
}

function payloadStream(reader: ByteReader, base: number, p: Pending): AsyncIterable<Uint8Array> {
  return {
    async *[Symbol.asyncIterator]() {
      while (p.remaining > 0) {
        if (p.closed)
          throw new UsageError("codec.payload-closed", "payload read after decoding moved on");
        const at = reader.offset - base;
        const c = await reader.readUpTo(p.remaining);
        if (c === undefined) throw payloadTruncatedError(p.rule, at, p.remaining);
        p.remaining -= c.length;
        yield c;
      }
    },
  };
}

function run<T>(
  codec: Codec<T>,
  input: ByteInput,
  options: StreamDecodeOptions,
  streaming: boolean,
): AsyncGenerator<DecodeEvent, T, undefined> {
  return readingFrom(input, (reader) => runReader(codec, reader, options, streaming));
}

async function* runReader<T>(
  codec: Codec<T>,
  reader: ByteReader,
  options: StreamDecodeOptions,
  streaming: boolean,
): AsyncGenerator<DecodeEvent, T, undefined> {
  const base = reader.offset;
  const st = newState(options, streaming);
  const gen = decodeRoot(st, codec);
  let pending: Pending | undefined;
  let r = gen.next();
  while (!r.done) {
    const ins = r.value;
    if (typeof ins === "number") {
      if (pending !== undefined) {
        await finish(reader, base, pending);
        pending = undefined;
      }
      const v = reader.tryRead(ins) ?? (await reader.read(ins));
      if (v === undefined)
        throw truncatedError(st.rule, st.offset, `${st.expected} (${ins} bytes)`);
      st.offset = reader.offset - base;
      r = gen.next(v);
    } else if (ins.op === "payload") {
      if (pending !== undefined) {
        await finish(reader, base, pending);
        pending = undefined;
      }
      const offset = reader.offset - base;
      const pad = padLength(ins.size);
      if (!streaming) {
        // Buffered payloads grow only as bytes actually arrive (a hostile length cannot make
        // us allocate), within their own limit.
        const max = options.maxBufferedPayload ?? DEFAULT_MAX_BUFFERED_PAYLOAD;
        if (ins.size > max) {
          throw limitError(ins.rule, offset - 8, "codec.buffered-payload", max, ins.size);
        }
        const parts: Uint8Array[] = [];
        let left = ins.size;
        while (left > 0) {
          const at = reader.offset - base;
          const c = await reader.readUpTo(left);
          if (c === undefined) throw truncatedError(ins.rule, at, `${left} more bytes of payload`);
          parts.push(copyBytes(c));
          left -= c.length;
        }
        const copy = parts.length === 1 ? parts[0]! : concatBytes(parts);
        await finish(reader, base, { remaining: 0, pad, rule: ins.rule, end: 0, closed: false });
        st.offset = reader.offset - base;
        r = gen.next(copy);
        continue;
      }
      const p: Pending = {
        remaining: ins.size,
        pad,
        rule: ins.rule,
        end: offset + ins.size + pad,
        closed: false,
      };
      pending = p;
      st.offset = p.end;
      const handle: PayloadHandle = {
        size: ins.size,
        offset,
        stream: payloadStream(reader, base, p),
      };
      r = gen.next(handle);
    } else {
      yield ins.event;
      r = gen.next();
    }
  }
  if (pending !== undefined) await finish(reader, base, pending);
  if (!options.allowTrailing && !(await reader.atEnd())) {
    throw trailingDataError(codec.rule, reader.offset - base);
  }
  return r.value as T;
}

/**
 * @internal A point of a decode to resume the interpreter at: the byte offset (from the start
 * of the value), the depth of recursive rules, and the frames of the composite nodes it is
 * inside, outermost first (none: the start of the value).
 */
export interface ResumePoint {
  readonly offset: number;
  readonly depth: number;
  readonly frames: readonly ResumeFrame[];
}

/**
 * @internal {@link decodeEvents} run synchronously to its error over a synchronous reader,
 * events dropped: what `decode-resumable.ts` runs when its compiled code declines, so the
 * error is the interpreter's. Returns `undefined` when the input decodes without error.
 * With `from`, the reader's bytes start at that point of the value and the decode resumes
 * there (offsets in errors counted from the value's start).
 */
export function streamingErrorSync<T>(
  codec: Codec<T>,
  reader: ByteReader,
  options: StreamDecodeOptions,
  from?: ResumePoint,
): unknown {
  try {
    const base = reader.offset - (from?.offset ?? 0);
    const st = newState(options, true);
    if (from !== undefined) {
      st.offset = from.offset;
      st.depth = from.depth;
      if (from.frames.length > 0) st.resume = from.frames;
    }
    const gen = decodeRoot(st, codec);
    let pending: Pending | undefined;
    let r = gen.next();
    while (!r.done) {
      const ins = r.value;
      if (typeof ins === "number") {
        if (pending !== undefined) {
          finishSync(reader, base, pending);
          pending = undefined;
        }
        const v = reader.tryRead(ins) ?? reader.readSync(ins);
        if (v === undefined)
          throw truncatedError(st.rule, st.offset, `${st.expected} (${ins} bytes)`);
        st.offset = reader.offset - base;
        r = gen.next(v);
      } else if (ins.op === "payload") {
        if (pending !== undefined) {
          finishSync(reader, base, pending);
          pending = undefined;
        }
        const offset = reader.offset - base;
        const pad = padLength(ins.size);
        pending = {
          remaining: ins.size,
          pad,
          rule: ins.rule,
          end: offset + ins.size + pad,
          closed: false,
        };
        st.offset = pending.end;
        r = gen.next({
          size: ins.size,
          offset,
          stream: { [Symbol.asyncIterator]: () => undefined },
        });
      } else r = gen.next();
    }
    if (pending !== undefined) finishSync(reader, base, pending);
    if (!options.allowTrailing && !reader.atEndSync()) {
      throw trailingDataError(codec.rule, reader.offset - base);
    }
    return undefined;
  } catch (error) {
    return error;
  }
}

/**
 * Decodes `codec` from a stream, yielding its events as they are met. The generator's return
 * value is the decoded value (with payloads as handles and repetitions left empty unless
 * declared `collectWhenStreaming`). A payload must be read before asking for the next event.
 */
export function decodeEvents<T>(
  codec: Codec<T>,
  input: ByteInput,
  options: StreamDecodeOptions = {},
): AsyncGenerator<DecodeEvent, T, undefined> {
  return run(codec, input, options, true);
}

/**
 * Decodes one whole value of `codec` from a stream (payloads buffered within their limits).
 * Pass a {@link ByteReader} with `allowTrailing: true` to decode several values in turn.
 */
export async function decodeAsync<T>(
  codec: Codec<T>,
  input: ByteInput,
  options: StreamDecodeOptions = {},
): Promise<T> {
  const g = run(codec, input, options, false);
  for (;;) {
    const r = await g.next();
    if (r.done) return r.value;
  }
}
