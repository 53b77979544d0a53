/**
 * The resumable decoder generator: turns a declaration into the JavaScript source of a state
 * machine that decodes from buffered chunks, keeps its place in an explicit frame stack (no
 * recursion on the JavaScript stack, no generator or promise per node) and hands its driver
 * (`decode-resumable.ts`) events, payloads to stream, or a request for more bytes.
 *
 * Each state is straight-line code over the buffered bytes `b[p, n)` (the code of the
 * synchronous generator, `DecoderGen`, in its resumable form) that ends in one transition:
 * commit the position and go to the next state, push or pop a frame (repetitions, recursive
 * rules), or return to the driver. Reads past the buffer return {@link RESUMABLE_NEED} before
 * anything is committed, so the driver buffers more bytes and the state runs again.
 *
 * Events do not return to the driver: they are queued (`R.q`, `R.qn`, at most
 * {@link RESUMABLE_QUEUE_LENGTH}) and the machine goes on, so one run decodes as far as the
 * buffered bytes go. A payload whose contents and padding are all buffered (and the padding
 * zero) is queued too, as its place in the buffer, and passed; only a payload that goes past
 * the buffer returns to the driver ({@link RESUMABLE_PAYLOAD}), which streams it. The driver
 * hands out the queued entries, in order, before what the run returned.
 *
 * Like all generated code it only accepts or declines: on any mismatch, limit or refinement
 * failure it returns {@link RESUMABLE_DECLINE} and the driver has the interpreter decide (so
 * errors are the declaration's). Values are built where checks need them (refinements, pairwise
 * keys, events); the value of the whole decode is not (a streaming decode is its events).
 * Declarations where a check needs the value of a part that streams (a refinement around a
 * repetition, a pairwise check on a recursive item) are not generated: {@link NotResumableError}.
 *
 * @module
 */
import type { AnyCodec } from "./codec.js";
import {
  BOOL_BAD,
  DecoderGen,
  Emitter,
  fieldRuns,
  generatedModule,
  matchExpr,
} from "./compile-source.js";
import { encode } from "./encode.js";
import { recordOf } from "./record.js";
import { utf8Bytes, utf8Text } from "./wire-bytes.js";

/** Code returned by a resumable machine: bytes up to `R.want` are needed. */
export const RESUMABLE_NEED = 0;
/** Code: the queue of events is full (`R.q[0, R.qn)`). */
export const RESUMABLE_EVENT = 1;
/** Code: a payload of `R.size` bytes starts at `R.p` (its length field at `R.at`) and goes past the buffer. */
export const RESUMABLE_PAYLOAD = 2;
/** Code: the value is complete. */
export const RESUMABLE_DONE = 3;
/** Code: the machine declines (the interpreter decides). */
export const RESUMABLE_DECLINE = 4;

/** How many events (and buffered payloads) a machine queues before it returns to its driver. */
export const RESUMABLE_QUEUE_LENGTH = 32;

/** {@link QueuedEntry.kind}: an event (`name`, `value`, `data`, `at`). */
export const QUEUED_EVENT = 1;
/** {@link QueuedEntry.kind}: a buffered payload in an event (`name`, `data`, `at`, `p`, `size`). */
export const QUEUED_PAYLOAD = 2;
/** {@link QueuedEntry.kind}: a buffered payload outside events, passed (`p`, `size`). */
export const QUEUED_BARE_PAYLOAD = 3;

/**
 * One entry of a machine's queue (objects reused from run to run). Positions are in the buffer
 * of the run that queued it: `at` is where the event (a payload's length field) starts, `p`
 * where a payload's contents start.
 */
export interface QueuedEntry {
  kind: number;
  name: string | undefined;
  value: unknown;
  data: unknown;
  at: number;
  p: number;
  size: number;
}

/** A declaration the resumable generator does not handle (the interpreter streams it). */
export class NotResumableError extends Error {}

/**
 * One frame of a state's {@link StateLocation}: a composite node the state is inside and where
 * in it (the static part of the interpreter's `ResumeFrame`; the machine's stack has the rest).
 */
export interface LocationFrame {
  readonly node: AnyCodec;
  /** As `ResumeFrame.index`: the field (record, item), or -1 before a repetition's next marker. */
  readonly index: number;
  /** A choice's branch key. */
  readonly branch?: string;
  /** Whether the frame owns one slot of the machine's stack (repetitions, recursive calls). */
  readonly slot: boolean;
}

/**
 * Where the interpreter is when a state starts: inside these frames (outermost first) of its
 * context, the value's root (`context` -1) or the target of a recursive rule (`context` = the
 * target's entry state; below it on the machine's stack, the call's slot).
 */
export interface StateLocation {
  readonly context: number;
  readonly frames: readonly LocationFrame[];
  /** How many of `frames` own a slot of the machine's stack. */
  readonly slots: number;
}

/** The locations of a machine's states, for resuming the interpreter where a state starts. */
export interface ResumeLocations {
  /** By state: where the interpreter is when it starts (`undefined`: not a resumable point). */
  readonly states: readonly (StateLocation | undefined)[];
  /** By the return state of a recursive call: the caller's location inside the call. */
  readonly calls: readonly (StateLocation | undefined)[];
}

/** The generated source of a resumable decoder and the constants it refers to. */
export interface GeneratedResumable {
  /** Body of a function of `(k, rt)` returning `(limits, maxDepth) => { R, M, run(b, p, n) }`. */
  readonly source: string;
  readonly constants: readonly unknown[];
  /** Where each state is in the declaration (the driver's checkpoints). */
  readonly locations: ResumeLocations;
}

/** {@link LocationFrame.index} of an item's field where the interpreter cannot resume. */
const NOT_RESUMABLE_HERE = -2;

/** Whether `node` decodes within one state (no payload, event, repetition or recursion). */
function simple(node: AnyCodec, seen = new Map<AnyCodec, boolean>()): boolean {
  const known = seen.get(node);
  if (known !== undefined) return known;
  let r: boolean;
  switch (node.kind) {
    case "u64":
    case "bool":
    case "bytes":
    case "token":
    case "constU64":
    case "const":
      r = true;
      break;
    case "record":
      r = node.fields.every(([, c]) => simple(c, seen));
      break;
    case "choice":
      r = simple(node.tag, seen) && [...node.branches.values()].every((b) => simple(b.codec, seen));
      break;
    case "optional":
      r = simple(node.item, seen);
      break;
    case "refine":
    case "map":
      r = simple(node.inner, seen);
      break;
    default:
      r = false;
  }
  seen.set(node, r);
  return r;
}

/**
 * Runs longer than this are compared by a loop (`EQ`), not inline: the machine is one function,
 * and inline comparisons made it too large for the optimising compiler to compile quickly.
 */
const RESUMABLE_UNROLL_MAX = 8;

class ResumableGen {
  readonly e = Object.assign(new Emitter(), { unrollMax: RESUMABLE_UNROLL_MAX, equalAt: "EQ" });
  readonly dec = new DecoderGen(this.e, (end) => `{ R.want = ${end}; return 0; }`);
  readonly states: string[][] = [];
  private readonly entries = new Map<AnyCodec, number>();
  private readonly pending: [AnyCodec, number][] = [];
  private readonly simpleCache = new Map<AnyCodec, boolean>();
  /** The frames the code being generated is inside, in the context {@link ResumableGen.context}. */
  private path: LocationFrame[] = [];
  private context = -1;
  readonly locations: (StateLocation | undefined)[] = [];
  readonly calls: (StateLocation | undefined)[] = [];

  /** Records where state `s` starts when nothing is generated in it yet (`frame`: one more). */
  at(s: number, frame?: LocationFrame): void {
    if (this.states[s]!.length > 0 || this.locations[s] !== undefined) return;
    this.locations[s] = this.location(frame);
  }

  private location(frame?: LocationFrame): StateLocation | undefined {
    const frames = frame !== undefined ? [...this.path, frame] : [...this.path];
    if (frames.some((f) => f.index === NOT_RESUMABLE_HERE)) return undefined;
    return { context: this.context, frames, slots: frames.filter((f) => f.slot).length };
  }

  /** Generates `node` from `s` inside `frame`. */
  within(frame: LocationFrame, node: AnyCodec, s: number): number {
    this.path.push(frame);
    const end = this.gen(node, s);
    this.path.pop();
    return end;
  }

  state(): number {
    this.states.push([]);
    return this.states.length - 1;
  }

  isSimple(node: AnyCodec): boolean {
    return simple(node, this.simpleCache);
  }

  /** Ends state `s` by committing and going to `to`. */
  jump(s: number, to: number, extra = ""): void {
    this.states[s]!.push(`${extra}R.p = p; M.S = ${to}; continue;`);
  }

  /** The entry state of a recursive rule's target (generated once). */
  entry(node: AnyCodec): number {
    let s = this.entries.get(node);
    if (s === undefined) {
      s = this.state();
      this.entries.set(node, s);
      this.pending.push([node, s]);
    }
    return s;
  }

  flush(): void {
    while (this.pending.length > 0) {
      const [node, s] = this.pending.shift()!;
      this.path = [];
      this.context = s;
      const end = this.gen(node, s);
      this.states[end]!.push(`M.DEPTH--; M.SP--; R.p = p; M.S = M.RET[M.SP]; continue;`);
    }
  }

  /** Emits the decoding of `node` from state `s`; returns the state where decoding goes on. */
  gen(node: AnyCodec, s: number): number {
    this.at(s);
    const out = this.states[s]!;
    if (this.isSimple(node)) {
      this.dec.node(node, undefined, out);
      return s;
    }
    const e = this.e;
    switch (node.kind) {
      case "record": {
        let cur = s;
        let index = 0;
        for (const part of fieldRuns(node.fields)) {
          const frame = { node, index, slot: false };
          if ("run" in part) {
            this.at(cur, frame);
            this.dec.fixed(part.run, this.states[cur]!);
          } else {
            index = node.fields.findIndex(([key]) => key === part.key);
            cur = this.within({ node, index, slot: false }, part.codec, cur);
            index++;
          }
        }
        return cur;
      }
      case "map":
        return this.gen(node.inner, s);
      case "refine":
        throw new NotResumableError(`refinement ${node.rule} of a streamed value`);
      case "event": {
        if (node.inner.kind === "payload") return this.payload(node.inner, s, node);
        if (!this.isSimple(node.inner))
          throw new NotResumableError(`event ${node.name} of a streamed value`);
        const v = e.fresh("ev");
        const start = e.fresh("at");
        out.push(`const ${start} = p;`, `let ${v};`);
        this.dec.node(node.inner, v, out);
        const next = this.state();
        // (R.value: a pairwise check after a key event reads it)
        out.push(
          `R.value = ${v}; ${queue(QUEUED_EVENT, `q.name = ${e.konst(node.name)}; q.value = ${v}; q.data = ${e.konst(node.data)}; q.at = ${start};`, next)}`,
        );
        return next;
      }
      case "payload":
        return this.payload(node, s, undefined);
      case "lazy": {
        const max = node.limit !== undefined ? e.limit(node.limit) : "M.MAXDEPTH";
        const next = this.state();
        const target = this.entry(node.get());
        this.calls[next] = this.location({ node, index: 0, slot: true });
        out.push(`if (M.DEPTH + 1 > ${max}) throw D;`);
        this.jump(s, target, `M.DEPTH++; M.RET[M.SP] = ${next}; M.SP++; `);
        return next;
      }
      case "choice":
        return this.choice(node, s);
      case "optional": {
        const item = this.state();
        const join = this.state();
        this.dec.check("p + 8", BOOL_BAD, out);
        out.push(`if (b[p] === 1) { p += 8; R.p = p; M.S = ${item}; continue; }`);
        out.push(`p += 8;`);
        this.jump(s, join);
        this.jump(this.within({ node, index: 0, slot: false }, node.item, item), join);
        return join;
      }
      case "repeat":
        return this.repeat(node, s);
      case "list": {
        const head = this.state();
        const item = this.state();
        const join = this.state();
        const c = e.fresh("c");
        out.push(`let ${c};`);
        this.dec.u64Number(c, out);
        out.push(`if (${c} > ${e.limit(node.limit)}) throw D;`);
        this.jump(s, head, `M.CNT[M.SP] = ${c}; M.PREV[M.SP] = 0; M.SP++; `);
        this.at(head, { node, index: -1, slot: true });
        this.states[head]!.push(
          `if (M.PREV[M.SP - 1] === M.CNT[M.SP - 1]) { M.SP--; M.S = ${join}; continue; }`,
          `M.PREV[M.SP - 1]++; M.S = ${item}; continue;`,
        );
        this.jump(this.within({ node, index: 0, slot: true }, node.item, item), head);
        return join;
      }
      case "terminated": {
        const { fields } = recordOf(node.item);
        const [, headCodec] = fields[0]!;
        if (!this.isSimple(headCodec))
          throw new NotResumableError(`terminated ${node.rule} with a streamed head`);
        const head = this.state();
        const rest = this.state();
        const join = this.state();
        this.jump(s, head, `M.CNT[M.SP] = 0; M.SP++; `);
        this.at(head, { node, index: -1, slot: true });
        const h = this.states[head]!;
        const v = e.fresh("hd");
        h.push(`let ${v};`);
        this.dec.node(headCodec, v, h);
        h.push(`if (${v} === ${e.konst(node.end)}) { M.SP--; R.p = p; M.S = ${join}; continue; }`);
        h.push(`if (M.CNT[M.SP - 1] >= ${e.limit(node.limit)}) throw D;`);
        this.jump(head, rest, `M.CNT[M.SP - 1]++; `);
        let cur = rest;
        for (let i = 1; i < fields.length; i++)
          cur = this.within({ node, index: i, slot: true }, fields[i]![1], cur);
        this.jump(cur, head);
        return join;
      }
      default:
        throw new NotResumableError(`${node.kind} ${node.rule}`);
    }
  }

  private payload(
    node: Extract<AnyCodec, { kind: "payload" }>,
    s: number,
    ev: Extract<AnyCodec, { kind: "event" }> | undefined,
  ): number {
    const e = this.e;
    const out = this.states[s]!;
    const start = e.fresh("at");
    const len = e.fresh("len");
    out.push(`const ${start} = p;`, `let ${len};`);
    this.dec.u64Number(len, out);
    out.push(`if (${len} > ${e.limit(node.limit)}) throw D;`);
    const next = this.state();
    // contents and zero padding buffered: queued and passed; else streamed by the driver
    const end = e.fresh("end");
    out.push(`const ${end} = p + ${len} + ((8 - (${len} & 7)) & 7);`);
    const fields = `q.p = p; q.size = ${len};`;
    out.push(
      `if (${end} <= n && ZP(b, p + ${len}, ${end})) { ${
        ev
          ? queue(
              QUEUED_PAYLOAD,
              `q.name = ${e.konst(ev.name)}; q.data = ${e.konst(ev.data)}; q.at = ${start}; ${fields}`,
              next,
              `p = ${end}; `,
            )
          : queue(QUEUED_BARE_PAYLOAD, fields, next, `p = ${end}; `)
      } }`,
    );
    out.push(
      `R.p = p; M.S = ${next}; R.size = ${len}; R.at = ${start}; R.rule = ${e.konst(node.rule)}; R.name = ${ev ? e.konst(ev.name) : "undefined"}; R.data = ${ev ? e.konst(ev.data) : "undefined"}; return 2;`,
    );
    return next;
  }

  private choice(node: Extract<AnyCodec, { kind: "choice" }>, s: number): number {
    const e = this.e;
    const out = this.states[s]!;
    const join = this.state();
    const branches: [AnyCodec, number, string][] = [];
    if (node.tagLengths !== undefined) {
      this.dec.tagBounds(node, out);
      for (const [key, br] of node.branches) {
        if (typeof br.tag !== "string" || utf8Text(utf8Bytes(br.tag)) !== br.tag) continue;
        const enc = encode(node.tag, br.tag);
        const to = this.state();
        branches.push([br.codec, to, key]);
        out.push(
          `if (p + ${enc.length} <= n && ${matchExpr(e, enc, "p")}) { p += ${enc.length}; R.p = p; M.S = ${to}; continue; }`,
        );
      }
      out.push(`throw D;`);
    } else {
      const tag = e.fresh("tag");
      out.push(`let ${tag};`);
      this.dec.node(node.tag, tag, out);
      const numeric = node.tag.kind === "u64" && node.tag.asNumber;
      out.push(`switch (${numeric ? tag : `String(${tag})`}) {`);
      for (const [key, br] of node.branches) {
        const to = this.state();
        branches.push([br.codec, to, key]);
        out.push(`case ${numeric ? key : JSON.stringify(key)}: R.p = p; M.S = ${to}; continue;`);
      }
      out.push(`default: throw D;`, `}`);
    }
    for (const [codec, to, branch] of branches)
      this.jump(this.within({ node, index: 0, branch, slot: false }, codec, to), join);
    return join;
  }

  private repeat(node: Extract<AnyCodec, { kind: "repeat" }>, s: number): number {
    const e = this.e;
    const head = this.state();
    const item = this.state();
    const join = this.state();
    this.jump(s, head, `M.CNT[M.SP] = 0; M.PREV[M.SP] = undefined; M.SP++; `);
    this.at(head, { node, index: -1, slot: true });
    const h = this.states[head]!;
    const more = node.more.encoded;
    const end = node.end.encoded;
    if (node.more.kind === "token" && node.end.kind === "token") {
      h.push(`if (p + ${more.length} <= n && ${matchExpr(e, more, "p")}) p += ${more.length};`);
      h.push(
        `else if (p + ${end.length} <= n && ${matchExpr(e, end, "p")}) { p += ${end.length}; M.SP--; R.p = p; M.S = ${join}; continue; }`,
      );
      const longest = Math.max(more.length, end.length);
      h.push(`else if (p + ${longest} > n) { R.want = p + ${longest}; return 0; }`);
      h.push(`else throw D;`);
    } else {
      this.dec.bound("p + 8", h);
      h.push(
        `if (${matchExpr(e, end, "p")}) { p += 8; M.SP--; R.p = p; M.S = ${join}; continue; }`,
      );
      h.push(`if (!(${matchExpr(e, more, "p")})) throw D;`);
      h.push(`p += 8;`);
    }
    const max = node.limit !== undefined ? e.limit(node.limit) : "Infinity";
    h.push(`if (M.CNT[M.SP - 1] + 1 > ${max}) throw D;`);
    this.jump(head, item, `M.CNT[M.SP - 1]++; `);
    const pairwise = node.pairwise !== undefined ? e.konst(node.pairwise) : undefined;
    /** The pairwise check of the value in `v` then its keeping, in its own state after `at`. */
    const check = (at: number, v: string): number => {
      const next = this.state();
      if (pairwise !== undefined)
        this.states[at]!.push(
          `if (M.CNT[M.SP - 1] > 1 && ${pairwise}(M.PREV[M.SP - 1], ${v}) !== undefined) throw D;`,
        );
      this.jump(at, next, `M.PREV[M.SP - 1] = ${v}; `);
      return next;
    };
    let cur = item;
    if (node.key !== undefined) {
      const fields = recordOf(node.item).fields;
      const keyAt = fields.findIndex(([key]) => key === node.key);
      // (inside an item, the interpreter resumes at its start or after its key is checked:
      // between them it would need the item's start for the pairwise error)
      const frame = (index: number) => ({
        node,
        index: index === 0 || index > keyAt ? index : NOT_RESUMABLE_HERE,
        slot: true,
      });
      for (const [index, [key, codec]] of fields.entries()) {
        if (key !== node.key) {
          cur = this.within(frame(index), codec, cur);
          continue;
        }
        if (this.isSimple(codec)) {
          const v = e.fresh("key");
          this.at(cur, frame(index));
          this.states[cur]!.push(`let ${v};`);
          this.dec.node(codec, v, this.states[cur]!);
          cur = check(cur, v);
        } else if (codec.kind === "event" && this.isSimple(codec.inner)) {
          cur = check(this.within(frame(index), codec, cur), "R.value");
        } else throw new NotResumableError(`key ${key} of ${node.rule} is streamed`);
      }
    } else if (pairwise !== undefined) {
      if (!this.isSimple(node.item))
        throw new NotResumableError(`pairwise check of streamed items in ${node.rule}`);
      const v = e.fresh("it");
      this.at(cur, { node, index: 0, slot: true });
      this.states[cur]!.push(`let ${v};`);
      this.dec.node(node.item, v, this.states[cur]!);
      cur = check(cur, v);
    } else cur = this.within({ node, index: 0, slot: true }, node.item, cur);
    this.jump(cur, head);
    return join;
  }
}

/**
 * Code that queues an entry of `kind` (`fields` sets the entry `q`), commits the position (after
 * `advance`) and goes to state `next`, returning to the driver when the queue is full.
 */
function queue(kind: number, fields: string, next: number, advance = ""): string {
  return (
    `{ const q = R.q[R.qn++]; q.kind = ${kind}; ${fields} } ${advance}R.p = p; ` +
    `if (R.qn === ${RESUMABLE_QUEUE_LENGTH}) { M.S = ${next}; return 1; } M.S = ${next}; continue;`
  );
}

/**
 * For each state, the states it jumps to that may be called directly: the jumps of a depth-first
 * walk that do not close a cycle (a back jump returns to the run loop, so direct calls nest at
 * most as deep as there are states).
 */
function forwardJumps(states: readonly string[][]): Set<number>[] {
  const targets = states.map((lines) => {
    const to = new Set<number>();
    for (const m of lines.join("\n").matchAll(/M\.S = (\d+); continue;/g)) to.add(Number(m[1]));
    return to;
  });
  const direct = states.map(() => new Set<number>());
  const mark = new Uint8Array(states.length); // 0 unseen, 1 on the walk's path, 2 done
  const walk = (s: number): void => {
    mark[s] = 1;
    for (const to of targets[s]!) {
      if (mark[to] === 1) continue;
      if (mark[to] === 0) walk(to);
      direct[s]!.add(to);
    }
    mark[s] = 2;
  };
  for (let s = 0; s < states.length; s++) if (mark[s] === 0) walk(s);
  return direct;
}

/**
 * Generates the resumable decoder of `codec` (see the module comment); throws
 * {@link NotResumableError} for declarations it does not handle. The same declaration always
 * gives the same source and constants.
 */
export function generateResumable(codec: AnyCodec): GeneratedResumable {
  const g = new ResumableGen();
  const root = g.state();
  const end = g.gen(codec, root);
  g.states[end]!.push(`R.p = p; M.S = -1; return 3;`);
  g.flush();
  const e = g.e;
  const limits = e.limits.map((l) => l.split(" = ")[0]!);
  const direct = forwardJumps(g.states);
  const locations = { states: jumpLocations(g.states, g.locations), calls: g.calls };
  // one small function per state (each optimised on its own); `continue` = go to the next
  // state: a direct call when the jump is forward (so one run goes through a whole header
  // without coming back to the loop), else back to the loop (no unbounded recursion)
  const states = g.states.map((lines, i) => {
    const body = lines
      .join("\n")
      .replace(/M\.S = (\d+); continue;/g, (all, to: string) =>
        direct[i]!.has(Number(to)) ? `M.S = ${to}; return state${to}(M, R, b, R.p, n);` : all,
      )
      .replace(/continue;/g, "return 5;");
    const used = limits.filter((l) => new RegExp(`\\b${l}\\b`).test(body));
    const load = used.length > 0 ? `const ${used.map((l) => `${l} = M.${l}`).join(", ")};\n` : "";
    return `function state${i}(M, R, b, p, n) {\n${load}${body}\n}`;
  });
  const source = [
    `"use strict";`,
    `const D = rt.DECLINE;`,
    `function EQ(b, at, t) {`,
    `for (let i = 0; i < t.length; i++) if (b[at + i] !== t[i]) return false;`,
    `return true;`,
    `}`,
    `function ZP(b, from, to) {`,
    `for (let i = from; i < to; i++) if (b[i] !== 0) return false;`,
    `return true;`,
    `}`,
    `function CP(b, from, to) {`,
    `const out = new Uint8Array(to - from);`,
    `for (let i = from; i < to; i++) out[i - from] = b[i];`,
    `return out;`,
    `}`,
    ...states,
    // one machine function for every decode (optimised once), its state in the object M
    `function run(M, b, p, n) {`,
    `const R = M.R;`,
    `R.p = p;`,
    `try {`,
    `for (;;) {`,
    // direct calls (the optimising compiler may inline them), not calls through a table
    `let code;`,
    `switch (M.S) {`,
    ...g.states.map((_, i) => `case ${i}: code = state${i}(M, R, b, R.p, n); break;`),
    `default: code = 4;`,
    `}`,
    `if (code !== 5) return code;`,
    `}`,
    `} catch (x) {`,
    `if (x === D) return 4;`,
    `throw x;`,
    `}`,
    `}`,
    `return function (lim, MAXDEPTH) {`,
    `const M = { S: 0, DEPTH: 0, SP: 0, MAXDEPTH, RET: [], CNT: [], PREV: [],`,
    ` R: { p: 0, want: 0, name: undefined, value: undefined, data: undefined, at: 0, size: 0, rule: "", qn: 0, q: [] },`,
    ...e.limits.map((l) => ` ${l.replace(" = ", ": ")},`),
    `};`,
    `for (let i = 0; i < ${RESUMABLE_QUEUE_LENGTH}; i++)`,
    ` M.R.q.push({ kind: 0, name: undefined, value: undefined, data: undefined, at: 0, p: 0, size: 0 });`,
    `return { R: M.R, M, run: (b, p, n) => run(M, b, p, n) };`,
    `};`,
  ].join("\n");
  return { source, constants: e.constants, locations };
}

/**
 * The locations of states that only jump (no code, no stack change) are those of where they
 * jump to.
 */
function jumpLocations(
  states: readonly string[][],
  located: readonly (StateLocation | undefined)[],
): (StateLocation | undefined)[] {
  const out = states.map((_, i) => located[i]);
  const onlyJump = states.map((lines) => {
    const m = lines.length === 1 ? /^R\.p = p; M\.S = (\d+); continue;$/.exec(lines[0]!) : null;
    return m === null ? -1 : Number(m[1]);
  });
  for (let changed = true; changed;) {
    changed = false;
    for (let i = 0; i < states.length; i++) {
      const to = onlyJump[i]!;
      if (out[i] === undefined && to >= 0 && out[to] !== undefined) {
        out[i] = out[to];
        changed = true;
      }
    }
  }
  return out;
}

/** The text of a checked-in generated resumable decoder module (see `generatedModule`). */
export function generatedResumableModule(name: string, from: string, source: string): string {
  return generatedModule(name, from, source, {
    suffix: "Resumable",
    type: "ResumableFactory",
    module: "decode-resumable",
    what: "resumable decoder",
    binder: "resumableFromGenerated",
  });
}
