/**
 * Event writers: a declaration written from a sequence of events (see `writer-plan.ts`)
 * straight into a buffer, by generated code (`compile-writer-source.ts`) or, where `eval` is
 * forbidden, by this module walking the same plan.
 *
 * ```ts
 * import { compileWriter } from "nix-compat/codecs";
 * const w = compileWriter(narGrammar).create({ sink: (chunk) => out.push(chunk.slice()) });
 * w.begin(); w.event("directory"); w.event("entry", name); ... w.end(); w.flush(); w.finish();
 * ```
 *
 * Two modes:
 * - checked (default): every refinement, limit, key order and payload size the declaration
 *   holds is checked before anything of the event is written, and a refusal throws the error
 *   the interpreter's encoder (`encode.ts`) throws for the same value (class, code, rule, text),
 *   leaving the writer as it was; events in the wrong place throw a `UsageError`
 *   (`<area>.writer-state`);
 * - unchecked: nothing is checked, for callers whose values are right by construction (the
 *   filesystem dump: names from `readdir`, sorted); the framing is still the declaration's.
 *
 * Bytes go into `buf` at `at`; with a `sink`, the writer hands `buf[0, at)` to it when it needs
 * room (and on `flush()`), and payload chunks as they are; without one, `buf` grows and the
 * caller takes `buf[0, at)` and resets `at` whenever it likes.
 *
 * Values: u64 events take a number or a bigint, bool events a boolean, byte-string events a
 * `Uint8Array` or a string of one character per byte ("latin1"; UTF-8 text for `utf8` rules),
 * payload events the size in bytes, then `chunk()`s (or `sent()`) and `end()`.
 *
 * @module
 */
import { binaryStringBytes, isBytes } from "../core/bytes.js";
import { UsageError } from "../core/errors.js";
import { areaOf } from "./codec.js";
import { encodeProblemError } from "./codec-errors.js";
import { depthError, encode, payloadSizeError } from "./encode.js";
import { DEFAULT_MAX_DEPTH } from "./limits.js";
import {
  sameData,
  type WriterAction,
  type WriterPlan,
  type WriterTransition,
} from "./writer-plan.js";
import { padLength, utf8Bytes, writeU64 } from "./wire-bytes.js";

/** Options of an event writer. */
export interface EventWriterOptions {
  /** Check what the declaration refines (default true). */
  readonly checked?: boolean;
  /**
   * Where bytes go when the buffer is full, on `flush()`, and payload chunks: views of the
   * reused buffer (consume or copy them before the writer's next call) and the chunks given.
   */
  readonly sink?: (chunk: Uint8Array) => void;
  /** The buffer to write into (default: 1 KiB; grown as needed). */
  readonly buffer?: Uint8Array;
}

/** A writer of one declaration's value from events. */
export interface EventWriter {
  /** The output buffer: `buf[0, at)` is written and not yet taken. */
  buf: Uint8Array;
  /** Where the next byte goes in `buf`. */
  at: number;
  /** Whether values are checked. */
  readonly checked: boolean;
  /** Whether the whole value is written. */
  readonly done: boolean;
  /** Writes what comes before the first event (the declaration's leading fixed bytes). */
  begin(): void;
  /** The event `name` with its value (if it has one) and constant data (telling alternatives apart). */
  event(name: string, value?: unknown, data?: unknown): void;
  /** Ends the innermost repetition, or the payload being written. */
  end(): void;
  /**
   * Payload bytes: copied into the buffer, or with a sink, when larger than an eighth of the
   * buffer, handed on as they are (after the buffer's bytes).
   */
  chunk(bytes: Uint8Array): void;
  /** Counts `n` payload bytes the caller wrote itself (into `buf` at `at`, or elsewhere). */
  sent(n: number): void;
  /** With a sink: hands it `buf[0, at)`. */
  flush(): void;
  /** Throws a `UsageError` unless the whole value is written. */
  finish(): void;
}

/**
 * How event writers run: `generated` (checked-in generated code), `eval` (generated at run
 * time with `new Function`), `interpreter` (the plan walked, where `eval` is forbidden).
 */
export type WriterMode = "generated" | "eval" | "interpreter";

/** A declaration's event writers. */
export interface EventWriterFactory {
  /** The plan (states and transitions) derived from the declaration. */
  readonly plan: WriterPlan;
  /** How the writers run (see `WriterMode`). */
  readonly mode: WriterMode;
  /** A new writer. */
  create(options?: EventWriterOptions): EventWriter;
}

/** State number of a writer not begun, and of one done. */
const NOT_BEGUN = -1;
const DONE = -2;
/** The previous key of a keyed repetition before its first item. */
const NO_KEY: unique symbol = Symbol("no key");

/** The method an event is called by on a writer: its name in camel case (`entry-end`: `entryEnd`). */
export function writerMethodName(name: string): string {
  const camel = name.replace(/[^A-Za-z0-9_$]+([A-Za-z0-9_$]?)/g, (_, c: string) => c.toUpperCase());
  const ident = /^[A-Za-z_$]/.test(camel) ? camel : `on${camel}`;
  return RESERVED.has(ident) ? `on${ident[0]!.toUpperCase()}${ident.slice(1)}` : ident;
}
const RESERVED = new Set([
  "buf",
  "at",
  "checked",
  "done",
  "begin",
  "event",
  "end",
  "chunk",
  "sent",
  "flush",
  "finish",
  "constructor",
  "room",
  "checkHole",
  "refuse",
  "plan",
  "sink",
  "stack",
  "keys",
  "size",
  "left",
  "state",
  "view",
]);

type HoleAction = Extract<WriterAction, { op: "hole" }>;

/** The bytes a byte-string event writes for `v`. */
function holeBytes(node: HoleAction["node"], v: unknown): Uint8Array {
  if (node.kind === "bytes" && node.utf8) return utf8Bytes(v as string);
  if (typeof v === "string") return binaryStringBytes(v);
  return v as Uint8Array;
}

/**
 * What every event writer shares: the buffer, the stack of rules to resume, payload
 * accounting and the checks (generated writers add one method per event).
 */
export class EventWriterBase implements EventWriter {
  buf: Uint8Array;
  at = 0;
  readonly checked: boolean;
  /** The state the writer waits in (an index of `plan.states`), or not begun / done. */
  state = NOT_BEGUN;
  /** Resume ids of the recursive rules entered. */
  readonly stack: number[] = [];
  /** Previous keys of keyed repetitions, by depth and slot (checked mode). */
  readonly keys: unknown[] = [];
  /** The payload being written: its size and the bytes still due. */
  size = 0;
  left = 0;
  readonly sink: ((chunk: Uint8Array) => void) | undefined;
  /** A `DataView` of the buffer it was last asked for (generated code writes through it). */
  #view: DataView | undefined = undefined;
  #viewed: Uint8Array | undefined = undefined;

  /** By state: 1 where payload bytes may come (checked mode's test in `sent`). */
  readonly #payloadStates: Uint8Array;

  constructor(
    readonly plan: WriterPlan,
    options: EventWriterOptions,
  ) {
    this.checked = options.checked ?? true;
    this.sink = options.sink;
    this.buf = options.buffer ?? new Uint8Array(1 << 10);
    this.#payloadStates = payloadStatesOf(plan);
  }

  get done(): boolean {
    return this.state === DONE;
  }

  /** A `DataView` of `b` (the buffer: kept while it stays the same). */
  view(b: Uint8Array): DataView {
    if (this.#viewed !== b) {
      this.#view = new DataView(b.buffer, b.byteOffset, b.byteLength);
      this.#viewed = b;
    }
    return this.#view!;
  }

  /** Makes room for `need` more bytes at `at`. */
  room(need: number): void {
    if (this.at + need <= this.buf.length) return;
    if (this.sink !== undefined && this.at > 0) {
      this.flush();
      if (need <= this.buf.length) return;
    }
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.at + need));
    next.set(this.buf.subarray(0, this.at));
    this.buf = next;
  }

  begin(): void {
    if (this.state !== NOT_BEGUN) this.misplaced("begin");
    this.run(this.plan.start, undefined);
  }

  event(name: string, value?: unknown, data?: unknown): void {
    const method = (this as unknown as Record<string, unknown>)[writerMethodName(name)];
    if (typeof method !== "function" || !this.plan.eventNames.includes(name)) {
      throw new UsageError(`${areaOf(this.plan.rule)}.writer-state`, `no event '${name}'`, {
        rule: this.plan.rule,
      });
    }
    (method as (v: unknown, d: unknown) => void).call(this, value, data);
  }

  end(): void {
    const s = this.plan.states[this.state];
    if (s?.end === undefined) this.misplaced("end");
    if (this.checked) this.checkEnd();
    this.run(s.end, undefined);
  }

  /** Checks a payload ending now got all its bytes (checked mode). */
  checkEnd(): void {
    const s = this.plan.states[this.state]!;
    if (s.kind === "payload" && this.left !== 0) {
      throw payloadSizeError(s.rule, this.size, this.size - this.left);
    }
  }

  chunk(bytes: Uint8Array): void {
    this.sent(bytes.length);
    if (this.sink !== undefined && bytes.length > this.buf.length >>> 3) {
      this.flush();
      this.sink(bytes);
      return;
    }
    this.room(bytes.length);
    this.buf.set(bytes, this.at);
    this.at += bytes.length;
  }

  sent(n: number): void {
    if (this.checked && (this.#payloadStates[this.state] !== 1 || n > this.left)) {
      const s = this.plan.states[this.state];
      if (s?.kind !== "payload") this.misplaced("chunk");
      throw payloadSizeError(s.rule, this.size, this.size - this.left + n);
    }
    this.left -= n;
  }

  flush(): void {
    if (this.sink !== undefined && this.at > 0) {
      const n = this.at;
      this.at = 0;
      this.sink(this.buf.subarray(0, n));
    }
  }

  finish(): void {
    if (this.state !== DONE) this.misplaced("finish");
  }

  /** Throws the `UsageError` for `what` called in the current state. */
  misplaced(what: string): never {
    const s = this.plan.states[this.state];
    const expected =
      this.state === NOT_BEGUN
        ? "begin()"
        : this.state === DONE
          ? "nothing (the value is complete)"
          : [
              ...new Set(s!.events.map((e) => `'${e.name}'`)),
              ...(s!.end !== undefined ? ["end()"] : []),
            ].join(" or ");
    throw new UsageError(
      `${areaOf(this.plan.rule)}.writer-state`,
      `'${what}' cannot come here: expected ${expected}`,
      { rule: s?.rule ?? this.plan.rule },
    );
  }

  /**
   * Checks a transition before it writes anything (checked mode), in the order of its
   * actions, as the interpreter meets them: depth limits of the recursive rules it enters, the
   * value of its hole (the interpreter's error for what it refuses, the repetition's order on
   * keys); then keeps the key.
   */
  checkTransition(t: WriterTransition, v: unknown): void {
    let depth = this.stack.length;
    let key: { at: number; value: unknown } | undefined;
    for (const a of t.actions) {
      if (a.op === "push") {
        const max = a.lazy.limit?.value ?? DEFAULT_MAX_DEPTH;
        if (++depth > max) throw depthError(a.lazy.rule, max);
      } else if (a.op === "hole") key = this.checkHole(a, v);
    }
    if (key !== undefined) this.keys[key.at] = key.value;
  }

  /** Checks the value of `hole`; returns the key to keep (keyed repetitions). */
  private checkHole(hole: HoleAction, v: unknown): { at: number; value: unknown } | undefined {
    const node = hole.node;
    switch (node.kind) {
      case "u64": {
        const ok =
          typeof v === "number"
            ? Number.isSafeInteger(v) && v >= 0
            : typeof v === "bigint" && v >= 0n && v < 1n << 64n;
        if (!ok) encode(node, v);
        return undefined;
      }
      case "bool":
        return undefined;
      case "payload":
        if (!Number.isSafeInteger(v) || (v as number) < 0) {
          throw new UsageError(`${areaOf(node.rule)}.writer-size`, `bad size ${String(v)}`, {
            rule: node.rule,
          });
        }
        return undefined;
      case "bytes": {
        if (node.utf8 ? typeof v !== "string" : typeof v !== "string" && !isBytes(v)) {
          encode(node, v);
        }
        const seen = node.utf8 ? v : holeBytes(node, v);
        for (const r of hole.refines) {
          const p = r.check(seen);
          if (p !== undefined) throw encodeProblemError(r.rule, p);
        }
        const len = node.utf8 ? holeBytes(node, v).length : (seen as Uint8Array).length;
        if (len > node.limit.value) encode(node, seen);
        if (hole.key === undefined) return undefined;
        const at = this.stack.length * this.plan.keySlots + hole.key.slot;
        const prev = this.keys[at];
        if (prev !== NO_KEY && prev !== undefined) {
          const p = hole.key.repeat.pairwise!(prev, seen);
          if (p !== undefined) throw encodeProblemError(hole.key.repeat.rule, p);
        }
        return { at, value: seen };
      }
    }
  }

  /** Starts a keyed repetition: no previous key at this depth. */
  startKeys(slot: number): void {
    this.keys[this.stack.length * this.plan.keySlots + slot] = NO_KEY;
  }

  /** Runs a transition of the plan (the writer without generated code). */
  run(t: WriterTransition, v: unknown): void {
    let hole: HoleAction | undefined;
    let need = 0;
    for (const a of t.actions) {
      if (a.op === "fixed") need += a.bytes.length;
      else if (a.op === "hole") hole = a;
      else if (a.op === "pad") need += 8;
    }
    if (this.checked) this.checkTransition(t, v);
    const body = hole?.node.kind === "bytes" ? holeBytes(hole.node, v) : undefined;
    if (hole !== undefined) need += 16 + (body?.length ?? 0);
    this.room(need);
    const b = this.buf;
    let at = this.at;
    for (const a of t.actions) {
      switch (a.op) {
        case "fixed":
          b.set(a.bytes, at);
          at += a.bytes.length;
          break;
        case "hole":
          switch (a.node.kind) {
            case "u64":
              writeU64(b, at, v as number | bigint);
              at += 8;
              break;
            case "bool":
              writeU64(b, at, v ? 1 : 0);
              at += 8;
              break;
            case "payload":
              writeU64(b, at, v as number);
              at += 8;
              this.size = this.left = v as number;
              break;
            case "bytes": {
              writeU64(b, at, body!.length);
              b.set(body!, at + 8);
              at += 8 + body!.length;
              for (let i = padLength(body!.length); i > 0; i--) b[at++] = 0;
              break;
            }
          }
          break;
        case "push":
          this.stack.push(a.resume);
          break;
        case "repeat-start":
          if (this.checked) this.startKeys(a.slot);
          break;
        case "pad":
          for (let i = padLength(this.size); i > 0; i--) b[at++] = 0;
          break;
      }
    }
    this.at = at;
    if (t.end.op === "state") this.state = t.end.state;
    else this.resume();
  }

  /** A recursive rule ended: goes on in the rule that entered it (or the value is done). */
  resume(): void {
    const r = this.stack.pop();
    if (r === undefined) this.state = DONE;
    else this.run(this.plan.resumes[r]!, undefined);
  }
}

const payloadStates = new WeakMap<WriterPlan, Uint8Array>();

/** By state of `plan`: 1 for payload states (made once per plan). */
function payloadStatesOf(plan: WriterPlan): Uint8Array {
  let out = payloadStates.get(plan);
  if (out === undefined) {
    out = new Uint8Array(plan.states.length);
    for (const [i, s] of plan.states.entries()) if (s.kind === "payload") out[i] = 1;
    payloadStates.set(plan, out);
  }
  return out;
}

/** Calls an event in the current state of a plan-walking writer. */
function interpretEvent(w: EventWriterBase, name: string, v: unknown, d: unknown): void {
  const s = w.plan.states[w.state];
  if (s === undefined) w.misplaced(name);
  let named = false;
  for (const e of s.events) {
    if (e.name !== name) continue;
    named = true;
    if (!sameData(e.data, d) && s.events.filter((x) => x.name === name).length > 1) continue;
    w.run(e.transition, v);
    return;
  }
  if (!named) w.misplaced(name);
  throw new UsageError(
    `${areaOf(w.plan.rule)}.writer-state`,
    `no alternative '${name}' with data ${JSON.stringify(d)}`,
    { rule: s.rule },
  );
}

/** The event writers of a plan without generated code (no `eval`). */
export function interpretedWriters(plan: WriterPlan): EventWriterFactory {
  class Interpreted extends EventWriterBase {}
  for (const name of plan.eventNames) {
    Object.defineProperty(Interpreted.prototype, writerMethodName(name), {
      value: function (this: EventWriterBase, v: unknown, d: unknown) {
        interpretEvent(this, name, v, d);
      },
    });
  }
  return {
    plan,
    mode: "interpreter",
    create: (options = {}) => new Interpreted(plan, options),
  };
}

/** What generated writer code gets from its host. */
export interface WriterRuntime {
  readonly Base: typeof EventWriterBase;
  readonly sameData: typeof sameData;
  readonly writeU64: typeof writeU64;
  readonly utf8: typeof utf8Bytes;
  /** The previous key of a keyed repetition before its first item. */
  readonly noKey: symbol;
  /** Throws the `UsageError` for `name` with data `d` not among the state's alternatives. */
  noAlternative(w: EventWriterBase, name: string, d: unknown): never;
}

/** @internal The factory form of generated writer code: `(constants, runtime) => class`. */
export type GeneratedWriterFactory = (
  k: readonly unknown[],
  rt: WriterRuntime,
) => new (plan: WriterPlan, options: EventWriterOptions) => EventWriter;

/** The helpers generated writer code calls. */
export const writerRuntime: WriterRuntime = {
  Base: EventWriterBase,
  sameData,
  writeU64,
  utf8: utf8Bytes,
  noKey: NO_KEY,
  noAlternative: (w, name, d) => {
    const s = w.plan.states[w.state];
    if (s === undefined || !s.events.some((e) => e.name === name)) return w.misplaced(name);
    throw new UsageError(
      `${areaOf(w.plan.rule)}.writer-state`,
      `no alternative '${name}' with data ${JSON.stringify(d)}`,
      { rule: s.rule },
    );
  },
};

/** Binds generated writer code to its plan. */
export function bindWriters(
  plan: WriterPlan,
  constants: readonly unknown[],
  factory: GeneratedWriterFactory,
  mode: WriterMode,
): EventWriterFactory {
  const Writer = factory(constants, writerRuntime);
  return { plan, mode, create: (options = {}) => new Writer(plan, options) };
}
