/**
 * The hand-tuned NAR stream reader behind {@link readNar}.
 *
 * The declarative reader (`readNarDeclarative`, running `nar-grammar.ts` through the codec
 * interpreter) is the reference; this one gives the same nodes and the same errors (class,
 * code, byte offset, rule) — a property test pins the two together on valid, truncated,
 * bit-flipped and spliced NARs. It is faster because it compares whole precomputed tokens
 * against the buffered bytes and only falls back to byte-by-byte reads (and `await`) when a
 * token straddles two chunks or does not match.
 *
 * @module
 */
import { type ByteInput, byteReader } from "../codecs/byte-reader.js";
import type { Problem } from "../codecs/codec.js";
import {
  limitError,
  malformedError,
  problemError,
  quote,
  truncatedError,
} from "../codecs/codec-errors.js";
import { DEFAULT_MAX_DEPTH, DEFAULT_MAX_ITEMS, DEPTH_LIMIT_NAME } from "../codecs/limits.js";
import {
  allZero,
  bytesEqual,
  copyBytes,
  framedBytes,
  padLength,
  readU64,
  readU64Number,
  utf8Bytes,
  utf8Text,
} from "../codecs/wire-bytes.js";
import { UsageError } from "../core/errors.js";
import {
  checkNarName,
  checkNarOrder,
  checkNarTarget,
  NAR_MAGIC,
  NAR_MAX_CONTENTS_SIZE,
  NAR_MAX_NAME_LENGTH,
  NAR_MAX_TARGET_LENGTH,
} from "./nar-rules.js";
import type { NarReadOptions, NarStreamNode } from "./reader.js";

interface Tok {
  readonly text: string;
  readonly body: Uint8Array;
  readonly enc: Uint8Array;
}
const tok = (text: string): Tok => {
  const body = utf8Bytes(text);
  return { text, body, enc: framedBytes(body) };
};
const T = {
  magic: tok(NAR_MAGIC),
  open: tok("("),
  close: tok(")"),
  type: tok("type"),
  regular: tok("regular"),
  symlink: tok("symlink"),
  directory: tok("directory"),
  executable: tok("executable"),
  contents: tok("contents"),
  empty: tok(""),
  target: tok("target"),
  entry: tok("entry"),
  name: tok("name"),
  node: tok("node"),
};
const NODE_TYPES = [T.regular, T.symlink, T.directory];
const REGULAR_TAGS = [T.executable, T.contents];
const DIR_TAGS = [T.entry, T.close];

interface DirFrame {
  last: Uint8Array | undefined;
  count: number;
}

/** Streams the nodes of a NAR (see `readNar`); the hand-tuned equivalent of the declarative reader. */
export async function* readNarFast(
  input: ByteInput,
  options: NarReadOptions = {},
): AsyncGenerator<NarStreamNode, void, undefined> {
  const R = byteReader(input);
  const base = R.offset;
  const lim = options.limits ?? {};
  const maxName = lim["nar.name"] ?? NAR_MAX_NAME_LENGTH;
  const maxTarget = lim["nar.target"] ?? NAR_MAX_TARGET_LENGTH;
  const maxContents = lim["nar.contents"] ?? NAR_MAX_CONTENTS_SIZE;
  const maxDepth = lim[DEPTH_LIMIT_NAME] ?? DEFAULT_MAX_DEPTH;
  const maxItems = lim["nar.directory"] ?? DEFAULT_MAX_ITEMS;
  const off = () => R.offset - base;

  async function take(n: number, rule: string, what: string): Promise<Uint8Array> {
    const at = off();
    const b = R.tryRead(n) ?? (await R.read(n));
    if (b === undefined) throw truncatedError(rule, at, `${what} (${n} bytes)`);
    return b;
  }

  async function length(rule: string, what: string, limitName: string): Promise<number> {
    const start = off();
    const b = await take(8, rule, what);
    const n = readU64Number(b, 0);
    if (n < 0) throw limitError(rule, start, limitName, Number.MAX_SAFE_INTEGER, readU64(b, 0));
    return n;
  }

  async function padded(len: number, rule: string, what: string): Promise<Uint8Array> {
    const pad = padLength(len);
    const start = off();
    const b = await take(len + pad, rule, what);
    if (pad !== 0 && !allZero(b.subarray(len))) {
      throw malformedError(rule, start + len, "nonzero-padding", `padding of ${what} is not zero`);
    }
    return b.subarray(0, len);
  }

  /** The precise (slow) path of a token choice: same checks and errors as the interpreter. */
  async function pickSlow(tokens: readonly Tok[], rule: string): Promise<number> {
    const start = off();
    const len = await length(rule, "a token", rule);
    if (!tokens.some((t) => t.body.length === len)) {
      throw malformedError(
        rule,
        start,
        "unexpected-token",
        `expected ${tokens.map((t) => quote(t.text)).join(" or ")}, got a string of ${len} bytes`,
      );
    }
    const body = await padded(len, rule, "a token");
    for (let i = 0; i < tokens.length; i++) if (bytesEqual(tokens[i]!.body, body)) return i;
    throw malformedError(
      rule,
      start,
      "unexpected-token",
      `expected ${tokens.map((t) => quote(t.text)).join(" or ")}, got ${quote(utf8Text(body))}`,
    );
  }

  /** Fast path: one of `tokens` whole in the buffer; -1 when the slow path is needed. */
  function pick(tokens: readonly Tok[]): number {
    for (let i = 0; i < tokens.length; i++) if (R.consumeIf(tokens[i]!.enc)) return i;
    return -1;
  }

  function single(t: Tok): boolean {
    return R.consumeIf(t.enc);
  }

  async function str(
    rule: string,
    limitName: string,
    max: number,
    check: (b: Uint8Array) => Problem | undefined,
  ): Promise<Uint8Array> {
    const start = off();
    let out: Uint8Array | undefined;
    const avail = R.available();
    if (
      avail >= 8 &&
      R.byteAt(4) === 0 &&
      R.byteAt(5) === 0 &&
      R.byteAt(6) === 0 &&
      R.byteAt(7) === 0
    ) {
      const len =
        (R.byteAt(0) | (R.byteAt(1) << 8) | (R.byteAt(2) << 16) | (R.byteAt(3) << 24)) >>> 0;
      const pad = padLength(len);
      if (len <= max && avail >= 8 + len + pad) {
        let zero = true;
        for (let i = 8 + len; i < 8 + len + pad; i++) if (R.byteAt(i) !== 0) zero = false;
        if (zero) {
          out = R.copyAt(8, len);
          R.advance(8 + len + pad);
        }
      }
    }
    if (out === undefined) {
      const len = await length(rule, "a string", limitName);
      if (len > max) throw limitError(rule, start, limitName, max, len);
      out = copyBytes(await padded(len, rule, "a string"));
    }
    const p = check(out);
    if (p !== undefined) throw problemError(rule, start, p);
    return out;
  }

  const names: string[] = [];
  const raw: Uint8Array[] = [];
  const dirs: DirFrame[] = [];
  const here = () => names.join("/");

  if (!single(T.magic)) await pickSlow([T.magic], "nar.magic");

  // Each turn of the loop reads one node, then closes what it ended and opens the next entry.
  for (;;) {
    // nar-obj: ( type <kind>
    if (!single(T.open)) await pickSlow([T.open], "nar.node");
    if (!single(T.type)) await pickSlow([T.type], "nar.node");
    let kind = pick(NODE_TYPES);
    if (kind < 0) kind = await pickSlow(NODE_TYPES, "nar.node");
    if (kind === 0) {
      let tag = pick(REGULAR_TAGS);
      if (tag < 0) tag = await pickSlow(REGULAR_TAGS, "nar.regular");
      const executable = tag === 0;
      if (executable) {
        if (!single(T.empty)) await pickSlow([T.empty], "nar.regular");
        if (!single(T.contents)) await pickSlow([T.contents], "nar.regular");
      }
      const start = off();
      const lb = R.tryRead(8) ?? (await take(8, "nar.regular.contents", "a payload"));
      const size = readU64Number(lb, 0);
      if (size < 0)
        throw limitError(
          "nar.regular.contents",
          start,
          "nar.contents",
          Number.MAX_SAFE_INTEGER,
          readU64(lb, 0),
        );
      if (size > maxContents)
        throw limitError("nar.regular.contents", start, "nar.contents", maxContents, size);
      const narOffset = off();
      const p = { remaining: size, closed: false };
      const contents: AsyncIterable<Uint8Array> = {
        async *[Symbol.asyncIterator]() {
          while (p.remaining > 0) {
            if (p.closed)
              throw new UsageError(
                "codec.payload-closed",
                "NAR contents read after the reader moved on",
              );
            const at = off();
            const c = await R.readUpTo(p.remaining);
            if (c === undefined) {
              throw truncatedError(
                "nar.regular.contents",
                at,
                `${p.remaining} more bytes of payload`,
              );
            }
            p.remaining -= c.length;
            yield c;
          }
        },
      };
      const takeBuffered = (): Uint8Array | undefined => {
        if (p.closed || p.remaining !== size) return undefined;
        const all = R.tryRead(size);
        if (all !== undefined) p.remaining = 0;
        return all;
      };
      yield {
        type: "regular",
        path: here(),
        segments: [...names],
        segmentBytes: [...raw],
        executable,
        size,
        narOffset,
        contents,
        takeBuffered,
      };
      p.closed = true;
      if (p.remaining > 0) {
        const at = off();
        if (!(await R.skip(p.remaining))) {
          throw truncatedError("nar.regular.contents", at, `${p.remaining} more bytes of payload`);
        }
      }
      const pad = padLength(size);
      if (pad > 0) {
        const at = off();
        const b = R.tryRead(pad) ?? (await R.read(pad));
        if (b === undefined)
          throw truncatedError("nar.regular.contents", at, `${pad} bytes of padding`);
        if (!allZero(b))
          throw malformedError(
            "nar.regular.contents",
            at,
            "nonzero-padding",
            "padding of a payload is not zero",
          );
      }
      if (!single(T.close)) await pickSlow([T.close], "nar.regular");
    } else if (kind === 1) {
      if (!single(T.target)) await pickSlow([T.target], "nar.symlink");
      const target = await str("nar.symlink.target", "nar.target", maxTarget, checkNarTarget);
      yield {
        type: "symlink",
        path: here(),
        segments: [...names],
        segmentBytes: [...raw],
        target: utf8Text(target),
        targetBytes: target,
      };
      if (!single(T.close)) await pickSlow([T.close], "nar.symlink");
    } else {
      yield { type: "directory", path: here(), segments: [...names], segmentBytes: [...raw] };
      dirs.push({ last: undefined, count: 0 });
    }

    // After a file or symlink: close its entry (or, at the root, stop).
    if (kind !== 2) {
      if (names.length === 0) break;
      if (!single(T.close)) await pickSlow([T.close], "nar.entry");
      names.pop();
      raw.pop();
    }
    // In the directory on top: the next entry starts a node, `)` ends the directory.
    let descend = false;
    while (dirs.length > 0) {
      const frame = dirs[dirs.length - 1]!;
      const start = off();
      let which = pick(DIR_TAGS);
      if (which < 0) which = await pickSlow(DIR_TAGS, "nar.directory");
      if (which === 1) {
        dirs.pop();
        if (names.length === 0) break;
        if (!single(T.close)) await pickSlow([T.close], "nar.entry");
        names.pop();
        raw.pop();
        continue;
      }
      if (++frame.count > maxItems) {
        throw limitError("nar.directory", start, "nar.directory", maxItems, frame.count);
      }
      const itemStart = off();
      if (!single(T.open)) await pickSlow([T.open], "nar.entry");
      if (!single(T.name)) await pickSlow([T.name], "nar.entry");
      const name = await str("nar.entry.name", "nar.name", maxName, checkNarName);
      if (frame.last !== undefined) {
        const p = checkNarOrder(frame.last, name);
        if (p !== undefined) throw problemError("nar.directory", itemStart, p);
      }
      frame.last = name;
      raw.push(name);
      names.push(utf8Text(name));
      if (!single(T.node)) await pickSlow([T.node], "nar.entry");
      if (names.length > maxDepth) {
        throw limitError("nar.node", off(), DEPTH_LIMIT_NAME, maxDepth, names.length);
      }
      descend = true;
      break;
    }
    if (!descend) break;
  }
  if (!(await R.atEnd())) {
    throw malformedError(
      "nar",
      off(),
      "trailing-data",
      "expected the end of the input, got more bytes",
    );
  }
}
