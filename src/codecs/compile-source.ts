/**
 * The code generator of the codec language: turns a declaration (the {@link AnyCodec} node
 * tree) into JavaScript source for a synchronous decoder over a buffer and an encoder.
 *
 * The generated code is a fast path in the sense of the project's rule "a fast path only
 * accepts or declines": it returns exactly the value the interpreter (`decode.ts`,
 * `encode.ts`) would return, or it *declines* by throwing the {@link DECLINE} marker, and the
 * caller then runs the interpreter on the same input, which produces the value or the error
 * (class, code, rule, byte offset, text). So the generated code holds no error text and no
 * second copy of any rule: tokens, limits, refinements and mappings all come from the
 * declaration, refinement and mapping functions referenced through the constants table, never
 * re-written.
 *
 * What it generates, per declaration:
 * - records as straight-line code, adjacent fixed tokens and u64 literals joined into one byte
 *   run compared at once (as snix pre-joins its NAR tokens);
 * - limits read once per call into locals and compared inline;
 * - token choices as comparisons of each alternative's framed bytes, u64 choices as a
 *   `switch`;
 * - one function per recursive (`lazy`) target, called directly: no closures per node and no
 *   dispatch on the node kind at run time.
 *
 * The source is a function body of `(k, rt)`: `k` the constants table (returned beside the
 * source, collected by the same walk), `rt` the {@link CompiledRuntime}. `compile.ts` turns it
 * into code with `new Function` when allowed; `scripts/generate-codecs.mjs` writes it into
 * checked-in `*.generated.ts` files for the library's own formats, which need no `eval`.
 *
 * @module
 */
import type { AnyCodec } from "./codec.js";
import { encode } from "./encode.js";
import { recordOf } from "./record.js";
import { concatBytes, utf8Bytes, utf8Text } from "./wire-bytes.js";

/** The marker generated code throws to decline (the interpreter then decides). */
export const DECLINE: { readonly declined: true } = Object.freeze({ declined: true });

/** What generated code gets from its host: small helpers it calls by name. */
export interface CompiledRuntime {
  readonly DECLINE: unknown;
  /** UTF-8 text of `b[start, end)` (as `utf8Text` decodes it). */
  text(b: Uint8Array, start: number, end: number): string;
  /** `value` as u64 little-endian bigint at `b[p]`. */
  readU64(b: Uint8Array, p: number): bigint;
  /** Writes a u64 (bigint) little-endian at `out[at]`. */
  writeU64(out: Uint8Array, at: number, value: bigint): void;
  /** True if `value` is a `Uint8Array` of any realm. */
  isBytes(value: unknown): value is Uint8Array;
  /** Effective value of a named limit given the caller's overrides. */
  limit(l: { name: string; value: number }, overrides: unknown): number;
  /** UTF-8 bytes of a string. */
  utf8(text: string): Uint8Array;
}

/** The generated source of a declaration and the constants it refers to. */
export interface GeneratedCodec {
  /**
   * The body of a function of `(k, rt)` returning `{ decode(b, p, limits, onEvent), encode(v) }`:
   * `decode` returns the value and leaves its end in `end()`; both throw {@link DECLINE} to
   * decline.
   */
  readonly source: string;
  /** The constants table `k` (tokens, limits, refinement and mapping functions, ...). */
  readonly constants: readonly unknown[];
}

/** Byte runs up to this length are compared byte by byte inline; longer ones by a loop. */
const UNROLL_MAX = 48;

/** @internal A generated-code writer: fresh names, constants, emitted lines. */
export class Emitter {
  readonly constants: unknown[] = [];
  private readonly constIndex = new Map<unknown, number>();
  private names = 0;
  /** Byte runs up to this length are compared inline, longer ones by a call of {@link equalAt}. */
  unrollMax = UNROLL_MAX;
  /** The function comparing longer runs: `(b, at, bytes) => boolean`. */
  equalAt = "rt.equalAt";
  readonly limits: string[] = [];
  private readonly limitIndex = new Map<unknown, string>();

  fresh(prefix: string): string {
    return `${prefix}${this.names++}`;
  }

  /** A constant's expression: primitives inline, others through `k`. */
  konst(value: unknown): string {
    if (value === undefined) return "undefined";
    if (value === null) return "null";
    if (typeof value === "number" && Number.isFinite(value) && !Object.is(value, -0))
      return String(value);
    if (typeof value === "boolean") return String(value);
    if (typeof value === "string") return JSON.stringify(value);
    if (typeof value === "bigint") return `${value}n`;
    let i = this.constIndex.get(value);
    if (i === undefined) {
      i = this.constants.length;
      this.constants.push(value);
      this.constIndex.set(value, i);
    }
    return `k[${i}]`;
  }

  /** A per-call local holding the effective value of a limit. */
  limit(l: { name: string; value: number }): string {
    let name = this.limitIndex.get(l);
    if (name === undefined) {
      name = `L${this.limits.length}`;
      this.limits.push(`${name} = rt.limit(${this.konst(l)}, lim)`);
      this.limitIndex.set(l, name);
    }
    return name;
  }
}

/** Fixed bytes of a node (tokens, u64 literals) or `undefined`. */
function fixedBytes(node: AnyCodec): Uint8Array | undefined {
  return node.kind === "token" || node.kind === "constU64" ? node.encoded : undefined;
}

/**
 * The fields of a record in order, adjacent fixed ones (tokens, u64 literals) joined into one
 * byte run: what both generators walk.
 */
export function fieldRuns(
  fields: readonly (readonly [string, AnyCodec])[],
): ({ readonly run: Uint8Array } | { readonly key: string; readonly codec: AnyCodec })[] {
  const out: ({ run: Uint8Array } | { key: string; codec: AnyCodec })[] = [];
  let run: Uint8Array[] = [];
  for (const [key, codec] of fields) {
    const fixed = fixedBytes(codec);
    if (fixed !== undefined) {
      run.push(fixed);
      continue;
    }
    if (run.length > 0) out.push({ run: concatBytes(run) });
    run = [];
    out.push({ key, codec });
  }
  if (run.length > 0) out.push({ run: concatBytes(run) });
  return out;
}

/** Whether the decoded value of `node` may be `undefined` (records then omit the key). */
function mayBeUndefined(node: AnyCodec): boolean {
  switch (node.kind) {
    case "u64":
    case "bool":
    case "bytes":
    case "payload":
    case "record":
    case "choice":
    case "repeat":
    case "terminated":
    case "list":
      return false;
    case "token":
    case "constU64":
      return true;
    case "const":
      return node.value === undefined;
    case "refine":
    case "event":
      return mayBeUndefined(node.inner);
    default:
      return true;
  }
}

/** Whether the decoded value of `node` is always `undefined`. */
export function alwaysUndefined(node: AnyCodec): boolean {
  return (
    node.kind === "token" ||
    node.kind === "constU64" ||
    (node.kind === "const" && node.value === undefined)
  );
}

/** The condition that `b` holds `bytes` at `p + at` (bounds checked by the caller). */
export function matchExpr(e: Emitter, bytes: Uint8Array, at: string): string {
  if (bytes.length === 0) return "true";
  if (bytes.length <= e.unrollMax) {
    const parts: string[] = [];
    for (let i = 0; i < bytes.length; i++) parts.push(`b[${at} + ${i}] === ${bytes[i]}`);
    return parts.join(" && ");
  }
  return `${e.equalAt}(b, ${at}, ${e.konst(bytes)})`;
}

/** The first 8 bytes at `p` are not a u64 0 or 1. */
export const BOOL_BAD =
  "b[p] > 1 || (b[p + 1] | b[p + 2] | b[p + 3] | b[p + 4] | b[p + 5] | b[p + 6] | b[p + 7]) !== 0";

export const U32 = (at: string): string =>
  `((b[${at}] | (b[${at} + 1] << 8) | (b[${at} + 2] << 16) | (b[${at} + 3] << 24)) >>> 0)`;

/**
 * The decoder generator: emits statements decoding `node` at `p` (a local), assigning the
 * value to `target` (when given) and advancing `p`.
 */
/** The functions a generator emits: one per recursive (`lazy`) target, named `<prefix><n>`. */
abstract class FunctionGen {
  readonly functions = new Map<AnyCodec, string>();
  private readonly pending: [AnyCodec, string][] = [];
  readonly bodies: string[] = [];

  constructor(
    protected readonly e: Emitter,
    private readonly prefix: string,
  ) {}

  functionFor(node: AnyCodec): string {
    let name = this.functions.get(node);
    if (name === undefined) {
      name = `${this.prefix}${this.functions.size}`;
      this.functions.set(node, name);
      this.pending.push([node, name]);
    }
    return name;
  }

  /** Emits the bodies of all functions reached. */
  flush(): void {
    while (this.pending.length > 0) {
      const [node, name] = this.pending.shift()!;
      this.bodies.push(this.body(node, name));
    }
  }

  /** The source of function `name` for `node`. */
  protected abstract body(node: AnyCodec, name: string): string;
}

/**
 * @internal The decoder generator. By default a read past the buffer declines like a mismatch;
 * with `need` (the resumable decoder, `compile-resumable-source.ts`) it runs the statement
 * `need(end)` instead (ask for bytes up to `end`), and mismatches alone decline.
 */
export class DecoderGen extends FunctionGen {
  constructor(
    e: Emitter,
    private readonly need?: (end: string) => string,
  ) {
    super(e, "d");
  }

  /** `cond` or, when resumable, the bounds check `end > n` apart from the value check `bad`. */
  check(end: string, bad: string, out: string[]): void {
    if (this.need === undefined) out.push(`if (${end} > n || ${bad}) throw D;`);
    else {
      out.push(`if (${end} > n) ${this.need(end)}`);
      out.push(`if (${bad}) throw D;`);
    }
  }

  /** Ensures `end` is within the buffer (decline, or ask for bytes). */
  bound(end: string, out: string[]): void {
    out.push(
      this.need === undefined ? `if (${end} > n) throw D;` : `if (${end} > n) ${this.need(end)}`,
    );
  }

  protected body(node: AnyCodec, name: string): string {
    const out: string[] = [];
    const v = this.e.fresh("v");
    out.push(`let ${v};`);
    this.node(node, v, out);
    return `function ${name}(p) {\n const b = B, n = N;\n${out.join("\n")}\n P = p;\n return ${v};\n}`;
  }

  /** Reads a u64 as a safe number into `into` (declines above 2^53 - 1). */
  u64Number(into: string, out: string[]): void {
    const hi = this.e.fresh("h");
    this.bound("p + 8", out);
    out.push(`const ${hi} = ${U32("p + 4")};`);
    out.push(`if (${hi} > 0x1fffff) throw D;`);
    out.push(`${into} = ${hi} === 0 ? ${U32("p")} : ${hi} * 4294967296 + ${U32("p")};`);
    out.push(`p += 8;`);
  }

  /**
   * Reads a length or a count below 2^31 into `into` as a small integer; declines above (no
   * buffer decoded here is that large: the interpreter decides).
   */
  private u64Small(into: string, out: string[]): void {
    this.check("p + 8", "(b[p + 4] | b[p + 5] | b[p + 6] | b[p + 7]) !== 0", out);
    out.push(`${into} = b[p] | (b[p + 1] << 8) | (b[p + 2] << 16) | (b[p + 3] << 24);`);
    out.push(`if (${into} < 0) throw D;`);
    out.push(`p += 8;`);
  }

  /** Checks and skips fixed bytes. */
  fixed(bytes: Uint8Array, out: string[]): void {
    this.check(`p + ${bytes.length}`, `!(${matchExpr(this.e, bytes, "p")})`, out);
    out.push(`p += ${bytes.length};`);
  }

  /** A framed string: `len` and `start` of its body; `p` moved past it. */
  private framed(max: string, out: string[]): { len: string; start: string } {
    const len = this.e.fresh("len");
    const start = this.e.fresh("s");
    out.push(`let ${len};`);
    this.u64Small(len, out);
    out.push(`if (${len} > ${max}) throw D;`);
    out.push(`const ${start} = p;`);
    const pad = this.e.fresh("pad");
    out.push(`const ${pad} = (8 - (${len} & 7)) & 7;`);
    this.bound(`p + ${len} + ${pad}`, out);
    out.push(`p += ${len};`);
    out.push(`for (let i = 0; i < ${pad}; i++) if (b[p + i] !== 0) throw D;`);
    out.push(`p += ${pad};`);
    return { len, start };
  }

  node(node: AnyCodec, target: string | undefined, out: string[]): void {
    const e = this.e;
    const set = (expr: string) => {
      if (target !== undefined) out.push(`${target} = ${expr};`);
    };
    switch (node.kind) {
      case "u64": {
        if (!node.asNumber) {
          this.bound("p + 8", out);
          set(`rt.readU64(b, p)`);
          out.push(`p += 8;`);
          return;
        }
        const v = e.fresh("u");
        out.push(`let ${v};`);
        this.u64Number(v, out);
        if (node.limit !== undefined) out.push(`if (${v} > ${e.limit(node.limit)}) throw D;`);
        set(v);
        return;
      }
      case "bool": {
        this.check("p + 8", BOOL_BAD, out);
        set(`b[p] === 1`);
        out.push(`p += 8;`);
        return;
      }
      case "token":
      case "constU64":
        this.fixed(node.encoded, out);
        return;
      case "bytes": {
        const { len, start } = this.framed(e.limit(node.limit), out);
        set(
          node.utf8
            ? `rt.text(b, ${start}, ${start} + ${len})`
            : this.need === undefined
              ? `new Uint8Array(b.subarray(${start}, ${start} + ${len}))`
              : `CP(b, ${start}, ${start} + ${len})`,
        );
        return;
      }
      case "payload": {
        const { len, start } = this.framed(e.limit(node.limit), out);
        // views of the input, or copies within PAYLOADMAX (as a buffering stream decoder)
        out.push(`if (PAYLOADMAX >= 0 && ${len} > PAYLOADMAX) throw D;`);
        set(
          `PAYLOADMAX < 0 ? b.subarray(${start}, ${start} + ${len}) : new Uint8Array(b.subarray(${start}, ${start} + ${len}))`,
        );
        return;
      }
      case "record":
        this.record(node.fields, target, out);
        return;
      case "choice":
        this.choice(node, target, out);
        return;
      case "repeat":
        this.repeat(node, target, out);
        return;
      case "terminated": {
        const { fields } = recordOf(node.item);
        const [headKey, headCodec] = fields[0]!;
        const items = e.fresh("items");
        const head = e.fresh("head");
        const max = e.limit(node.limit);
        out.push(`const ${items} = [];`);
        out.push(`for (;;) {`);
        out.push(`let ${head};`);
        this.node(headCodec, head, out);
        out.push(`if (${head} === ${e.konst(node.end)}) break;`);
        out.push(`if (${items}.length >= ${max}) throw D;`);
        const o = e.fresh("o");
        out.push(`const ${o} = {};`);
        out.push(`if (${head} !== undefined) ${o}[${JSON.stringify(headKey)}] = ${head};`);
        this.fieldsInto(fields.slice(1), o, out);
        out.push(`${items}.push(${o});`);
        out.push(`}`);
        set(items);
        return;
      }
      case "list": {
        const count = e.fresh("c");
        const items = e.fresh("items");
        out.push(`let ${count};`);
        this.u64Small(count, out);
        out.push(`if (${count} > ${e.limit(node.limit)}) throw D;`);
        // short lists are allocated at their size (a hostile count may not make us allocate)
        out.push(`const ${items} = ${count} <= 1024 ? new Array(${count}) : [];`);
        out.push(`for (let i = 0; i < ${count}; i++) {`);
        const item = e.fresh("it");
        out.push(`let ${item};`);
        this.node(node.item, item, out);
        out.push(`${items}[i] = ${item};`);
        out.push(`}`);
        set(items);
        return;
      }
      case "optional": {
        this.check("p + 8", BOOL_BAD, out);
        out.push(`if (b[p] === 1) {`);
        out.push(`p += 8;`);
        this.node(node.item, target, out);
        out.push(`} else {`);
        out.push(`p += 8;`);
        set("undefined");
        out.push(`}`);
        return;
      }
      case "lazy": {
        const fn = this.functionFor(node.get());
        const max = node.limit !== undefined ? e.limit(node.limit) : "MAXDEPTH";
        out.push(`if (++DEPTH > ${max}) throw D;`);
        if (target !== undefined) out.push(`${target} = ${fn}(p);`);
        else out.push(`${fn}(p);`);
        out.push(`p = P;`);
        out.push(`DEPTH--;`);
        return;
      }
      case "refine": {
        const v = e.fresh("r");
        out.push(`let ${v};`);
        this.node(node.inner, v, out);
        out.push(`if (${e.konst(node.check)}(${v}) !== undefined) throw D;`);
        set(v);
        return;
      }
      case "map": {
        const v = e.fresh("m");
        out.push(`let ${v};`);
        this.node(node.inner, v, out);
        set(`${e.konst(node.decode)}(${v})`);
        return;
      }
      case "event": {
        const v = e.fresh("ev");
        const start = e.fresh("at");
        out.push(`const ${start} = p;`);
        out.push(`let ${v};`);
        this.node(node.inner, v, out);
        out.push(
          `if (EMIT !== undefined) { EMIT({ name: ${e.konst(node.name)}, value: ${v}, data: ${e.konst(node.data)}, offset: ${start} }); EVENTS++; }`,
        );
        set(v);
        return;
      }
      case "const":
        set(e.konst(node.value));
        return;
    }
  }

  /** Decodes fields one after another; adjacent fixed fields are checked as one run. */
  private fieldsInto(
    fields: readonly (readonly [string, AnyCodec])[],
    obj: string | undefined,
    out: string[],
    assign?: (key: string, v: string, maybeUndef: boolean) => void,
  ): void {
    for (const part of fieldRuns(fields)) {
      if ("run" in part) {
        this.fixed(part.run, out);
        continue;
      }
      const { key, codec } = part;
      if (alwaysUndefined(codec)) {
        this.node(codec, undefined, out);
        continue;
      }
      const v = this.e.fresh("f");
      out.push(`let ${v};`);
      this.node(codec, v, out);
      if (assign !== undefined) assign(key, v, mayBeUndefined(codec));
      else if (obj !== undefined) {
        const k = JSON.stringify(key);
        out.push(
          mayBeUndefined(codec)
            ? `if (${v} !== undefined) ${obj}[${k}] = ${v};`
            : `${obj}[${k}] = ${v};`,
        );
      }
    }
  }

  private record(
    fields: readonly (readonly [string, AnyCodec])[],
    target: string | undefined,
    out: string[],
  ): void {
    // An object literal when no optional key precedes a definite one (same key order as the
    // interpreter's), else assignments in order.
    const valued = fields.filter(([, c]) => !alwaysUndefined(c));
    let seenMaybe = false;
    let literal = true;
    for (const [, c] of valued) {
      if (mayBeUndefined(c)) seenMaybe = true;
      else if (seenMaybe) literal = false;
    }
    if (!literal || target === undefined) {
      const o = this.e.fresh("o");
      out.push(`const ${o} = {};`);
      this.fieldsInto(fields, o, out);
      if (target !== undefined) out.push(`${target} = ${o};`);
      return;
    }
    const definite: string[] = [];
    const later: [string, string][] = [];
    this.fieldsInto(fields, undefined, out, (key, v, maybe) => {
      if (maybe) later.push([key, v]);
      else definite.push(`${JSON.stringify(key)}: ${v}`);
    });
    const o = this.e.fresh("o");
    out.push(`const ${o} = { ${definite.join(", ")} };`);
    for (const [key, v] of later)
      out.push(`if (${v} !== undefined) ${o}[${JSON.stringify(key)}] = ${v};`);
    out.push(`${target} = ${o};`);
  }

  /**
   * Resumable decoders: asks for the whole framed tag of a token choice (its length read
   * first, declining above the longest tag), so the comparisons that follow see it buffered.
   */
  tagBounds(node: Extract<AnyCodec, { kind: "choice" }>, out: string[]): void {
    let longest = 0;
    for (const key of node.branches.keys()) longest = Math.max(longest, utf8Bytes(key).length);
    const len = this.e.fresh("tl");
    this.bound("p + 8", out);
    out.push(`const ${len} = ${U32("p")};`);
    out.push(
      `if (${len} > ${longest} || (b[p + 4] | b[p + 5] | b[p + 6] | b[p + 7]) !== 0) throw D;`,
    );
    this.bound(`p + 8 + ${len} + ((8 - (${len} & 7)) & 7)`, out);
  }

  private choice(
    node: Extract<AnyCodec, { kind: "choice" }>,
    target: string | undefined,
    out: string[],
  ): void {
    const e = this.e;
    const branches = [...node.branches.values()];
    const value = e.fresh("cv");
    out.push(`let ${value};`);
    if (node.tagLengths !== undefined) {
      // the tags' framings, compared whole (a tag that would not read back as itself, a lone
      // surrogate, is left to the interpreter)
      if (this.need !== undefined) this.tagBounds(node, out);
      let first = true;
      for (const br of branches) {
        if (typeof br.tag !== "string" || utf8Text(utf8Bytes(br.tag)) !== br.tag) continue;
        const enc = encode(node.tag, br.tag);
        out.push(
          `${first ? "" : "else "}if (p + ${enc.length} <= n && ${matchExpr(e, enc, "p")}) {`,
        );
        first = false;
        out.push(`p += ${enc.length};`);
        this.node(br.codec, value, out);
        if (target !== undefined)
          out.push(`${target} = { tag: ${e.konst(br.tag)}, value: ${value} };`);
        out.push(`}`);
      }
      out.push(first ? `throw D;` : `else throw D;`);
      return;
    }
    const tag = e.fresh("tag");
    out.push(`let ${tag};`);
    this.node(node.tag, tag, out);
    const numeric = node.tag.kind === "u64" && node.tag.asNumber;
    out.push(`switch (${numeric ? tag : `String(${tag})`}) {`);
    for (const [key, br] of node.branches) {
      out.push(`case ${numeric ? key : JSON.stringify(key)}: {`);
      this.node(br.codec, value, out);
      if (target !== undefined)
        out.push(`${target} = { tag: ${e.konst(br.tag)}, value: ${value} };`);
      out.push(`break;`);
      out.push(`}`);
    }
    out.push(`default: throw D;`);
    out.push(`}`);
  }

  private repeat(
    node: Extract<AnyCodec, { kind: "repeat" }>,
    target: string | undefined,
    out: string[],
  ): void {
    const e = this.e;
    const items = e.fresh("items");
    const count = e.fresh("n");
    const prev = e.fresh("prev");
    const max = node.limit !== undefined ? e.limit(node.limit) : "Infinity";
    out.push(`const ${items} = [];`);
    out.push(`let ${count} = 0, ${prev};`);
    out.push(`for (;;) {`);
    const more = node.more.encoded;
    const end = node.end.encoded;
    if (node.more.kind === "token" && node.end.kind === "token") {
      out.push(`if (p + ${more.length} <= n && ${matchExpr(e, more, "p")}) p += ${more.length};`);
      out.push(
        `else if (p + ${end.length} <= n && ${matchExpr(e, end, "p")}) { p += ${end.length}; break; }`,
      );
      out.push(`else throw D;`);
    } else {
      // u64 markers: the end is recognised first, as the interpreter does
      out.push(`if (p + 8 > n) throw D;`);
      out.push(`if (${matchExpr(e, end, "p")}) { p += 8; break; }`);
      out.push(`if (!(${matchExpr(e, more, "p")})) throw D;`);
      out.push(`p += 8;`);
    }
    out.push(`if (++${count} > ${max}) throw D;`);
    const item = e.fresh("it");
    const pairwise = node.pairwise !== undefined ? e.konst(node.pairwise) : undefined;
    const check = (v: string) => {
      if (pairwise !== undefined)
        out.push(`if (${count} > 1 && ${pairwise}(${prev}, ${v}) !== undefined) throw D;`);
      out.push(`${prev} = ${v};`);
    };
    if (node.key !== undefined) {
      const { fields } = recordOf(node.item);
      const o = e.fresh("o");
      out.push(`const ${o} = {};`);
      // the key is checked as soon as it is decoded
      for (const [key, codec] of fields) {
        if (alwaysUndefined(codec)) {
          this.node(codec, undefined, out);
          continue;
        }
        const v = e.fresh("f");
        out.push(`let ${v};`);
        this.node(codec, v, out);
        out.push(`if (${v} !== undefined) ${o}[${JSON.stringify(key)}] = ${v};`);
        if (key === node.key) check(v);
      }
      out.push(`${items}.push(${o});`);
    } else {
      out.push(`let ${item};`);
      this.node(node.item, item, out);
      if (pairwise !== undefined) check(item);
      out.push(`${items}.push(${item});`);
    }
    out.push(`}`);
    if (target !== undefined) out.push(`${target} = ${items};`);
  }
}

/** The encoder generator: emits statements writing the value held in an expression. */
class EncoderGen extends FunctionGen {
  constructor(e: Emitter) {
    super(e, "e");
  }

  protected body(node: AnyCodec, name: string): string {
    const out: string[] = [];
    this.node(node, "x", out);
    return `function ${name}(x) {\n${out.join("\n")}\n}`;
  }

  private fixed(bytes: Uint8Array, out: string[]): void {
    out.push(`room(${bytes.length});`);
    if (bytes.length <= 16) {
      for (let i = 0; i < bytes.length; i++)
        if (bytes[i] !== 0) out.push(`O[Q + ${i}] = ${bytes[i]};`);
      // the buffer is zero-filled beyond Q (see room())
    } else out.push(`O.set(${this.e.konst(bytes)}, Q);`);
    out.push(`Q += ${bytes.length};`);
  }

  /** Writes the safe integer held in `v` (checked by the caller). */
  private u64Number(v: string, out: string[]): void {
    out.push(`room(8);`);
    out.push(`{ const lo = ${v} >>> 0, hi = (${v} / 4294967296) >>> 0;`);
    out.push(`O[Q] = lo; O[Q + 1] = lo >>> 8; O[Q + 2] = lo >>> 16; O[Q + 3] = lo >>> 24;`);
    out.push(`O[Q + 4] = hi; O[Q + 5] = hi >>> 8; O[Q + 6] = hi >>> 16; O[Q + 7] = hi >>> 24; }`);
    out.push(`Q += 8;`);
  }

  /** Writes a framed byte string held in `body` (a Uint8Array). */
  private framed(body: string, out: string[]): void {
    const len = this.e.fresh("len");
    out.push(`const ${len} = ${body}.length;`);
    this.u64Number(len, out);
    out.push(`room(${len} + 8);`);
    out.push(`O.set(${body}, Q);`);
    out.push(`Q += ${len} + ((8 - (${len} & 7)) & 7);`);
  }

  node(node: AnyCodec, v: string, out: string[]): void {
    const e = this.e;
    switch (node.kind) {
      case "u64":
        out.push(
          `if (typeof ${v} === "number") { if (!Number.isSafeInteger(${v}) || ${v} < 0) throw D; }`,
        );
        out.push(
          `else if (typeof ${v} !== "bigint" || ${v} < 0n || ${v} >= 18446744073709551616n) throw D;`,
        );
        out.push(`if (typeof ${v} === "number") {`);
        this.u64Number(v, out);
        out.push(`} else { room(8); rt.writeU64(O, Q, ${v}); Q += 8; }`);
        return;
      case "bool":
        out.push(`room(8); O[Q] = ${v} ? 1 : 0; Q += 8;`);
        return;
      case "token":
      case "constU64":
        this.fixed(node.encoded, out);
        return;
      case "bytes": {
        const body = e.fresh("bb");
        if (node.utf8) out.push(`const ${body} = rt.utf8(${v});`);
        else {
          out.push(`if (!rt.isBytes(${v})) throw D;`);
          out.push(`const ${body} = ${v};`);
        }
        out.push(`if (${body}.length > ${node.limit.value}) throw D;`);
        this.framed(body, out);
        return;
      }
      case "payload":
        out.push(`if (!rt.isBytes(${v})) throw D;`);
        this.framed(v, out);
        return;
      case "record": {
        const o = e.fresh("o");
        out.push(`const ${o} = ${v};`);
        for (const part of fieldRuns(node.fields)) {
          if ("run" in part) {
            this.fixed(part.run, out);
            continue;
          }
          const { key, codec } = part;
          if (codec.kind === "const") continue;
          const f = e.fresh("f");
          out.push(`const ${f} = ${o}[${JSON.stringify(key)}];`);
          this.node(codec, f, out);
        }
        return;
      }
      case "choice": {
        const c = e.fresh("ch");
        out.push(`const ${c} = ${v};`);
        out.push(`switch (String(${c}.tag)) {`);
        for (const [key, br] of node.branches) {
          out.push(`case ${JSON.stringify(key)}: {`);
          this.fixed(encode(node.tag, br.tag), out);
          const inner = e.fresh("cv");
          out.push(`const ${inner} = ${c}.value;`);
          this.node(br.codec, inner, out);
          out.push(`break;`);
          out.push(`}`);
        }
        out.push(`default: throw D;`);
        out.push(`}`);
        return;
      }
      case "repeat": {
        const items = e.fresh("items");
        out.push(`const ${items} = ${v};`);
        out.push(`for (let i = 0; i < ${items}.length; i++) {`);
        if (node.pairwise !== undefined) {
          const pw = e.konst(node.pairwise);
          const key = node.key === undefined ? "" : `[${JSON.stringify(node.key)}]`;
          out.push(
            `if (i > 0 && ${pw}(${items}[i - 1]${key}, ${items}[i]${key}) !== undefined) throw D;`,
          );
        }
        this.fixed(node.more.encoded, out);
        const item = e.fresh("it");
        out.push(`const ${item} = ${items}[i];`);
        this.node(node.item, item, out);
        out.push(`}`);
        this.fixed(node.end.encoded, out);
        return;
      }
      case "terminated": {
        const [headKey, headCodec] = recordOf(node.item).fields[0]!;
        const items = e.fresh("items");
        out.push(`const ${items} = ${v};`);
        out.push(`for (const it of ${items}) {`);
        out.push(`if (it[${JSON.stringify(headKey)}] === ${e.konst(node.end)}) throw D;`);
        this.node(node.item, "it", out);
        out.push(`}`);
        let endBytes: Uint8Array | undefined;
        try {
          endBytes = encode(headCodec, node.end);
        } catch {
          endBytes = undefined;
        }
        if (endBytes === undefined) out.push(`throw D;`);
        else this.fixed(endBytes, out);
        return;
      }
      case "list": {
        const items = e.fresh("items");
        out.push(`const ${items} = ${v};`);
        out.push(`const ${items}n = ${items}.length;`);
        this.u64Number(`${items}n`, out);
        out.push(`for (let i = 0; i < ${items}n; i++) {`);
        const item = e.fresh("it");
        out.push(`const ${item} = ${items}[i];`);
        this.node(node.item, item, out);
        out.push(`}`);
        return;
      }
      case "optional":
        out.push(`room(8);`);
        out.push(`if (${v} === undefined) Q += 8;`);
        out.push(`else {`);
        out.push(`O[Q] = 1; Q += 8;`);
        this.node(node.item, v, out);
        out.push(`}`);
        return;
      case "lazy": {
        const fn = this.functionFor(node.get());
        const max = node.limit?.value ?? "MAXDEPTH";
        out.push(`if (DEPTH + 1 > ${max}) throw D;`);
        out.push(`DEPTH++; ${fn}(${v}); DEPTH--;`);
        return;
      }
      case "refine":
        out.push(`if (${e.konst(node.check)}(${v}) !== undefined) throw D;`);
        this.node(node.inner, v, out);
        return;
      case "map": {
        const w = e.fresh("w");
        out.push(`const ${w} = ${e.konst(node.encode)}(${v});`);
        this.node(node.inner, w, out);
        return;
      }
      case "event":
        this.node(node.inner, v, out);
        return;
      case "const":
        return;
    }
  }
}

/**
 * Generates the decoder and encoder source of `codec` (see {@link GeneratedCodec}); the same
 * declaration always gives the same source and the same constants, in the same order.
 */
export function generateCodec(codec: AnyCodec, maxDepth: number): GeneratedCodec {
  const e = new Emitter();
  const dec = new DecoderGen(e);
  const rootDecoder = dec.functionFor(codec);
  dec.flush();
  const enc = new EncoderGen(e);
  const rootEncoder = enc.functionFor(codec);
  enc.flush();
  const source = [
    `"use strict";`,
    `const D = rt.DECLINE;`,
    `let B, N = 0, P = 0, DEPTH = 0, MAXDEPTH = ${maxDepth}, EMIT, EVENTS = 0, PAYLOADMAX = -1;`,
    `let ${e.limits.length > 0 ? e.limits.map((l) => l.split(" = ")[0]).join(", ") : "L_"};`,
    `let O = new Uint8Array(0), Q = 0;`,
    `function room(more) {`,
    ` if (Q + more <= O.length) return;`,
    ` const next = new Uint8Array(Math.max(O.length * 2, Q + more, 256));`,
    ` next.set(O.subarray(0, Q));`,
    ` O = next;`,
    `}`,
    ...dec.bodies,
    ...enc.bodies,
    `return {`,
    ` decode(b, start, lim, emit, maxDepth, payloadMax) {`,
    `  B = b; N = b.length; P = start; DEPTH = 0; MAXDEPTH = maxDepth; EMIT = emit; EVENTS = 0; PAYLOADMAX = payloadMax;`,
    ...e.limits.map((l) => `  ${l};`),
    `  return ${rootDecoder}(start);`,
    ` },`,
    ` end() { return P; },`,
    ` events() { return EVENTS; },`,
    ` release() { B = undefined; EMIT = undefined; },`,
    ` encode(v, maxDepth) {`,
    `  O = new Uint8Array(256); Q = 0; DEPTH = 0; MAXDEPTH = maxDepth;`,
    `  ${rootEncoder}(v);`,
    `  const out = O.subarray(0, Q);`,
    `  O = new Uint8Array(0);`,
    `  return out;`,
    ` },`,
    `};`,
  ].join("\n");
  return { source, constants: e.constants };
}

/**
 * The text of a checked-in generated module (`*.generated.ts`) holding the generated code of
 * the declaration exported as `name` from `from` (a path relative to the module): written by
 * `scripts/generate-codecs.mjs`, compared with the file by a test.
 */
export function generatedModule(
  name: string,
  from: string,
  source: string,
  form: GeneratedForm = SYNC_FORM,
): string {
  const body = source
    .split("\n")
    .map((line) => `  ${line}`)
    .join("\n");
  return [
    `// Generated by scripts/generate-codecs.mjs from \`${name}\` in ${from}: do not edit.`,
    `// test/unit/codecs-generated.test.ts fails when this file is out of date with the declaration.`,
    `/* eslint-disable */`,
    `// @ts-nocheck`,
    `import type { ${form.type} } from "../codecs/${form.module}.js";`,
    ``,
    `/** The generated ${form.what} of \`${name}\` (bound with \`${form.binder}\`). */`,
    `export const ${name}${form.suffix}: ${form.type} = function (k, rt) {`,
    body,
    `};`,
    ``,
  ].join("\n");
}

/** What kind of generated code a module holds (see {@link generatedModule}). */
export interface GeneratedForm {
  /** Export name suffix, factory type, the codecs module declaring it, what, binding function. */
  readonly suffix: string;
  readonly type: string;
  readonly module: string;
  readonly what: string;
  readonly binder: string;
}

const SYNC_FORM: GeneratedForm = {
  suffix: "Generated",
  type: "GeneratedFactory",
  module: "compile",
  what: "decoder and encoder",
  binder: "fromGenerated",
};
