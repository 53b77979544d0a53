/**
 * The encoder: walks the same declaration as the decoders and writes the bytes.
 *
 * {@link encode} returns the bytes of a value whose payloads are in memory; {@link encodeTo}
 * writes to a {@link ByteSink} and also accepts payloads given as (async) chunk streams with a
 * size. Refinements are checked on the way out, so invalid values are never written.
 *
 * @module
 */
import { byteChunks } from "../core/byte-stream.js";
import { isBytes } from "../core/bytes.js";
import { UsageError, ValidationError } from "../core/errors.js";
import type { AnyCodec, Codec } from "./codec.js";
import { encodeProblemError } from "./codec-errors.js";
import { recordOf } from "./record.js";
import type { PayloadSource } from "./payload.js";
import { DEFAULT_MAX_DEPTH } from "./limits.js";
import { concatBytes, framedBytes, padLength, u64Bytes, utf8Bytes } from "./wire-bytes.js";

/** Where encoded bytes go. `write` may return a promise to apply backpressure. */
export interface ByteSink {
  write(chunk: Uint8Array): void | Promise<void>;
}

interface StreamRequest {
  readonly op: "stream";
  readonly rule: string;
  readonly size: number;
  readonly source: AsyncIterable<Uint8Array>;
}

/** A recursive rule to encode, run by {@link encodeParts} on its own stack. */
interface CallRequest {
  readonly op: "call";
  readonly rule: string;
  readonly node: AnyCodec;
  readonly value: unknown;
  /** The depth limit of the `lazy` rule (a cyclic value must not run forever). */
  readonly max: number;
}

type Out = Uint8Array | StreamRequest;
type Step = Out | CallRequest;
const ZEROS = new Uint8Array(8);

function fail(rule: string, detail: string): never {
  throw new ValidationError("codec.invalid-value", detail, { rule });
}

/** The error for a payload whose announced size is not what it gave (`given` bytes so far). */
export function payloadSizeError(rule: string, size: number, given: number): ValidationError {
  return new ValidationError(
    "codec.invalid-value",
    `payload announced ${size} bytes but gave ${given}`,
    { rule },
  );
}

/** The error for a value nested deeper than the `lazy` rule's limit of `max` levels. */
export function depthError(rule: string, max: number): ValidationError {
  return new ValidationError(
    "codec.invalid-value",
    `nested deeper than the limit of ${max} levels`,
    { rule },
  );
}

function* encodeNode(node: AnyCodec, value: unknown): Generator<Step, void, undefined> {
  switch (node.kind) {
    case "u64": {
      if (typeof value !== "bigint" && typeof value !== "number")
        fail(node.rule, "expected an integer");
      if (typeof value === "number" && (!Number.isSafeInteger(value) || value < 0)) {
        fail(node.rule, `expected a non-negative safe integer, got ${value}`);
      }
      if (typeof value === "bigint" && (value < 0n || value >= 1n << 64n))
        fail(node.rule, "u64 out of range");
      yield u64Bytes(value);
      return;
    }
    case "bool":
      yield u64Bytes(value ? 1 : 0);
      return;
    case "constU64":
      yield node.encoded;
      return;
    case "bytes": {
      const body = node.utf8 ? utf8Bytes(value as string) : (value as Uint8Array);
      if (body.length > node.limit.value) {
        fail(node.rule, `${body.length} bytes exceed the limit ${node.limit.value}`);
      }
      yield framedBytes(body);
      return;
    }
    case "token":
      yield node.encoded;
      return;
    case "payload": {
      const v = value as PayloadSource;
      if (isBytes(v)) {
        yield u64Bytes(v.length);
        yield v;
        const pad = padLength(v.length);
        if (pad) yield ZEROS.subarray(0, pad);
        return;
      }
      yield u64Bytes(v.size);
      const s = v.stream;
      if (isBytes(s) || typeof (s as Iterable<Uint8Array>)[Symbol.iterator] === "function") {
        let n = 0;
        for (const c of isBytes(s) ? [s] : (s as Iterable<Uint8Array>)) {
          n += c.length;
          yield c;
        }
        if (n !== v.size) throw payloadSizeError(node.rule, v.size, n);
      } else {
        yield {
          op: "stream",
          rule: node.rule,
          size: v.size,
          source: byteChunks(s),
        };
      }
      const pad = padLength(v.size);
      if (pad) yield ZEROS.subarray(0, pad);
      return;
    }
    case "record": {
      const obj = value as Record<string, unknown>;
      for (const [key, codec] of node.fields) yield* encodeNode(codec, obj[key]);
      return;
    }
    case "choice": {
      const v = value as { tag: unknown; value: unknown };
      const branch = node.branches.get(String(v.tag));
      if (branch === undefined) fail(node.rule, `unknown alternative ${String(v.tag)}`);
      yield* encodeNode(node.tag, branch.tag);
      yield* encodeNode(branch.codec, v.value);
      return;
    }
    case "repeat": {
      const items = value as readonly unknown[];
      for (let i = 0; i < items.length; i++) {
        if (node.pairwise && i > 0) {
          const p =
            node.key === undefined
              ? node.pairwise(items[i - 1], items[i])
              : node.pairwise(
                  (items[i - 1] as Record<string, unknown>)[node.key],
                  (items[i] as Record<string, unknown>)[node.key],
                );
          if (p !== undefined) throw encodeProblemError(node.rule, p);
        }
        yield node.more.encoded;
        yield* encodeNode(node.item, items[i]);
      }
      yield node.end.encoded;
      return;
    }
    case "terminated": {
      const [headKey, headCodec] = recordOf(node.item).fields[0]!;
      for (const item of value as readonly unknown[]) {
        if ((item as Record<string, unknown>)[headKey] === node.end) {
          fail(node.rule, `an item's '${headKey}' may not be the end marker`);
        }
        yield* encodeNode(node.item, item);
      }
      yield* encodeNode(headCodec, node.end);
      return;
    }
    case "list": {
      const items = value as readonly unknown[];
      yield u64Bytes(items.length);
      for (const item of items) yield* encodeNode(node.item, item);
      return;
    }
    case "optional":
      if (value === undefined) {
        yield u64Bytes(0);
      } else {
        yield u64Bytes(1);
        yield* encodeNode(node.item, value);
      }
      return;
    case "lazy": {
      const max = node.limit?.value ?? DEFAULT_MAX_DEPTH;
      const call: CallRequest = { op: "call", rule: node.rule, node: node.get(), value, max };
      yield call;
      return;
    }
    case "refine": {
      const p = node.check(value);
      if (p !== undefined) throw encodeProblemError(node.rule, p);
      yield* encodeNode(node.inner, value);
      return;
    }
    case "map":
      yield* encodeNode(node.inner, node.encode(value));
      return;
    case "event":
      yield* encodeNode(node.inner, value);
      return;
    case "const":
      return;
  }
}

/**
 * The encoder's output for `value`: the rules `lazy` rules refer to run on an explicit stack,
 * so deep values need no deep JavaScript stack (nor pass each chunk through one generator per
 * level).
 */
function* encodeParts(node: AnyCodec, value: unknown): Generator<Out, void, undefined> {
  const stack: Generator<Step, void, undefined>[] = [encodeNode(node, value)];
  while (stack.length > 0) {
    const r = stack[stack.length - 1]!.next();
    if (r.done) {
      stack.pop();
      continue;
    }
    const c = r.value;
    if (isBytes(c) || c.op !== "call") {
      yield c;
      continue;
    }
    if (stack.length > c.max) throw depthError(c.rule, c.max);
    stack.push(encodeNode(c.node, c.value));
  }
}

/** Encodes `value` to bytes. Payloads must be in memory (or sync iterables). */
export function encode<T>(codec: Codec<T>, value: T): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const c of encodeParts(codec, value)) {
    if (!isBytes(c)) {
      throw new UsageError("codec.async-payload", "encode() got an async payload: use encodeTo()", {
        rule: c.rule,
      });
    }
    parts.push(c);
  }
  return concatBytes(parts);
}

/** Encodes `value` to `sink`, streaming payloads given as async chunk sources. */
export async function encodeTo<T>(codec: Codec<T>, value: T, sink: ByteSink): Promise<void> {
  for (const c of encodeParts(codec, value)) {
    if (isBytes(c)) {
      const w = sink.write(c);
      if (w instanceof Promise) await w;
      continue;
    }
    let n = 0;
    for await (const chunk of c.source) {
      n += chunk.length;
      if (n > c.size) break;
      const w = sink.write(chunk);
      if (w instanceof Promise) await w;
    }
    if (n !== c.size) throw payloadSizeError(c.rule, c.size, n);
  }
}

/** Encodes `value` as an iterable of chunks (views must be consumed before the next one). */
export function* encodeChunks<T>(
  codec: Codec<T>,
  value: T,
): Generator<Uint8Array, void, undefined> {
  for (const c of encodeParts(codec, value)) {
    if (!isBytes(c)) {
      throw new UsageError(
        "codec.async-payload",
        "encodeChunks() got an async payload: use encodeTo()",
        {
          rule: c.rule,
        },
      );
    }
    yield c;
  }
}
