/**
 * Event writers against the interpreter's encoder: the NAR declaration's checked-in generated
 * writer, the writer compiled at run time and the plan-walking writer (no `eval`) write the
 * bytes `encode` writes for random trees, and throw its errors (class, code, rule, text) for
 * random invalid ones; the same on randomly generated declarations (records, choices,
 * repetitions, recursion, payloads, limits, refinements, events), driven by the same events.
 */
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import {
  type AnyCodec,
  compileWriter,
  encode,
  type EventWriter,
  type EventWriterFactory,
} from "../../src/codecs/index.js";
import { compareBytes, concatBytes, utf8Bytes } from "../../src/codecs/wire-bytes.js";
import { createNarEventWriter, NAR_EMIT_MAX_HEADER } from "../../src/nar/nar-event-writer.js";
import {
  narGrammar,
  NAR_REGULAR_EXECUTABLE,
  NAR_REGULAR_PLAIN,
} from "../../src/nar/nar-grammar.js";
import { createNarWriter, encodeNar, type NarNode, type NarWriter } from "../../src/nar/index.js";
import { writerPlan } from "../../src/codecs/writer-plan.js";
import { arbNarContents, arbNarTarget, arbNarTree } from "../../src/testing/nar.js";
import { eventSpec, type EventSpecRoot, rng } from "../support/random-codecs.js";

const RUNS = 150;

/** Drives a NAR event writer with the events of `tree` (entries sorted as bytes). */
function driveNar(w: EventWriter, tree: NarNode): void {
  const n = w as EventWriter & Record<string, (v?: unknown, d?: unknown) => void>;
  const walk = (node: NarNode) => {
    if (node.type === "regular") {
      n.regular!(
        node.contents.length,
        node.executable ? NAR_REGULAR_EXECUTABLE : NAR_REGULAR_PLAIN,
      );
      for (let i = 0; i < node.contents.length; i += 7) w.chunk(node.contents.subarray(i, i + 7));
      w.end();
    } else if (node.type === "symlink") {
      n.symlink!(node.targetBytes ?? utf8Bytes(node.target));
    } else {
      n.directory!();
      const entries = node.entries
        .map((e) => ({ name: e.nameBytes ?? utf8Bytes(e.name), node: e.node }))
        .sort((a, b) => compareBytes(a.name, b.name));
      for (const e of entries) {
        n.entry!(e.name);
        walk(e.node);
      }
      w.end();
    }
  };
  w.begin();
  walk(tree);
  w.flush();
  w.finish();
}

/** Drives a {@link NarWriter} with the calls for `tree`, contents in pieces of `piece` bytes. */
function driveNarWriter(w: NarWriter, tree: NarNode, piece: number): void {
  const walk = (node: NarNode) => {
    if (node.type === "regular") {
      w.regular(node.contents.length, node.executable);
      for (let i = 0; i < node.contents.length; i += piece) {
        w.write(node.contents.subarray(i, i + piece));
      }
      w.end();
    } else if (node.type === "symlink") {
      w.symlink(node.targetBytes ?? node.target);
    } else {
      w.directory();
      const entries = node.entries
        .map((e) => ({ name: e.nameBytes ?? utf8Bytes(e.name), node: e.node }))
        .sort((a, b) => compareBytes(a.name, b.name));
      for (const e of entries) {
        w.entry(e.name);
        walk(e.node);
      }
      w.end();
    }
  };
  walk(tree);
  w.finish();
}

/** The writer's bytes for `drive`, or its error. */
function written(
  create: (sink: (c: Uint8Array) => void) => EventWriter,
  drive: (w: EventWriter) => void,
): Uint8Array | unknown {
  const parts: Uint8Array[] = [];
  try {
    drive(create((c) => parts.push(c.slice())));
    return concatBytes(parts);
  } catch (e) {
    return describeError(e);
  }
}

function describeError(e: unknown): unknown {
  if (!(e instanceof Error)) return e;
  const x = e as Error & { code?: string; position?: unknown };
  return { class: x.constructor.name, code: x.code, position: x.position, message: x.message };
}

function encoded(codec: AnyCodec, value: unknown): Uint8Array | unknown {
  try {
    return encode(codec, value);
  } catch (e) {
    return describeError(e);
  }
}

const narWriters: [string, (sink: (c: Uint8Array) => void) => EventWriter][] = [
  ["generated (checked in)", (sink) => createNarEventWriter({ sink, buffer: new Uint8Array(64) })],
  ["compiled at run time", (sink) => compileWriter(narGrammar).create({ sink })],
  ["plan walked (no eval)", (sink) => compileWriter(narGrammar, { eval: false }).create({ sink })],
];

/** Names, valid or not. */
const arbAnyName = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom("a", "b", "é", "😀", "z", "ab") },
  { weight: 1, arbitrary: fc.constantFrom("", ".", "..", "a/b", "a\0b", "x".repeat(256)) },
);
const arbAnyTarget = fc.oneof(
  { weight: 4, arbitrary: arbNarTarget },
  { weight: 1, arbitrary: fc.constantFrom("", "a\0b", "t".repeat(4096)) },
);

/** Trees with invalid names, duplicates and invalid targets among valid ones. */
const arbInvalidTree: fc.Arbitrary<NarNode> = fc.letrec<{ node: NarNode }>((tie) => ({
  node: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.record({
      type: fc.constant("regular" as const),
      executable: fc.boolean(),
      contents: arbNarContents(20),
    }),
    fc.record({ type: fc.constant("symlink" as const), target: arbAnyTarget }),
    fc.record({
      type: fc.constant("directory" as const),
      entries: fc.array(fc.record({ name: arbAnyName, node: tie("node") }), { maxLength: 4 }),
    }),
  ),
})).node;

describe("the NAR event writer", () => {
  it("writes what encodeNar writes, from every writer, checked or not", () => {
    fc.assert(
      fc.property(arbNarTree(), (tree) => {
        const want = encodeNar(tree);
        for (const [, create] of narWriters) {
          expect(written(create, (w) => driveNar(w, tree))).toEqual(want);
        }
        const unchecked = createNarEventWriter({ checked: false, buffer: new Uint8Array(16) });
        driveNar(unchecked, tree);
        expect(unchecked.buf.subarray(0, unchecked.at)).toEqual(want);
      }),
      { numRuns: RUNS },
    );
  });

  it("refuses what encodeNar refuses, with its error", () => {
    fc.assert(
      fc.property(arbInvalidTree, (tree) => {
        const want = encoded(narGrammar, tree);
        for (const [, create] of narWriters) {
          expect(written(create, (w) => driveNar(w, tree))).toEqual(want);
        }
      }),
      { numRuns: RUNS },
    );
  });

  it("createNarWriter coalesces its output into bounded chunks: encodeNar's bytes and errors", () => {
    fc.assert(
      fc.property(
        fc.oneof(arbNarTree(), arbInvalidTree),
        fc.integer({ min: 1, max: 300 }),
        fc.integer({ min: 1, max: 80 }),
        fc.integer({ min: 0, max: 40 }),
        (tree, chunkSize, piece, copyMax) => {
          const want = encoded(narGrammar, tree);
          const parts: Uint8Array[] = [];
          let got: unknown;
          try {
            const w = createNarWriter((c) => parts.push(c.slice()), { chunkSize, copyMax });
            driveNarWriter(w, tree, piece);
            got = concatBytes(parts);
          } catch (e) {
            got = describeError(e);
          }
          expect(got).toEqual(want);
          // a chunk is a contents chunk handed on as it is, or at most chunkSize bytes plus one step
          for (const c of parts) {
            expect(c.length).toBeLessThanOrEqual(Math.max(piece, chunkSize + 4096 + 200));
          }
        },
      ),
      { numRuns: RUNS },
    );
  });

  it("keeps its state after a refusal, and refuses contents of the wrong size", () => {
    const w = createNarEventWriter({ sink: () => {} });
    w.begin();
    w.directory();
    expect(() => w.entry("a/b")).toThrow(expect.objectContaining({ code: "nar.invalid-name" }));
    w.entry("a");
    w.regular(3, NAR_REGULAR_PLAIN);
    expect(() => w.chunk(new Uint8Array(4))).toThrow(
      expect.objectContaining({
        code: "codec.invalid-value",
        position: { rule: "nar.regular.contents" },
      }),
    );
    w.chunk(new Uint8Array(2));
    expect(() => w.end()).toThrow(/payload announced 3 bytes but gave 2/);
    expect(() => w.entry("b")).toThrow(expect.objectContaining({ code: "nar.writer-state" }));
    w.chunk(new Uint8Array(1));
    w.end();
    expect(() => w.finish()).toThrow(expect.objectContaining({ code: "nar.writer-state" }));
    w.end();
    w.finish();
  });

  it("keeps room for any step's fixed bytes within NAR_EMIT_MAX_HEADER", () => {
    const plan = writerPlan(narGrammar);
    const all = [
      plan.start,
      ...plan.resumes,
      ...plan.states.flatMap((s) => [
        ...s.events.map((e) => e.transition),
        ...(s.end ? [s.end] : []),
      ]),
    ];
    for (const t of all) {
      let fixed = 0;
      for (const a of t.actions) {
        if (a.op === "fixed") fixed += a.bytes.length;
        else if (a.op === "pad" || a.op === "hole") fixed += 16;
      }
      expect(fixed).toBeLessThanOrEqual(NAR_EMIT_MAX_HEADER);
    }
  });
});

// ---- random declarations (test/support/random-codecs.ts) ----

/**
 * Drives a writer with the events of `value` under `codec`: every valued event (and value
 * outside an event) is called; a marker event only where it leads an alternative (a choice's
 * branch or a repetition's item); payloads as size, chunks, `end()`; repetitions end by `end()`.
 */
function drive(w: EventWriter, codec: AnyCodec, value: unknown): void {
  const call = (name: string, v?: unknown, d?: unknown) => w.event(name, v, d);
  let leading = false;
  const walk = (node: AnyCodec, v: unknown): void => {
    switch (node.kind) {
      case "token":
      case "constU64":
      case "const":
        return;
      case "record":
        for (const [k, f] of node.fields) walk(f, (v as Record<string, unknown>)[k]);
        return;
      case "lazy":
        walk(node.get(), v);
        return;
      case "choice": {
        const c = v as { tag: unknown; value: unknown };
        const br = node.branches.get(String(c.tag))!;
        leading = true;
        walk(br.codec, c.value);
        return;
      }
      case "repeat":
        for (const item of v as unknown[]) {
          leading = true;
          walk(node.item, item);
        }
        w.end();
        return;
      case "event": {
        const inner = node.inner;
        if (inner.kind === "token" || inner.kind === "const" || inner.kind === "constU64") {
          if (leading) call(node.name, undefined, node.data);
          leading = false;
          return;
        }
        leading = false;
        holeCall(node.name, inner, v, node.data);
        return;
      }
      default:
        leading = false;
        holeCall(node.rule, node, v, undefined);
    }
  };
  const holeCall = (name: string, node: AnyCodec, v: unknown, data: unknown) => {
    let n = node;
    while (n.kind === "refine") n = n.inner;
    if (n.kind === "payload") {
      const b = v as Uint8Array;
      call(name, b.length, data);
      w.chunk(b);
      w.end();
    } else call(name, v, data);
  };
  w.begin();
  walk(codec, value);
  w.flush();
  w.finish();
}

describe("event writers of random declarations", () => {
  it("write what the interpreter's encoder writes, or throw its error", () => {
    let taken = 0;
    fc.assert(
      fc.property(fc.integer(), (seed) => {
        const r = rng(seed);
        const declared: EventSpecRoot = {};
        const s = (declared.spec = eventSpec(r, 12, "root", declared));
        const root = s.codec;
        let factories: EventWriterFactory[];
        try {
          factories = [compileWriter(root), compileWriter(root, { eval: false })];
        } catch (e) {
          // declarations an event writer cannot take (e.g. an alternative without a leading
          // event, when a branch starts with a repetition): refused at generation
          expect(String(e)).toMatch(/event writer:/);
          return;
        }
        taken++;
        for (let i = 0; i < 8; i++) {
          const value = s.value(r, 0);
          const want = encoded(root, value);
          for (const f of factories) {
            const got = written(
              (sink) => f.create({ sink, buffer: new Uint8Array(8) }),
              (w) => drive(w, root, value),
            );
            expect(got).toEqual(want);
          }
        }
      }),
      { numRuns: 300 },
    );
    // most random declarations are ones an event writer takes
    expect(taken).toBeGreaterThan(200);
  });
});

describe("compileWriter() without eval", () => {
  const saved = globalThis.Function;
  afterEach(() => {
    globalThis.Function = saved;
  });

  it("walks the plan when the platform forbids new Function (CSP, Workers): same bytes", () => {
    globalThis.Function = function () {
      throw new EvalError("Code generation from strings disallowed for this context");
    } as unknown as FunctionConstructor;
    const f = compileWriter(narGrammar);
    expect(f.mode).toBe("interpreter");
    const tree: NarNode = {
      type: "directory",
      entries: [{ name: "a", node: { type: "symlink", target: "b" } }],
    };
    expect(
      written(
        (sink) => f.create({ sink }),
        (w) => driveNar(w, tree),
      ),
    ).toEqual(encodeNar(tree));
  });
});
