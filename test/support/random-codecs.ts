/**
 * Randomly generated codec declarations (records, choices, repetitions, recursion, payloads,
 * limits, refinements, mappings, events) with generators of values for them: shared by the
 * property tests that pin compiled codecs (decoders, resumable decoders: {@link spec}) and event
 * writers ({@link eventSpec}, the declarations an event writer takes) to the interpreter.
 */
import {
  type AnyCodec,
  bool,
  bytes,
  type Codec,
  constant,
  constU64,
  event,
  lazy,
  list,
  map,
  optional,
  payload,
  record,
  refine,
  repeatUntil,
  repeatUntilHead,
  token,
  tokenChoice,
  u64,
  u64Choice,
  u64n,
  utf8,
} from "../../src/codecs/index.js";

/** A small deterministic random source (mulberry32). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A declaration and a generator of values for it (some of them invalid on purpose). */
export interface Spec {
  readonly codec: AnyCodec;
  readonly value: (r: () => number, depth: number) => unknown;
}

const TEXTS = ["", "a", "hello", "entry", "(", ")", "12345678", "ü", "name-of-9"];
const pick = <X>(r: () => number, xs: readonly X[]): X => xs[Math.floor(r() * xs.length)]!;
export const int = (r: () => number, n: number) => Math.floor(r() * n);

function randomText(r: () => number, max: number): string {
  const n = int(r, max + 1);
  let s = "";
  for (let i = 0; i < n; i++) s += pick(r, ["a", "b", "z", "é", "/", "\u0000", "💡"]);
  return s;
}

/** A random leaf of rule `rule`: a value (integers, booleans, bytes, texts, payloads, a refined text) or a constant (token, u64 literal, constant). */
export function leafSpec(r: () => number, rule: string): Spec {
  switch (int(r, 10)) {
    case 0:
      return {
        codec: u64(rule),
        value: (q) => BigInt(int(q, 1e6)) * (q() < 0.2 ? 1n << 40n : 1n),
      };
    case 1: {
      const max = pick(r, [10, 1000, Number.MAX_SAFE_INTEGER]);
      return {
        codec: u64n(rule, { max }),
        value: (q) => (q() < 0.9 ? int(q, Math.min(max + 1, 2000)) : max + 1),
      };
    }
    case 2:
      return { codec: bool(rule), value: (q) => q() < 0.5 };
    case 3: {
      const max = pick(r, [0, 5, 64]);
      return {
        codec: bytes(rule, { max }),
        value: (q) => new Uint8Array(int(q, max + 2)).map(() => int(q, 256)),
      };
    }
    case 4: {
      const max = pick(r, [3, 16, 100]);
      return { codec: utf8(rule, { max }), value: (q) => randomText(q, max) };
    }
    case 5:
      return { codec: token(pick(r, TEXTS), rule), value: () => undefined };
    case 6:
      return {
        codec: constU64(int(r, 3) === 0 ? 2n ** 63n : int(r, 100), rule),
        value: () => undefined,
      };
    case 7: {
      const max = pick(r, [7, 100]);
      return {
        codec: payload(rule, { max }),
        value: (q) => new Uint8Array(int(q, max + 2)).map(() => int(q, 256)),
      };
    }
    case 8:
      return { codec: constant(pick(r, [undefined, 7, "k"]), rule), value: () => undefined };
    default: {
      const inner = utf8(rule, { max: 20 });
      return {
        codec: refine(rule, inner, (s: string) =>
          s.length === 2 ? { code: "gen.two", detail: "two characters" } : undefined,
        ),
        value: (q) => randomText(q, 4),
      };
    }
  }
}

/** Whether a leaf is a constant (writes fixed bytes, takes no value). */
function isConstant(codec: AnyCodec): boolean {
  return codec.kind === "token" || codec.kind === "constU64" || codec.kind === "const";
}

/** A record of `n` fields `f0`, `f1`... made by `field` (each with an equal share of `budget`). */
function recordSpec(
  rule: string,
  path: string,
  n: number,
  budget: number,
  field: (share: number, at: string) => Spec,
): Spec {
  const shape: Record<string, AnyCodec> = {};
  const fields: [string, Spec][] = [];
  for (let i = 0; i < n; i++) {
    const s = field(Math.floor(budget / Math.max(n, 1)), `${path}.f${i}`);
    shape[`f${i}`] = s.codec;
    fields.push([`f${i}`, s]);
  }
  return {
    codec: record(rule, shape),
    value: (q, d) => Object.fromEntries(fields.map(([k, s]) => [k, s.value(q, d)])),
  };
}

/** The order of a keyed repetition's names: strictly increasing. */
function namesInOrder(a: unknown, z: unknown) {
  return (a as string) < (z as string) ? undefined : { code: "gen.order", detail: "out of order" };
}

/** Names for a keyed repetition, mostly in order. */
function randomNames(q: () => number): string[] {
  const names = Array.from({ length: int(q, 4) }, () => randomText(q, 3));
  if (q() < 0.8) names.sort();
  return names;
}

/** Builds a random declaration of at most `budget` nodes; rule names carry an area. */
export function spec(r: () => number, budget: number, path: string): Spec {
  const rule = `gen.${path}`;
  if (budget <= 1 || r() < 0.35) return leafSpec(r, rule);
  const b = budget - 1;
  switch (int(r, 10)) {
    case 0:
    case 1: {
      return recordSpec(rule, path, int(r, 5), b, (share, at) => spec(r, share, at));
    }
    case 2: {
      const tags = ["regular", "symlink", "x", "directory"].slice(0, 1 + int(r, 4));
      const branches: Record<string, Spec> = {};
      for (const t of tags) branches[t] = spec(r, Math.floor(b / tags.length), `${path}.${t}`);
      return {
        codec: tokenChoice(rule, Object.fromEntries(tags.map((t) => [t, branches[t]!.codec]))),
        value: (q, d) => {
          const tag = pick(q, tags);
          return { tag, value: branches[tag]!.value(q, d) };
        },
      };
    }
    case 3: {
      const branches: Spec[] = [0, 1, 2].map((i) => spec(r, Math.floor(b / 3), `${path}.${i}`));
      return {
        codec: u64Choice(rule, {
          0: branches[0]!.codec,
          1: branches[1]!.codec,
          5: branches[2]!.codec,
        }),
        value: (q, d) => {
          const i = int(q, 3);
          return { tag: [0, 1, 5][i], value: branches[i]!.value(q, d) };
        },
      };
    }
    case 4: {
      const item = spec(r, b, `${path}.item`);
      const max = pick(r, [3, 1000]);
      return {
        codec: list(rule, item.codec, { max }),
        value: (q, d) => Array.from({ length: int(q, 5) }, () => item.value(q, d)),
      };
    }
    case 5: {
      const item = spec(r, b, `${path}.item`);
      return {
        codec: optional(rule, item.codec),
        value: (q, d) => (q() < 0.5 ? undefined : item.value(q, d)),
      };
    }
    case 6: {
      // entries keyed by a name, strictly increasing (as NAR directories)
      const rest = spec(r, b, `${path}.rest`);
      const tokens = r() < 0.5;
      const item = record(`${rule}.item`, {
        open: token("(", `${rule}.item`),
        name: event("name", utf8(`${rule}.name`, { max: 8 })),
        rest: rest.codec,
      });
      return {
        codec: repeatUntil(rule, item, {
          more: tokens ? "entry" : 1,
          end: tokens ? ")" : 0,
          key: "name",
          pairwise: namesInOrder,
          max: pick(r, [2, 100]),
        }),
        value: (q, d) => randomNames(q).map((name) => ({ name, rest: rest.value(q, d) })),
      };
    }
    case 7: {
      const item = spec(r, b, `${path}.info`);
      return {
        codec: repeatUntilHead(
          rule,
          record(`${rule}.item`, { path: utf8(`${rule}.path`, { max: 10 }), info: item.codec }),
          { end: "", max: pick(r, [2, 50]) },
        ),
        value: (q, d) =>
          Array.from({ length: int(q, 4) }, () => ({
            path: randomText(q, 3),
            info: item.value(q, d),
          })),
      };
    }
    case 8: {
      // recursion: a tree of leaves, with a depth limit
      const leafSpec = spec(r, Math.floor(b / 2), `${path}.leaf`);
      const maxDepth = pick(r, [2, 5, 40]);
      // eslint-disable-next-line prefer-const
      let tree: Codec<unknown>;
      const ref = lazy(`${rule}.ref`, () => tree, { maxDepth });
      tree = u64Choice(`${rule}.tree`, {
        0: leafSpec.codec,
        1: list(`${rule}.children`, ref, { max: 4 }),
      }) as Codec<unknown>;
      const value = (q: () => number, d: number): unknown =>
        d > 6 || q() < 0.4
          ? { tag: 0, value: leafSpec.value(q, d) }
          : { tag: 1, value: Array.from({ length: int(q, 3) }, () => value(q, d + 1)) };
      return { codec: tree, value };
    }
    default: {
      const inner = spec(r, b, `${path}.inner`);
      return {
        codec: event(
          "mapped",
          map(
            inner.codec as Codec<unknown>,
            (w) => ({ wire: w }),
            (v: { wire: unknown }) => v.wire,
          ),
          { at: path },
        ),
        value: (q, d) => ({ wire: inner.value(q, d) }),
      };
    }
  }
}

/** The root of an {@link eventSpec} declaration, for its recursion (set once built). */
export interface EventSpecRoot {
  spec?: Spec;
}

/**
 * Builds a random declaration an event writer takes, of at most `budget` nodes, from the same
 * leaves as {@link spec} (values sometimes inside named events): records, choices (numbered or
 * by token) and repetitions (some keyed by a name, in order) whose alternatives start with an
 * event, and recursion into the whole declaration (`root`, depth-limited). `events` numbers the
 * event names (every alternative's leading event is its own).
 */
export function eventSpec(
  r: () => number,
  budget: number,
  path: string,
  root: EventSpecRoot,
  events = { next: 0 },
): Spec {
  const rule = `gen.${path}`;
  const fresh = () => `ev${events.next++}`;
  /** An event leading an alternative: a marker (a constant) or a value. */
  const leading = (): Spec => {
    const leaf = leafSpec(r, rule);
    return { codec: event(fresh(), leaf.codec), value: leaf.value };
  };
  if (budget <= 1 || r() < 0.3) {
    const leaf = leafSpec(r, rule);
    return isConstant(leaf.codec) || r() < 0.5
      ? leaf
      : { codec: event(fresh(), leaf.codec), value: leaf.value };
  }
  const b = budget - 1;
  const next = (budget: number, at: string) => eventSpec(r, budget, at, root, events);
  switch (int(r, 5)) {
    case 0:
    case 1: {
      return recordSpec(rule, path, 1 + int(r, 4), b, next);
    }
    case 2: {
      const n = 1 + int(r, 3);
      const branches: Spec[] = [];
      for (let i = 0; i < n; i++) {
        const lead = leading();
        const rest = next(Math.floor(b / n), `${path}.b${i}`);
        branches.push({
          codec: record(rule, { lead: lead.codec, rest: rest.codec }),
          value: (q, d) => ({ lead: lead.value(q, d), rest: rest.value(q, d) }),
        });
      }
      const numbered = r() < 0.5;
      const tags = branches.map((_, i) => (numbered ? i : `t${i}`));
      const codecs = Object.fromEntries(tags.map((t, i) => [t, branches[i]!.codec]));
      return {
        codec: numbered ? u64Choice(rule, codecs) : tokenChoice(rule, codecs),
        value: (q, d) => {
          const i = int(q, n);
          return { tag: tags[i], value: branches[i]!.value(q, d) };
        },
      };
    }
    case 3: {
      const rest = next(b, `${path}.item`);
      if (r() < 0.5) {
        const lead = leading();
        return {
          codec: repeatUntil(rule, record(rule, { lead: lead.codec, rest: rest.codec }), {
            more: "more",
            end: "end",
          }),
          value: (q, d) =>
            Array.from({ length: int(q, 3) }, () => ({
              lead: lead.value(q, d),
              rest: rest.value(q, d),
            })),
        };
      }
      // keyed by a name event, strictly increasing (as NAR directories)
      const item = record(rule, {
        name: event(fresh(), utf8(`${rule}.name`, { max: 8 })),
        rest: rest.codec,
      });
      return {
        codec: repeatUntil(rule, item, {
          more: 1,
          end: 0,
          key: "name",
          pairwise: namesInOrder,
        }),
        value: (q, d) => randomNames(q).map((name) => ({ name, rest: rest.value(q, d) })),
      };
    }
    default: {
      // recursion: items of a repetition are the whole declaration again
      const lead = leading();
      const item = record(rule, {
        lead: lead.codec,
        node: lazy(rule, () => root.spec!.codec, { maxDepth: 4 }),
      });
      return {
        codec: repeatUntil(rule, item, { more: 1, end: 0 }),
        value: (q, d) =>
          d > 5
            ? []
            : Array.from({ length: int(q, 3) }, () => ({
                lead: lead.value(q, d),
                node: root.spec!.value(q, d + 1),
              })),
      };
    }
  }
}

/** What a call did: a value (JSON with bigints and bytes spelled out) or an error's identity. */
export function outcome(f: () => unknown): unknown {
  try {
    return { value: f() };
  } catch (e) {
    const err = e as { name: string; code?: string; position?: unknown; message: string };
    return { error: err.name, code: err.code, position: err.position, message: err.message };
  }
}

/** The {@link outcome} of a call that threw `error`. */
export function thrownOutcome(error: unknown): unknown {
  return outcome(() => {
    throw error;
  });
}
