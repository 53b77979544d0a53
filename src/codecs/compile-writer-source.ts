/**
 * The code generator of event writers: turns a declaration's writer plan (`writer-plan.ts`)
 * into JavaScript source for a writer class with one method per event.
 *
 * Each (state, event) transition becomes a function writing straight into the writer's buffer:
 * one room check for the whole step, the fixed byte runs between the holes (adjacent tokens
 * joined by the plan) as inline stores or one `set`, u64 lengths and zero padding inline, the
 * value's bytes, then the next state as a number. Checks (checked mode) accept the common case
 * inline (depth, type, limit, the declaration's refinement and order functions called from the
 * constants table) and otherwise call the writer's shared `checkTransition`, which throws the
 * interpreter's errors: the generated code holds no error text and no copy of a rule;
 * refinements, limits and tokens all come from the declaration.
 *
 * The source is a function body of `(k, rt)` (constants, `WriterRuntime`) returning the class.
 * `compile.ts` turns it into code with `new Function` where allowed; `scripts/generate-codecs.mjs`
 * writes it into checked-in `*.generated.ts` modules for the library's formats (no `eval`).
 *
 * @module
 */
import { generatedModule } from "./compile-source.js";
import { writerMethodName } from "./event-writer.js";
import { DEFAULT_MAX_DEPTH } from "./limits.js";
import type { WriterAction, WriterPlan, WriterTransition } from "./writer-plan.js";

/**
 * Fixed runs up to this length are written by inline stores (eight bytes at a time, through the
 * writer's `DataView` of its buffer: several times cheaper than a `set` call for the short runs
 * of framing a step writes); longer ones by `set`.
 */
const INLINE_MAX = 256;
/** Byte-string values up to this length are copied by a loop; longer ones by `set`. */
const LOOP_COPY_MAX = 32;

/** The generated source of an event writer and the constants it refers to. */
export interface GeneratedWriter {
  readonly source: string;
  readonly constants: readonly unknown[];
}

class Constants {
  readonly list: unknown[] = [];
  private readonly index = new Map<unknown, number>();

  ref(value: unknown): string {
    let i = this.index.get(value);
    if (i === undefined) {
      i = this.list.length;
      this.list.push(value);
      this.index.set(value, i);
    }
    return `k[${i}]`;
  }
}

/** Statements writing the safe integer `x` as u64 at `at` (`d`: the buffer's `DataView`). */
function u64Number(x: string): string {
  return (
    `d.setUint32(at, ${x} >>> 0, true); d.setUint32(at + 4, (${x} / 4294967296) >>> 0, true); ` +
    `at += 8;`
  );
}

/**
 * Statements writing the constant `bytes` at `at + from` (`b` the buffer, `d` its `DataView`):
 * each eight bytes as one little-endian float64 store of the number with those bits (two
 * uint32 stores where the bits are a NaN, whose bits a store need not keep), the rest by bytes.
 */
function constantStores(bytes: Uint8Array): string {
  const out: string[] = [];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let i = 0;
  for (; i + 8 <= bytes.length; i += 8) {
    const x = view.getFloat64(i, true);
    if (Number.isNaN(x)) {
      out.push(`d.setUint32(at + ${i}, ${view.getUint32(i, true)}, true);`);
      out.push(`d.setUint32(at + ${i + 4}, ${view.getUint32(i + 4, true)}, true);`);
    } else out.push(`d.setFloat64(at + ${i}, ${Object.is(x, -0) ? "-0" : String(x)}, true);`);
  }
  for (; i < bytes.length; i++) out.push(`b[at + ${i}] = ${bytes[i]};`);
  return out.join(" ");
}

const ZERO_PAD = (x: string) => `for (let i = (8 - (${x} & 7)) & 7; i > 0; i--) b[at++] = 0;`;

/** The condition that data `d` is `data` (JSON-like constant of the declaration). */
function dataTest(k: Constants, data: unknown): string {
  if (data === undefined || data === null || typeof data !== "object") {
    return typeof data === "bigint"
      ? `d === ${data}n`
      : `d === ${JSON.stringify(data) ?? "undefined"}`;
  }
  const entries = Object.entries(data as Record<string, unknown>);
  if (entries.every(([, v]) => ["boolean", "number", "string"].includes(typeof v))) {
    return [
      `d != null`,
      ...entries.map(([key, v]) => `d[${JSON.stringify(key)}] === ${JSON.stringify(v)}`),
    ].join(" && ");
  }
  return `rt.sameData(d, ${k.ref(data)})`;
}

type HoleAction = Extract<WriterAction, { op: "hole" }>;

/**
 * The check of a transition (checked mode): a fast path that only accepts (the depth within
 * every limit, the value of the common type within its limit, refinements and order holding,
 * by the declaration's own functions from the constants table), else the writer's
 * `checkTransition`, which checks everything again and throws the interpreter's error.
 */
function checkStatement(
  k: Constants,
  t: WriterTransition,
  hole: HoleAction | undefined,
  keySlots: number,
): string {
  const slow = `w.checkTransition(${k.ref(t)}, v)`;
  const accept: string[] = [];
  let pushes = 0;
  let depthRoom = Infinity;
  for (const a of t.actions) {
    if (a.op !== "push") continue;
    pushes++;
    depthRoom = Math.min(depthRoom, (a.lazy.limit?.value ?? DEFAULT_MAX_DEPTH) - pushes);
  }
  if (pushes > 0) accept.push(`w.stack.length <= ${depthRoom}`);
  let key: HoleAction["key"];
  if (hole !== undefined) {
    const node = hole.node;
    switch (node.kind) {
      case "u64":
        accept.push(`typeof v === "number" && Number.isSafeInteger(v) && v >= 0`);
        break;
      case "payload":
        accept.push(`Number.isSafeInteger(v) && v >= 0`);
        break;
      case "bool":
        break;
      case "bytes":
        // (texts, and byte strings given as strings, take the general check)
        if (node.utf8) return `if (w.checked) ${slow};`;
        accept.push(`v instanceof Uint8Array && v.length <= ${node.limit.value}`);
        for (const r of hole.refines) accept.push(`${k.ref(r.check)}(v) === undefined`);
        key = hole.key;
        break;
    }
  }
  const cond = accept.length === 0 ? "true" : accept.join(" && ");
  if (key === undefined) return `if (w.checked && !(${cond})) ${slow};`;
  return [
    `if (w.checked) {`,
    `const ka = w.stack.length * ${keySlots} + ${key.slot}, prev = w.keys[ka];`,
    `if (${cond} && (prev === undefined || prev === rt.noKey || ${k.ref(key.repeat.pairwise)}(prev, v) === undefined)) w.keys[ka] = v;`,
    `else ${slow};`,
    `}`,
  ].join("\n");
}

/** The statements of a transition (`w` the writer, `v` the value). */
function transitionBody(
  k: Constants,
  t: WriterTransition,
  inResume: boolean,
  keySlots: number,
): string[] {
  const out: string[] = [];
  const hole = t.actions.find((a): a is HoleAction => a.op === "hole");
  const pushes = t.actions.some((a) => a.op === "push");
  if (pushes || hole !== undefined) out.push(checkStatement(k, t, hole, keySlots));
  let need = 0;
  let needExpr = "";
  for (const a of t.actions) {
    if (a.op === "fixed") need += a.bytes.length;
    else if (a.op === "pad") need += 8;
  }
  if (hole !== undefined) {
    if (hole.node.kind === "bytes") {
      if (hole.node.utf8) out.push(`const s = rt.utf8(v), n = s.length;`);
      else out.push(`const n = v.length;`);
      need += 16;
      needExpr = " + n";
    } else need += 8;
  }
  if (need > 0 || needExpr !== "") {
    out.push(`let b = w.buf, at = w.at;`);
    out.push(
      `if (at + ${need}${needExpr} > b.length) { w.room(${need}${needExpr}); b = w.buf; at = w.at; }`,
    );
    out.push(`const d = w.view(b);`);
  }
  for (const a of t.actions) {
    switch (a.op) {
      case "fixed": {
        const bytes = a.bytes;
        if (bytes.length <= INLINE_MAX) out.push(constantStores(bytes));
        else out.push(`b.set(${k.ref(bytes)}, at);`);
        out.push(`at += ${bytes.length};`);
        break;
      }
      case "hole":
        switch (a.node.kind) {
          case "u64":
            out.push(`if (typeof v === "number") { ${u64Number("v")} }`);
            out.push(`else { rt.writeU64(b, at, v); at += 8; }`);
            break;
          case "bool":
            out.push(`d.setUint32(at, v ? 1 : 0, true); d.setUint32(at + 4, 0, true); at += 8;`);
            break;
          case "payload":
            out.push(u64Number("v"));
            out.push(`w.size = v; w.left = v;`);
            break;
          case "bytes":
            out.push(u64Number("n"));
            if (a.node.utf8) out.push(`b.set(s, at);`);
            else {
              out.push(
                `if (typeof v === "string") { for (let i = 0; i < n; i++) b[at + i] = v.charCodeAt(i); }`,
              );
              out.push(
                `else if (n <= ${LOOP_COPY_MAX}) { for (let i = 0; i < n; i++) b[at + i] = v[i]; }`,
              );
              out.push(`else b.set(v, at);`);
            }
            out.push(`at += n;`);
            out.push(ZERO_PAD("n"));
            break;
        }
        break;
      case "push":
        out.push(`w.stack.push(${a.resume});`);
        break;
      case "repeat-start":
        out.push(`if (w.checked) w.startKeys(${a.slot});`);
        break;
      case "pad":
        out.push(ZERO_PAD("w.size"));
        break;
    }
  }
  if (need > 0 || needExpr !== "") out.push(`w.at = at;`);
  if (t.end.op === "state") {
    out.push(`w.state = ${t.end.state};`);
    if (inResume) out.push(`return;`);
  } else out.push(inResume ? `continue;` : `ret(w);`);
  return out;
}

/**
 * Generates the source of the event writer class of `plan` (see {@link GeneratedWriter}); the
 * same plan always gives the same source and the same constants, in the same order.
 */
export function generateWriter(plan: WriterPlan): GeneratedWriter {
  const k = new Constants();
  const fns: string[] = [];
  const transitionName = new Map<WriterTransition, string>();
  const fn = (t: WriterTransition): string => {
    let name = transitionName.get(t);
    if (name === undefined) {
      name = `t${transitionName.size}`;
      transitionName.set(t, name);
      fns.push(
        `function ${name}(w, v) {\n${transitionBody(k, t, false, plan.keySlots).join("\n")}\n}`,
      );
    }
    return name;
  };
  const resumes = plan.resumes.map(
    (t, i) => `case ${i}: {\n${transitionBody(k, t, true, plan.keySlots).join("\n")}\n}`,
  );
  const methods: string[] = [];
  methods.push(
    `P.begin = function () { if (this.state !== -1) this.misplaced("begin"); ${fn(plan.start)}(this, undefined); };`,
  );
  const ends = plan.states
    .filter((s) => s.end !== undefined)
    .map(
      (s) =>
        // (checkEnd throws only for a payload short of its size)
        `case ${s.id}: ${s.kind === "payload" ? "if (this.checked && this.left !== 0) this.checkEnd(); " : ""}${fn(s.end!)}(this, undefined); return;`,
    );
  methods.push(
    `P.end = function () {\nswitch (this.state) {\n${ends.join("\n")}\ndefault: this.misplaced("end");\n}\n};`,
  );
  for (const name of plan.eventNames) {
    const cases: string[] = [];
    for (const s of plan.states) {
      const edges = s.events.filter((e) => e.name === name);
      if (edges.length === 0) continue;
      if (edges.length === 1) {
        cases.push(`case ${s.id}: ${fn(edges[0]!.transition)}(this, v); return;`);
        continue;
      }
      const tests = edges.map(
        (e, i) =>
          `${i === 0 ? "" : "else "}if (${dataTest(k, e.data)}) ${fn(e.transition)}(this, v);`,
      );
      cases.push(
        `case ${s.id}: ${tests.join(" ")} else rt.noAlternative(this, ${JSON.stringify(name)}, d); return;`,
      );
    }
    methods.push(
      `P.${writerMethodName(name)} = function (v, d) {\nswitch (this.state) {\n${cases.join("\n")}\ndefault: this.misplaced(${JSON.stringify(name)});\n}\n};`,
    );
  }
  const source = [
    `"use strict";`,
    `function ret(w) {`,
    `for (;;) {`,
    `const r = w.stack.pop();`,
    `if (r === undefined) { w.state = -2; return; }`,
    `switch (r) {`,
    ...resumes,
    `}`,
    `}`,
    `}`,
    ...fns,
    `class Writer extends rt.Base {}`,
    `const P = Writer.prototype;`,
    ...methods,
    `return Writer;`,
  ].join("\n");
  return { source, constants: k.list };
}

/** The text of a checked-in generated event writer module (see `generatedModule`). */
export function generatedWriterModule(name: string, from: string, source: string): string {
  return generatedModule(name, from, source, {
    suffix: "WriterGenerated",
    type: "GeneratedWriterFactory",
    module: "event-writer",
    what: "event writer",
    binder: "fromGeneratedWriter",
  });
}
