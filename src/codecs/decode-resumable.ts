/**
 * The driver of generated resumable decoders (`compile-resumable-source.ts`): feeds the state
 * machine the buffered bytes of a {@link ByteReader}, fetches more when it asks (synchronously
 * or with `await`), streams payloads as zero-copy views of the input, and, when the machine
 * declines, has the interpreter decide: so values, events and errors (class, code, rule, byte
 * offset, text) are those of `decodeEvents` on the same declaration.
 *
 * How the interpreter decides: on a decline, the driver resumes the streaming interpreter at
 * its last checkpoint over the bytes read since (`streamingErrorSync`), so the error is the
 * interpreter's. A checkpoint is where a state starts, between two reads: the generator says
 * where each state is in the declaration (`ResumeLocations`) and the machine's stack has the
 * rest (items begun, the previous key for a pairwise check, the call chain, the depth), so the
 * interpreter's frames there are known. The driver snapshots that stack (a few numbers per
 * level) after each payload it streams and whenever it must fetch bytes; until then the
 * bytes since the checkpoint are in the buffered chunk. Only where a state is no such point
 * does it keep them (a copy, payload contents replaced by zeros of the same length: contents
 * never change validity, their padding is checked as they pass). After the whole value only
 * the end of the input can be wrong: that error (trailing data) needs no replay. So memory is
 * the buffered chunk and the machine's stack, never file contents or the structure bytes of
 * chunks already passed, whatever the length of the input.
 *
 * One run of the machine decodes as far as the buffered bytes go (events, and payloads whose
 * bytes are all buffered, are queued: see `compile-resumable-source.ts`); the driver hands the
 * queued entries out one by one (such a payload as a view of its place in the buffered chunk,
 * which stays as it is until the queue is empty), then what the run stopped at.
 *
 * Consumers loop on {@link ResumableDecoding.step}: an event, a payload, the end, or
 * {@link RESUMABLE_NEED}, upon which they call {@link ResumableDecoding.fill} (async) or
 * {@link ResumableDecoding.fillSync}. No promise is made unless bytes must be awaited.
 *
 * @module
 */
import { UsageError } from "../core/errors.js";
import { type ByteInput, ByteReader, readingFrom } from "./byte-reader.js";
import type { AnyCodec, Codec } from "./codec.js";
import {
  generateResumable,
  type GeneratedResumable,
  NotResumableError,
  QUEUED_BARE_PAYLOAD,
  QUEUED_EVENT,
  type QueuedEntry,
  RESUMABLE_DONE,
  RESUMABLE_EVENT,
  RESUMABLE_NEED,
  RESUMABLE_PAYLOAD,
  type ResumeLocations,
} from "./compile-resumable-source.js";
import { compiledRuntime } from "./compile.js";
import type { CompiledRuntime } from "./compile-source.js";
import {
  checkPayloadPadding,
  decodeEvents,
  payloadTruncatedError,
  type StreamDecodeOptions,
  streamingErrorSync,
  trailingDataError,
} from "./decode-stream.js";
import type { ResumeFrame } from "./decode.js";
import type { DecodeEvent } from "./event.js";
import { DEFAULT_MAX_DEPTH, DEPTH_LIMIT_NAME, type LimitOverrides } from "./limits.js";
import type { PayloadHandle } from "./payload.js";
import { padLength } from "./wire-bytes.js";

export { RESUMABLE_EVENT, RESUMABLE_NEED, RESUMABLE_PAYLOAD } from "./compile-resumable-source.js";
/** {@link ResumableDecoding.step}: the value is complete (and the input, unless trailing is allowed). */
export const RESUMABLE_END = RESUMABLE_DONE;

/** @internal The registers a generated machine leaves for its driver. */
export interface ResumableRegisters {
  p: number;
  want: number;
  name: string | undefined;
  value: unknown;
  data: unknown;
  at: number;
  size: number;
  rule: string;
  /** The queue: entries `q[0, qn)` were queued by the last run (the driver empties it). */
  qn: number;
  readonly q: readonly QueuedEntry[];
}

/** @internal The stack of a generated machine (see `compile-resumable-source.ts`). */
export interface ResumableStack {
  /** The state to run next (-1: done). */
  readonly S: number;
  /** Depth of recursive calls, and the stack's height. */
  readonly DEPTH: number;
  readonly SP: number;
  /** By slot: a call's return state; a repetition's items begun (a list's length) and previous key (a list's items begun). */
  readonly RET: readonly number[];
  readonly CNT: readonly number[];
  readonly PREV: readonly unknown[];
}

/** @internal One decode's generated state machine. */
export interface ResumableMachine {
  readonly R: ResumableRegisters;
  readonly M: ResumableStack;
  run(b: Uint8Array, p: number, n: number): number;
  /** Where its states are in the declaration (checkpoints), when known. */
  readonly locations?: ResumeLocations;
}

/** @internal The factory form of generated resumable code: `(k, rt) => (limits, maxDepth) => machine`. */
export type ResumableFactory = (
  k: readonly unknown[],
  rt: CompiledRuntime,
) => (limits: LimitOverrides | undefined, maxDepth: number) => ResumableMachine;

/** A declaration with its generated resumable decoder (or none: the interpreter streams it). */
export interface ResumableCodec<T> {
  readonly codec: Codec<T>;
  /** `generated` (checked in), `eval` (`new Function`) or `interpreter` (no generated code). */
  readonly mode: "generated" | "eval" | "interpreter";
  /** @internal A fresh machine for one decode, or `undefined` in mode `interpreter`. */
  machine(options: StreamDecodeOptions): ResumableMachine | undefined;
}

/** A machine of `create` for `options`, with the locations of its states. */
function located(
  create: ReturnType<ResumableFactory>,
  locations: ResumeLocations,
  options: StreamDecodeOptions,
): ResumableMachine {
  const m = create(options.limits, options.limits?.[DEPTH_LIMIT_NAME] ?? DEFAULT_MAX_DEPTH);
  return { R: m.R, M: m.M, run: m.run, locations };
}

/**
 * Compiles a declaration into a resumable streaming decoder (generated code run with
 * `new Function`); where `eval` is forbidden, or for declarations the generator does not
 * handle, the interpreter streams it (`mode: "interpreter"`).
 */
export function compileResumable<T>(
  codec: Codec<T>,
  options: { readonly eval?: boolean } = {},
): ResumableCodec<T> {
  const interpreter: ResumableCodec<T> = { codec, mode: "interpreter", machine: () => undefined };
  if (options.eval === false) return interpreter;
  let generated;
  try {
    generated = generateResumable(codec);
  } catch (error) {
    if (error instanceof NotResumableError) return interpreter;
    throw error;
  }
  let factory: ResumableFactory;
  try {
    const MakeFunction = globalThis.Function;
    factory = new MakeFunction("k", "rt", generated.source) as ResumableFactory;
  } catch {
    return interpreter;
  }
  const create = factory(generated.constants, compiledRuntime);
  return {
    codec,
    mode: "eval",
    machine: (options) => located(create, generated.locations, options),
  };
}

/** @internal Binds checked-in generated resumable code to its declaration (see `fromGenerated`). */
export function resumableFromGenerated<T>(
  codec: Codec<T>,
  factory: ResumableFactory,
): ResumableCodec<T> {
  let create: ReturnType<ResumableFactory> | undefined;
  let generated: GeneratedResumable | undefined;
  return {
    codec,
    mode: "generated",
    machine(options) {
      generated ??= generateResumable(codec);
      create ??= factory(generated.constants, compiledRuntime);
      return located(create, generated.locations, options);
    },
  };
}

/** A copy of a machine's stack at a checkpoint, and the offset there (reused between checkpoints). */
class StackSnapshot implements ResumableStack {
  S = 0;
  DEPTH = 0;
  SP = 0;
  readonly RET: number[] = [];
  readonly CNT: number[] = [];
  readonly PREV: unknown[] = [];
  offset = 0;

  /** Copies `M` (standing at `offset`) when the interpreter can resume there; says whether. */
  take(M: ResumableStack, locations: ResumeLocations, offset: number): boolean {
    if (!resumable(M, locations)) return false;
    const sp = M.SP;
    this.S = M.S;
    this.DEPTH = M.DEPTH;
    this.SP = sp;
    const { RET, CNT, PREV } = M;
    for (let i = 0; i < sp; i++) {
      this.RET[i] = RET[i]!;
      this.CNT[i] = CNT[i]!;
      this.PREV[i] = PREV[i];
    }
    this.offset = offset;
    return true;
  }
}

/** Whether the interpreter can resume where `M` stands (see {@link resumeFrames}). */
function resumable(M: ResumableStack, locations: ResumeLocations): boolean {
  let loc = locations.states[M.S];
  let top = M.SP;
  while (loc !== undefined) {
    top -= loc.slots;
    if (top < 0) return false;
    if (loc.context < 0) return top === 0;
    if (top === 0) return false;
    loc = locations.calls[M.RET[top - 1]!];
  }
  return false;
}

/**
 * The interpreter's frames where `M` stands (the start of state `M.S`), outermost first, or
 * `undefined` when that is not a point the interpreter can resume at.
 */
function resumeFrames(M: ResumableStack, locations: ResumeLocations): ResumeFrame[] | undefined {
  const segments: ResumeFrame[][] = [];
  let loc = locations.states[M.S];
  let top = M.SP;
  while (loc !== undefined) {
    let slot = top - loc.slots;
    if (slot < 0) return undefined;
    const segment: ResumeFrame[] = [];
    for (const f of loc.frames) {
      const i = f.slot ? slot++ : -1;
      let count = 0;
      let total = 0;
      let prev: unknown;
      if (f.node.kind === "list") {
        count = M.PREV[i] as number;
        total = M.CNT[i]!;
      } else if (f.node.kind === "repeat" || f.node.kind === "terminated") {
        count = M.CNT[i]!;
        prev = M.PREV[i];
      }
      segment.push({ node: f.node, index: f.index, count, total, prev, branch: f.branch });
    }
    segments.push(segment);
    top -= loc.slots;
    if (loc.context < 0) return top === 0 ? segments.reverse().flat() : undefined;
    // below the recursive rule's frames: the slot of its call
    if (top === 0) return undefined;
    loc = locations.calls[M.RET[top - 1]!];
  }
  return undefined;
}

/** Bytes a synchronous source is asked for at least when the machine needs more (fewer refills). */
const LOOKAHEAD = 8192;
/** Zeros standing for payload contents in the replay (a view of it per piece). */
const ZEROS = new Uint8Array(1 << 16);

/**
 * One streaming decode by a generated machine over a {@link ByteReader}. After
 * {@link ResumableDecoding.step} returns an event or a payload, its fields say what it is.
 */
export class ResumableDecoding {
  /** The event's name (events and payloads inside events; `undefined` for a bare payload). */
  name: string | undefined = undefined;
  /** The event's value (not set for payloads). */
  value: unknown = undefined;
  /** The event's constant data. */
  data: unknown = undefined;
  /** Offset of the event's first byte (for a payload, of its length field). */
  offset = 0;
  /** A payload's size and the offset of its first content byte. */
  size = 0;
  payloadOffset = 0;

  readonly #codec: AnyCodec;
  readonly #machine: ResumableMachine;
  readonly #reader: ByteReader;
  readonly #options: StreamDecodeOptions;
  readonly #base: number;
  /** Structure bytes read since the checkpoint (a copy, grown by doubling): `#log[0, #logLength)`. */
  #log = new Uint8Array(256);
  #logLength = 0;
  /** Where the interpreter resumes on a decline (`undefined`: the start of the value). */
  #checkpoint: StackSnapshot | undefined = undefined;
  /** The next checkpoint: after the open payload, or a spare. */
  #next = new StackSnapshot();
  /** Whether {@link ResumableDecoding.#next} holds the point after the open payload. */
  #afterPayload = false;
  /** @internal The most structure bytes kept at once (tests check it stays bounded). */
  peakRetained = 0;
  /** Payloads passed: pairs (position in the log, length): zeros in the replay. */
  readonly #gaps: number[] = [];
  /** Where in the reader's window the bytes not yet in the log start. */
  #retainFrom: number;
  /** Payloads passed by the machine in the window since `#retainFrom`: pairs [start, end). */
  readonly #passed: number[] = [];
  /** The next entry of the machine's queue to hand out. */
  #head = 0;
  /** What the last run returned, handled once its queue is handed out (-1: run again). */
  #pending = -1;
  /** The offset of the window's first byte, counted from the value's start (for queued entries). */
  #windowOffset = 0;
  /** Whether the open payload was queued by the machine: its contents are `#inlineAt` in the window. */
  #inline = false;
  #inlineAt = 0;
  #want = 0;
  #done = false;
  /** Where the value ends (once done). */
  #end = 0;
  /** The reader said the input ends after the value. */
  #atEnd = false;
  /** The open payload: bytes of contents left, its padding, its rule; -1 when none. */
  #remaining = -1;
  #pad = 0;
  #payloadRule = "";
  #payloadSize = 0;
  /** The reader's last window and a plain `Uint8Array` view of it (a `Buffer` is a subclass). */
  #window: Uint8Array | undefined;
  #plain: Uint8Array = new Uint8Array(0);
  /** Counts payloads handed out (a reader of an older one is refused). */
  #serial = 0;

  constructor(
    codec: AnyCodec,
    machine: ResumableMachine,
    reader: ByteReader,
    options: StreamDecodeOptions,
  ) {
    this.#codec = codec;
    this.#machine = machine;
    this.#reader = reader;
    this.#options = options;
    this.#base = reader.offset;
    this.#retainFrom = reader.cursor();
  }

  /** The reader decoded from. */
  get reader(): ByteReader {
    return this.#reader;
  }

  /** Which payload is open (compare before reading it: see {@link ResumableDecoding.payloadOpen}). */
  get serial(): number {
    return this.#serial;
  }

  /** Whether payload number `serial` is still the open one. */
  payloadOpen(serial: number): boolean {
    return this.#remaining >= 0 && serial === this.#serial;
  }

  /** Bytes of the open payload not read yet. */
  get payloadRemaining(): number {
    return this.#remaining < 0 ? 0 : this.#remaining;
  }

  /**
   * Runs the machine on what is buffered: {@link RESUMABLE_EVENT}, {@link RESUMABLE_PAYLOAD},
   * {@link RESUMABLE_END}, or {@link RESUMABLE_NEED} (call `fill`/`fillSync`, then step
   * again). Throws the interpreter's error when the input is refused.
   */
  step(): number {
    if (this.#inline) {
      // a payload the machine passed: nothing left to read
      this.#inline = false;
      this.#remaining = -1;
    } else if (this.#remaining >= 0) {
      // what is left of the payload and its padding, passed in place when buffered
      const reader = this.#reader;
      if (reader.available() < this.#remaining + this.#pad) return RESUMABLE_NEED;
      reader.advance(this.#remaining);
      this.#remaining = 0;
      const at = reader.offset - this.#base;
      const v = this.#view();
      const c = reader.cursor();
      const pad = this.#pad;
      let bits = 0;
      for (let i = 0; i < pad; i++) bits |= v[c + i]!;
      // (zero padding checked in place: a view of a Buffer per file costs more than the check)
      if (bits === 0) {
        reader.advance(pad);
        this.#closePayload(undefined, at, true);
      } else this.#closePayload(reader.tryRead(this.#pad), at);
    }
    const reader = this.#reader;
    const R = this.#machine.R;
    for (;;) {
      if (this.#head < R.qn) {
        const q = R.q[this.#head++]!;
        if (q.kind === QUEUED_EVENT) {
          this.name = q.name;
          this.value = q.value;
          this.data = q.data;
          this.offset = this.#windowOffset + q.at;
          return RESUMABLE_EVENT;
        }
        this.#passed.push(q.p, q.p + q.size + padLength(q.size));
        if (q.kind === QUEUED_BARE_PAYLOAD) continue;
        this.name = q.name;
        this.value = undefined;
        this.data = q.data;
        this.offset = this.#windowOffset + q.at;
        this.size = q.size;
        this.payloadOffset = this.#windowOffset + q.p;
        this.#remaining = q.size;
        this.#payloadSize = q.size;
        this.#inline = true;
        this.#inlineAt = q.p;
        this.#serial++;
        return RESUMABLE_PAYLOAD;
      }
      let code = this.#pending;
      if (code < 0) {
        if (this.#done) {
          // the end of the input is the reader's to say (a reader embedding the value in a
          // longer stream says where it ends): asked in fill()
          if (this.#options.allowTrailing === true || this.#atEnd) return RESUMABLE_END;
          return RESUMABLE_NEED;
        }
        R.qn = 0;
        this.#head = 0;
        const b = this.#view();
        const p = reader.cursor();
        code = this.#machine.run(b, p, b.length);
        this.#windowOffset = reader.offset - this.#base - p;
        reader.advance(R.p - p);
        // (what the run stopped at comes after its queue)
        if (R.qn > 0) {
          this.#pending = code;
          continue;
        }
      } else this.#pending = -1;
      const at = this.#windowOffset;
      switch (code) {
        case RESUMABLE_EVENT:
          // (the queue was full: run on)
          continue;
        case RESUMABLE_PAYLOAD:
          // the point after the payload is the next checkpoint: then the bytes before it are
          // not kept (else they are)
          this.#afterPayload = this.#snapshot(at + R.p + R.size + padLength(R.size));
          if (!this.#afterPayload) this.#flush();
          this.name = R.name;
          this.value = undefined;
          this.data = R.data;
          this.offset = at + R.at;
          this.size = R.size;
          this.payloadOffset = at + R.p;
          this.#remaining = R.size;
          this.#payloadSize = R.size;
          this.#pad = padLength(R.size);
          this.#payloadRule = R.rule;
          this.#serial++;
          if (R.name === undefined) return this.step();
          return RESUMABLE_PAYLOAD;
        case RESUMABLE_NEED:
          this.#want = R.want - R.p;
          return RESUMABLE_NEED;
        case RESUMABLE_DONE:
          this.#done = true;
          this.#end = reader.offset - this.#base;
          return this.step();
        default:
          throw this.#refusal();
      }
    }
  }

  /** After {@link RESUMABLE_NEED}: passes the open payload, or buffers more bytes (async). */
  async fill(): Promise<void> {
    const reader = this.#reader;
    if (this.#remaining >= 0) {
      if (this.#remaining > 0) {
        const at = reader.offset - this.#base;
        if (!(await reader.skip(this.#remaining)))
          throw payloadTruncatedError(this.#payloadRule, at, this.#remaining);
        this.#remaining = 0;
      }
      const at = reader.offset - this.#base;
      this.#closePayload(reader.tryRead(this.#pad) ?? (await reader.read(this.#pad)), at);
      return;
    }
    if (this.#done) {
      this.#atEnd = this.#endOrTrailing(await reader.atEnd());
      return;
    }
    this.#checkpointOrKeep();
    // (no read-ahead beyond the request: a stream stopped early is then cancelled, not drained)
    await reader.ensure(this.#want);
    this.#retain();
    if (reader.available() < this.#want) throw this.#refusal();
  }

  /** {@link ResumableDecoding.fill} for synchronous sources. */
  fillSync(): void {
    const reader = this.#reader;
    if (this.#remaining >= 0) {
      if (this.#remaining > 0) {
        const at = reader.offset - this.#base;
        if (!reader.skipSync(this.#remaining))
          throw payloadTruncatedError(this.#payloadRule, at, this.#remaining);
        this.#remaining = 0;
      }
      const at = reader.offset - this.#base;
      this.#closePayload(reader.tryRead(this.#pad) ?? reader.readSync(this.#pad), at);
      return;
    }
    if (this.#done) {
      this.#atEnd = this.#endOrTrailing(reader.atEndSync());
      return;
    }
    this.#checkpointOrKeep();
    reader.ensureSync(Math.max(this.#want, LOOKAHEAD));
    this.#retain();
    if (reader.available() < this.#want) throw this.#refusal();
  }

  /**
   * After the whole value (which the declaration accepts, as the machine did): the end of the
   * input, or the interpreter's trailing-data error where the value ends (so no bytes of the
   * value are kept for a replay).
   */
  #endOrTrailing(atEnd: boolean): true {
    if (!atEnd) throw trailingDataError(this.#codec.rule, this.#end);
    return true;
  }

  /**
   * Makes the open payload whole in the buffer when it is at most `max` bytes (synchronous
   * sources), so {@link ResumableDecoding.takeBuffered} has it.
   */
  bufferPayloadSync(max: number): void {
    if (this.#inline) return;
    const r = this.#remaining;
    if (r === this.#payloadSize && r <= max && this.#reader.available() < r) {
      this.#reader.ensureSync(r);
    }
  }

  /** The whole open payload when it is buffered and unread (a view), else `undefined`. */
  takeBuffered(): Uint8Array | undefined {
    if (this.#remaining !== this.#payloadSize || this.#remaining < 0) return undefined;
    if (this.#inline) return this.#takeInline();
    const all = this.#reader.tryRead(this.#remaining);
    if (all !== undefined) this.#remaining = 0;
    return all;
  }

  /** The next piece of the open payload (a view), `undefined` when it is all read. */
  chunkSync(): Uint8Array | undefined {
    if (this.#remaining <= 0) return undefined;
    if (this.#inline) return this.#takeInline();
    const at = this.#reader.offset - this.#base;
    const c = this.#reader.readUpToSync(this.#remaining);
    if (c === undefined) throw payloadTruncatedError(this.#payloadRule, at, this.#remaining);
    this.#remaining -= c.length;
    return c;
  }

  /** {@link ResumableDecoding.chunkSync} for any source. */
  async chunk(): Promise<Uint8Array | undefined> {
    if (this.#remaining <= 0) return undefined;
    if (this.#inline) return this.#takeInline();
    const at = this.#reader.offset - this.#base;
    const buffered = this.#reader.available();
    const c =
      buffered > 0
        ? this.#reader.tryRead(Math.min(this.#remaining, buffered))
        : await this.#reader.readUpTo(this.#remaining);
    if (c === undefined) throw payloadTruncatedError(this.#payloadRule, at, this.#remaining);
    this.#remaining -= c.length;
    return c;
  }

  /** What is left of a payload the machine passed (a view of the window, as the reader gives). */
  #takeInline(): Uint8Array {
    const end = this.#inlineAt + this.#payloadSize;
    const v = this.#reader.window().subarray(end - this.#remaining, end);
    this.#remaining = 0;
    return v;
  }

  #closePayload(padding: Uint8Array | undefined, at: number, checked = false): void {
    if (this.#pad > 0 && !checked) checkPayloadPadding(padding, this.#pad, this.#payloadRule, at);
    this.#remaining = -1;
    this.#retain();
    if (this.#afterPayload) {
      this.#afterPayload = false;
      this.#commit();
    } else this.#gaps.push(this.#logLength, this.#payloadSize + this.#pad);
  }

  /** Snapshots the machine's stack, standing at `offset`, into the next checkpoint. */
  #snapshot(offset: number): boolean {
    const locations = this.#machine.locations;
    return locations !== undefined && this.#next.take(this.#machine.M, locations, offset);
  }

  /** Makes the next checkpoint the one: what was kept before it is dropped. */
  #commit(): void {
    const spare = this.#checkpoint ?? new StackSnapshot();
    this.#checkpoint = this.#next;
    this.#next = spare;
    this.#logLength = 0;
    if (this.#gaps.length > 0) this.#gaps.length = 0;
  }

  /**
   * Before fetching bytes (all read are passed to the machine): a checkpoint where the machine
   * stands, or else the bytes since the last one are kept.
   */
  #checkpointOrKeep(): void {
    if (this.#snapshot(this.#reader.offset - this.#base)) {
      this.#commit();
      this.#retain();
    } else this.#flush();
  }

  /**
   * The reader's window as a plain `Uint8Array` (one view per window): the generated code then
   * only ever indexes one kind of array, which keeps its element reads monomorphic.
   */
  #view(): Uint8Array {
    const w = this.#reader.window();
    if (w !== this.#window) {
      this.#window = w;
      this.#plain =
        w.constructor === Uint8Array ? w : new Uint8Array(w.buffer, w.byteOffset, w.byteLength);
    }
    return this.#plain;
  }

  /** Nothing read from the window before the reader's cursor is to be kept. */
  #retain(): void {
    this.#retainFrom = this.#reader.cursor();
    if (this.#passed.length > 0) this.#passed.length = 0;
  }

  /**
   * Moves the bytes read from the window since the last flush into the log (payloads the
   * machine passed as gaps).
   */
  #flush(): void {
    const to = this.#reader.cursor();
    let from = this.#retainFrom;
    const passed = this.#passed;
    for (let i = 0; i < passed.length; i += 2) {
      const start = passed[i]!;
      const end = passed[i + 1]!;
      if (end <= from || start >= to) continue;
      this.#keep(from, start);
      this.#gaps.push(this.#logLength, end - start);
      from = end;
    }
    this.#keep(from, to);
    this.#retain();
  }

  /** Copies the window's bytes `[from, to)` into the log. */
  #keep(from: number, to: number): void {
    if (to <= from) return;
    const w = this.#view();
    const need = this.#logLength + to - from;
    if (need > this.#log.length) {
      const grown = new Uint8Array(Math.max(need, this.#log.length * 2));
      grown.set(this.#log.subarray(0, this.#logLength));
      this.#log = grown;
    }
    const log = this.#log;
    let at = this.#logLength;
    // (a loop: the pieces are short, and a view of a Buffer costs more than copying them)
    for (let i = from; i < to; i++) log[at++] = w[i]!;
    this.#logLength = need;
    if (need > this.peakRetained) this.peakRetained = need;
  }

  /** The interpreter's error on the input read so far (and what is buffered or left). */
  #refusal(): unknown {
    const reader = this.#reader;
    const pieces: Uint8Array[] = [];
    let from = 0;
    for (let i = 0; i < this.#gaps.length; i += 2) {
      const at = this.#gaps[i]!;
      pieces.push(this.#log.subarray(from, at));
      from = at;
      for (let left = this.#gaps[i + 1]!; left > 0; left -= ZEROS.length)
        pieces.push(ZEROS.subarray(0, Math.min(left, ZEROS.length)));
    }
    pieces.push(this.#log.subarray(from, this.#logLength));
    // (a copy: the source may reuse the window's buffer)
    pieces.push(new Uint8Array(reader.window().subarray(this.#retainFrom)));
    reader.advance(reader.available());
    let i = 0;
    const replay = new ByteReader({
      sync: true,
      next: () => {
        if (i < pieces.length) return pieces[i++];
        return reader.isSync ? reader.readUpToSync(1 << 16) : undefined;
      },
    });
    const at = this.#checkpoint;
    const error = streamingErrorSync(
      this.#codec,
      replay,
      this.#options,
      at && {
        offset: at.offset,
        depth: at.DEPTH,
        frames: resumeFrames(at, this.#machine.locations!)!,
      },
    );
    return (
      error ??
      new UsageError(
        "codec.compiled-mismatch",
        `the compiled decoder of ${this.#codec.rule} refused what the declaration accepts`,
      )
    );
  }
}

/**
 * Decodes `codec` from a stream as {@link decodeEvents} does (same events, same errors), with
 * its resumable generated decoder when it has one.
 */
export function decodeEventsResumable<T>(
  resumable: ResumableCodec<T>,
  input: ByteInput,
  options: StreamDecodeOptions = {},
): AsyncGenerator<DecodeEvent, void, undefined> {
  const machine = resumable.machine(options);
  if (machine === undefined) {
    return (async function* () {
      yield* decodeEvents(resumable.codec, input, options);
    })();
  }
  return readingFrom(input, (reader) => events(resumable.codec, machine, reader, options));
}

async function* events(
  codec: AnyCodec,
  machine: ResumableMachine,
  reader: ByteReader,
  options: StreamDecodeOptions,
): AsyncGenerator<DecodeEvent, void, undefined> {
  const d = new ResumableDecoding(codec, machine, reader, options);
  for (;;) {
    const code = d.step();
    if (code === RESUMABLE_NEED) {
      await d.fill();
      continue;
    }
    if (code === RESUMABLE_END) return;
    if (code === RESUMABLE_EVENT) {
      yield { name: d.name!, value: d.value, data: d.data, offset: d.offset };
      continue;
    }
    yield { name: d.name!, value: payloadHandle(d), data: d.data, offset: d.offset };
  }
}

/** The open payload of `d` as a {@link PayloadHandle} (readable until `d` moves on). */
export function payloadHandle(d: ResumableDecoding): PayloadHandle {
  const serial = d.serial;
  const size = d.size;
  let got = 0;
  return {
    size,
    offset: d.payloadOffset,
    stream: {
      async *[Symbol.asyncIterator]() {
        while (got < size) {
          if (!d.payloadOpen(serial))
            throw new UsageError("codec.payload-closed", "payload read after decoding moved on");
          const c = await d.chunk();
          if (c === undefined) return;
          got += c.length;
          yield c;
        }
      },
    },
  };
}
