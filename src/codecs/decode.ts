/**
 * The decoding interpreter and the synchronous decoder.
 *
 * One interpreter walks a codec declaration as a generator that asks its driver for bytes; the
 * synchronous driver ({@link decode}) serves them from a `Uint8Array`, the streaming driver
 * (`decode-stream.ts`) from an async source. So both decoders follow the very same rules.
 *
 * @module
 */
import type { AnyCodec, Codec, ConstU64Node, RecordNode, TokenNode } from "./codec.js";
import { recordOf } from "./record.js";
import { limitError, malformedError, problemError, quote, truncatedError } from "./codec-errors.js";
import type { DecodeEvent } from "./event.js";
import {
  DEFAULT_MAX_DEPTH,
  DEPTH_LIMIT_NAME,
  effectiveLimit,
  type LimitOverrides,
} from "./limits.js";
import {
  allZero,
  bytesEqual,
  copyBytes,
  padLength,
  readU64,
  readU64Number,
  utf8Text,
} from "./wire-bytes.js";

/** Options of the decoders. */
export interface DecodeOptions {
  /** Overrides of named limits (see each codec's limit name). */
  readonly limits?: LimitOverrides;
  /** Accept bytes after the value (default false: trailing bytes are an error). */
  readonly allowTrailing?: boolean;
  /** Called for each event rule completed (synchronous decoder only). */
  readonly onEvent?: (event: DecodeEvent) => void;
}

/** @internal A request for a payload. */
export interface PayloadRequest {
  readonly op: "payload";
  readonly size: number;
  readonly rule: string;
}
/** @internal An event for the consumer. */
export interface EventRequest {
  readonly op: "event";
  readonly event: DecodeEvent;
}
/**
 * @internal A recursive rule to decode: the interpreter does not recurse on the JavaScript
 * stack for `lazy` rules; {@link decodeRoot} keeps the pending rules on a stack of its own, so
 * the depth of a value is bounded by its limit, never by the call stack.
 */
export interface CallRequest {
  readonly op: "call";
  readonly node: AnyCodec;
}
/** @internal What the interpreter asks its driver: `n` bytes, a payload, or to pass an event. */
export type Instruction = number | PayloadRequest | EventRequest;
type Step = Instruction | CallRequest;

/**
 * @internal Where a resumed decode goes on inside one composite node: what the interpreter's
 * frame of that node holds at a point between two reads (see {@link DecodeState.resume}), so a
 * decode can start at a checkpoint instead of at the first byte (`decode-resumable.ts` keeps one
 * and replays only the bytes since it).
 */
export interface ResumeFrame {
  /** The node this frame belongs to (checked when the frame is taken). */
  readonly node: AnyCodec;
  /**
   * record: the field decoded next; repeat, terminated and list: -1 before the next marker
   * (head, item), else inside the current item at this field of its record (a keyed repeat's
   * or a terminated item's fields) or 0 (a plain item).
   */
  readonly index: number;
  /** repeat, terminated, list: items begun so far. */
  readonly count: number;
  /** list: how many items it has. */
  readonly total: number;
  /** repeat: the previous item (or key) for the pairwise check. */
  readonly prev: unknown;
  /** choice: the key of the branch being decoded. */
  readonly branch: string | undefined;
}

/** @internal State shared by the interpreter and its driver. */
export interface DecodeState {
  /** Bytes consumed so far (kept up to date by the driver). */
  offset: number;
  /** Rule of the pending byte request (for truncation errors). */
  rule: string;
  /** What the pending byte request is for. */
  expected: string;
  depth: number;
  readonly maxDepth: number;
  readonly limits: LimitOverrides | undefined;
  readonly streaming: boolean;
  /**
   * Frames of a resumed decode not taken yet, outermost first (`undefined`: decoding from the
   * start, or all taken): each composite node the decode enters takes the next one and starts
   * where it says; the node it then enters is the next one on the resumed path.
   */
  resume?: readonly ResumeFrame[] | undefined;
  /** Index of the next frame in {@link DecodeState.resume}. */
  resumeAt?: number;
}

/** The next frame of a resumed decode when `node` is on its path, else `undefined`. */
function resumeFrame(st: DecodeState, node: AnyCodec): ResumeFrame | undefined {
  const frames = st.resume;
  if (frames === undefined) return undefined;
  const at = st.resumeAt ?? 0;
  const f = frames[at]!;
  if (f.node !== node) throw new Error(`resumed decode: frame of ${f.node.rule} met ${node.rule}`);
  st.resumeAt = at + 1;
  if (at + 1 >= frames.length) st.resume = undefined;
  return f;
}

/** @internal Creates the interpreter state. */
export function newState(options: DecodeOptions, streaming: boolean): DecodeState {
  return {
    offset: 0,
    rule: "",
    expected: "",
    depth: 0,
    maxDepth: options.limits?.[DEPTH_LIMIT_NAME] ?? DEFAULT_MAX_DEPTH,
    limits: options.limits,
    streaming,
  };
}

type Gen<T> = Generator<Step, T, unknown>;

function* readBytes(st: DecodeState, n: number, rule: string, expected: string): Gen<Uint8Array> {
  st.rule = rule;
  st.expected = expected;
  return (yield n) as Uint8Array;
}

function* readLength(
  st: DecodeState,
  rule: string,
  what: string,
  limitName: string = rule,
): Gen<number> {
  const start = st.offset;
  const b = yield* readBytes(st, 8, rule, what);
  const n = readU64Number(b, 0);
  if (n < 0) throw limitError(rule, start, limitName, Number.MAX_SAFE_INTEGER, readU64(b, 0));
  return n;
}

function* readPadded(st: DecodeState, len: number, rule: string, what: string): Gen<Uint8Array> {
  const pad = padLength(len);
  const start = st.offset;
  const b = yield* readBytes(
    st,
    len + pad,
    rule,
    `${len} bytes of ${what} and ${pad} bytes of padding`,
  );
  if (pad !== 0 && !allZero(b.subarray(len))) {
    throw malformedError(rule, start + len, "nonzero-padding", `padding of ${what} is not zero`);
  }
  return b.subarray(0, len);
}

/** @internal Reads one of the given tokens; returns its index. */
export function* readTokenAmong(
  st: DecodeState,
  tokens: readonly TokenNode[],
  rule: string,
): Gen<number> {
  const start = st.offset;
  const len = yield* readLength(st, rule, "a token");
  let lengthOk = false;
  for (let i = 0; i < tokens.length; i++) if (tokens[i]!.body.length === len) lengthOk = true;
  const expected = lengthOk ? "" : tokens.map((t) => quote(t.text)).join(" or ");
  if (!lengthOk) {
    throw malformedError(
      rule,
      start,
      "unexpected-token",
      `expected ${expected}, got a string of ${len} bytes`,
    );
  }
  const body = yield* readPadded(st, len, rule, "a token");
  for (let i = 0; i < tokens.length; i++) if (bytesEqual(tokens[i]!.body, body)) return i;
  throw malformedError(
    rule,
    start,
    "unexpected-token",
    `expected ${tokens.map((t) => quote(t.text)).join(" or ")}, got ${quote(utf8Text(body))}`,
  );
}

/** @internal The interpreter: decodes one value of `node`. */
export function* decodeNode(st: DecodeState, node: AnyCodec): Gen<unknown> {
  switch (node.kind) {
    case "u64": {
      const start = st.offset;
      const b = yield* readBytes(st, 8, node.rule, "a u64");
      if (!node.asNumber) return readU64(b, 0);
      const n = readU64Number(b, 0);
      const max = node.limit ? effectiveLimit(node.limit, st.limits) : Number.MAX_SAFE_INTEGER;
      if (n < 0 || n > max) {
        throw limitError(node.rule, start, node.limit?.name ?? node.rule, max, readU64(b, 0));
      }
      return n;
    }
    case "bool": {
      const start = st.offset;
      const b = yield* readBytes(st, 8, node.rule, "a boolean");
      const v = readU64(b, 0);
      if (v > 1n)
        throw malformedError(node.rule, start, "invalid-bool", `expected 0 or 1, got ${v}`);
      return v === 1n;
    }
    case "constU64": {
      const start = st.offset;
      const b = yield* readBytes(st, 8, node.rule, `the constant ${node.value}`);
      const v = readU64(b, 0);
      if (v !== node.value) {
        throw malformedError(
          node.rule,
          start,
          "unexpected-value",
          `expected ${node.value} (0x${node.value.toString(16)}), got ${v}`,
        );
      }
      return undefined;
    }
    case "bytes": {
      const start = st.offset;
      const len = yield* readLength(st, node.rule, "a string", node.limit.name);
      const max = effectiveLimit(node.limit, st.limits);
      if (len > max) throw limitError(node.rule, start, node.limit.name, max, len);
      const body = yield* readPadded(st, len, node.rule, "a string");
      return node.utf8 ? utf8Text(body) : copyBytes(body);
    }
    case "token": {
      yield* readTokenAmong(st, [node], node.rule);
      return undefined;
    }
    case "payload": {
      const start = st.offset;
      const len = yield* readLength(st, node.rule, "a payload", node.limit.name);
      const max = effectiveLimit(node.limit, st.limits);
      if (len > max) throw limitError(node.rule, start, node.limit.name, max, len);
      st.rule = node.rule;
      st.expected = "a payload";
      const req: PayloadRequest = { op: "payload", size: len, rule: node.rule };
      return yield req;
    }
    case "record":
      return yield* decodeRecord(st, node);
    case "choice": {
      const start = st.offset;
      const resumed = resumeFrame(st, node);
      let key: string;
      let tag: unknown;
      if (resumed !== undefined) key = resumed.branch!;
      else if (node.tagLengths !== undefined) {
        const len = yield* readLength(st, node.rule, "a tag");
        if (!node.tagLengths.has(len)) {
          const expected = [...node.branches.keys()].map(quote).join(" or ");
          throw malformedError(
            node.rule,
            start,
            "unexpected-token",
            `expected ${expected}, got a string of ${len} bytes`,
          );
        }
        key = utf8Text(yield* readPadded(st, len, node.rule, "a tag"));
        tag = key;
      } else {
        tag = yield* decodeNode(st, node.tag);
        key = String(tag);
      }
      const branch = node.branches.get(key);
      if (branch === undefined) {
        const expected = [...node.branches.keys()].map(quote).join(" or ");
        throw malformedError(
          node.rule,
          start,
          node.tagLengths ? "unexpected-token" : "unknown-tag",
          `expected ${expected}, got ${quote(key)}`,
        );
      }
      const value = yield* decodeNode(st, branch.codec);
      return { tag: branch.tag, value };
    }
    case "repeat": {
      const items: unknown[] = [];
      const keep = !st.streaming || node.collectWhenStreaming;
      const max = node.limit ? effectiveLimit(node.limit, st.limits) : Number.POSITIVE_INFINITY;
      const more = node.more;
      const end = node.end;
      const tokens = more.kind === "token" && end.kind === "token" ? [more, end] : undefined;
      const keyed = node.key !== undefined ? recordOf(node.item) : undefined;
      const resumed = resumeFrame(st, node);
      let prev: unknown = resumed?.prev;
      let count = resumed?.count ?? 0;
      // a resumed decode inside an item starts at this field of it (-1: at the next marker)
      let from = resumed?.index ?? -1;
      for (;;) {
        const start = st.offset;
        let which: number;
        if (from >= 0) which = 0;
        else if (tokens !== undefined) which = yield* readTokenAmong(st, tokens, node.rule);
        else {
          const b = yield* readBytes(st, 8, node.rule, "a u64 marker");
          const v = readU64(b, 0);
          which =
            v === (end as ConstU64Node).value ? 1 : v === (more as ConstU64Node).value ? 0 : -1;
          if (which < 0) {
            throw malformedError(
              node.rule,
              start,
              "unexpected-value",
              `expected ${(more as ConstU64Node).value} or ${(end as ConstU64Node).value}, got ${v}`,
            );
          }
        }
        if (which === 1) break;
        if (from < 0 && ++count > max)
          throw limitError(node.rule, start, node.limit!.name, max, count);
        const itemStart = st.offset;
        const first = from < 0 ? 0 : from;
        from = -1;
        let item: unknown;
        if (keyed !== undefined) {
          // Check the key as soon as it is decoded, before the rest of the item.
          const out: Record<string, unknown> = {};
          for (let f = first; f < keyed.fields.length; f++) {
            const [k, codec] = keyed.fields[f]!;
            const v = yield* decodeNode(st, codec);
            if (v !== undefined) out[k] = v;
            if (k === node.key) {
              if (count > 1 && node.pairwise) {
                const p = node.pairwise(prev, v);
                if (p !== undefined) throw problemError(node.rule, itemStart, p);
              }
              prev = v;
            }
          }
          item = out;
        } else {
          item = yield* decodeNode(st, node.item);
          if (node.pairwise && count > 1) {
            const p = node.pairwise(prev, item);
            if (p !== undefined) throw problemError(node.rule, itemStart, p);
          }
          prev = item;
        }
        if (keep) items.push(item);
      }
      return items;
    }
    case "terminated": {
      const { fields } = recordOf(node.item);
      const [headKey, headCodec] = fields[0]!;
      const max = effectiveLimit(node.limit, st.limits);
      const items: unknown[] = [];
      const resumed = resumeFrame(st, node);
      // items finished (a resumed decode inside an item: the one begun is not)
      let count =
        resumed === undefined ? 0 : resumed.index >= 0 ? resumed.count - 1 : resumed.count;
      let from = resumed?.index ?? -1;
      for (;;) {
        const out: Record<string, unknown> = {};
        if (from < 0) {
          const start = st.offset;
          const head = yield* decodeNode(st, headCodec);
          if (head === node.end) return items;
          if (count >= max) throw limitError(node.rule, start, node.limit.name, max, count + 1);
          if (head !== undefined) out[headKey] = head;
        }
        for (let i = from < 0 ? 1 : from; i < fields.length; i++) {
          const [k, codec] = fields[i]!;
          const v = yield* decodeNode(st, codec);
          if (v !== undefined) out[k] = v;
        }
        from = -1;
        count++;
        items.push(out);
      }
    }
    case "list": {
      const resumed = resumeFrame(st, node);
      let n: number;
      let i = 0;
      if (resumed !== undefined) {
        n = resumed.total;
        // items begun: inside an item, that one is decoded again from where it was
        i = resumed.index >= 0 ? resumed.count - 1 : resumed.count;
      } else {
        const start = st.offset;
        const b = yield* readBytes(st, 8, node.rule, "the item count of a list");
        n = readU64Number(b, 0);
        const max = effectiveLimit(node.limit, st.limits);
        if (n < 0 || n > max)
          throw limitError(node.rule, start, node.limit.name, max, readU64(b, 0));
      }
      const items: unknown[] = [];
      for (; i < n; i++) items.push(yield* decodeNode(st, node.item));
      return items;
    }
    case "optional": {
      if (resumeFrame(st, node) !== undefined) return yield* decodeNode(st, node.item);
      const start = st.offset;
      const b = yield* readBytes(st, 8, node.rule, "the presence flag of an optional value");
      const v = readU64(b, 0);
      if (v > 1n)
        throw malformedError(node.rule, start, "invalid-bool", `expected 0 or 1, got ${v}`);
      return v === 1n ? yield* decodeNode(st, node.item) : undefined;
    }
    case "lazy": {
      const max = node.limit ? effectiveLimit(node.limit, st.limits) : st.maxDepth;
      // (a resumed call: its depth is counted in the resumed state's)
      if (resumeFrame(st, node) === undefined && ++st.depth > max) {
        throw limitError(node.rule, st.offset, DEPTH_LIMIT_NAME, max, st.depth);
      }
      const call: CallRequest = { op: "call", node: node.get() };
      const v = yield call;
      st.depth--;
      return v;
    }
    case "refine": {
      const start = st.offset;
      const v = yield* decodeNode(st, node.inner);
      const p = node.check(v);
      if (p !== undefined) throw problemError(node.rule, start, p);
      return v;
    }
    case "map": {
      // (a resumed inner value is partial: only its checks matter, it is not mapped)
      const resumed = st.resume !== undefined;
      const v = yield* decodeNode(st, node.inner);
      return resumed ? v : node.decode(v);
    }
    case "event": {
      const start = st.offset;
      const value = yield* decodeNode(st, node.inner);
      const req: EventRequest = {
        op: "event",
        event: { name: node.name, value, data: node.data, offset: start },
      };
      yield req;
      return value;
    }
    case "const":
      return node.value;
  }
}

/**
 * @internal The interpreter on `codec` as its drivers see it: byte, payload and event
 * requests only. The rules a `lazy` rule refers to run on an explicit stack here (one
 * generator per pending recursive rule), so deep values need no deep JavaScript stack.
 */
export function decodeRoot(st: DecodeState, codec: AnyCodec): Iterator<Instruction, unknown> {
  const stack: Gen<unknown>[] = [decodeNode(st, codec)];
  return {
    next(input?: unknown): IteratorResult<Instruction, unknown> {
      let v = input;
      for (;;) {
        const r = stack[stack.length - 1]!.next(v);
        if (r.done) {
          stack.pop();
          if (stack.length === 0) return r;
          v = r.value;
          continue;
        }
        const ins = r.value;
        if (typeof ins === "object" && ins.op === "call") {
          stack.push(decodeNode(st, ins.node));
          v = undefined;
          continue;
        }
        return r as IteratorYieldResult<Instruction>;
      }
    },
  };
}

function* decodeRecord(st: DecodeState, node: RecordNode): Gen<unknown> {
  const out: Record<string, unknown> = {};
  const fields = node.fields;
  for (let i = resumeFrame(st, node)?.index ?? 0; i < fields.length; i++) {
    const [key, codec] = fields[i]!;
    const v = yield* decodeNode(st, codec);
    if (v !== undefined) out[key] = v;
  }
  return out;
}

/**
 * Decodes one value of `codec` from `input`. Payloads are views of `input`; strings are copies.
 * Throws `TruncatedInputError` if `input` ends early, `MalformedInputError` (or its subclass
 * `LimitExceededError`) otherwise, each with `offset`, `rule` and what was expected.
 */
export function decode<T>(codec: Codec<T>, input: Uint8Array, options: DecodeOptions = {}): T {
  const { value, end } = decodePrefix(codec, input, options);
  if (end !== input.length && !options.allowTrailing) {
    throw malformedError(
      codec.rule,
      end,
      "trailing-data",
      `expected the end of the input, got ${input.length - end} more bytes`,
    );
  }
  return value;
}

/** Decodes one value from the start of `input` and says where it ended. */
export function decodePrefix<T>(
  codec: Codec<T>,
  input: Uint8Array,
  options: DecodeOptions = {},
): { value: T; end: number } {
  const st = newState(options, false);
  const gen = decodeRoot(st, codec);
  const onEvent = options.onEvent;
  let pos = 0;
  let r = gen.next();
  while (!r.done) {
    const ins = r.value;
    if (typeof ins === "number") {
      if (pos + ins > input.length) {
        throw truncatedError(
          st.rule,
          pos,
          `${st.expected} (${ins} bytes, ${input.length - pos} left)`,
        );
      }
      const v = input.subarray(pos, pos + ins);
      pos += ins;
      st.offset = pos;
      r = gen.next(v);
    } else if (ins.op === "payload") {
      const pad = padLength(ins.size);
      if (pos + ins.size > input.length) {
        throw truncatedError(ins.rule, pos, `${ins.size} bytes of payload`);
      }
      if (pos + ins.size + pad > input.length) {
        throw truncatedError(ins.rule, pos + ins.size, `${pad} bytes of padding`);
      }
      const v = input.subarray(pos, pos + ins.size);
      if (pad !== 0 && !allZero(input.subarray(pos + ins.size, pos + ins.size + pad))) {
        throw malformedError(
          ins.rule,
          pos + ins.size,
          "nonzero-padding",
          "padding of a payload is not zero",
        );
      }
      pos += ins.size + pad;
      st.offset = pos;
      r = gen.next(v);
    } else {
      onEvent?.(ins.event);
      r = gen.next();
    }
  }
  return { value: r.value as T, end: pos };
}
