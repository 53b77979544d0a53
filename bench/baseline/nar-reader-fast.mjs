// The hand-written NAR reader that src/ used before the compiled one (kept as the bench baseline;
// not in src, not in the package). Transpiled from its last TypeScript version in src/nar/.
/**
 * The hand-tuned NAR stream reader behind {@link readNar}.
 *
 * The declarative reader (`readNarDeclarative`, running `nar-grammar.ts` through the codec
 * interpreter) is the reference; this one gives the same nodes and the same errors (class,
 * code, byte offset, rule) — a property test pins the two together on valid, truncated,
 * bit-flipped and spliced NARs. It is faster because it compares whole precomputed tokens
 * against the buffered bytes and only falls back to byte-by-byte reads when a token straddles
 * two chunks or does not match.
 *
 * One parser serves two drivers: it is a generator that yields the nodes it reads and, when
 * it needs bytes that are not buffered, a request; {@link readNarFast} fulfils requests with
 * `await` (any source), {@link readNarSync} synchronously (synchronous sources: a file
 * descriptor, bytes in memory), which costs no promise per node.
 *
 * @module
 */
import { ByteReader, byteReader, readingFrom } from "../../dist/codecs/byte-reader.js";
import {
  limitError,
  malformedError,
  problemError,
  quote,
  truncatedError,
} from "../../dist/codecs/codec-errors.js";
import { DEFAULT_MAX_ITEMS, DEPTH_LIMIT_NAME } from "../../dist/codecs/limits.js";
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
} from "../../dist/codecs/wire-bytes.js";
import { UsageError } from "../../dist/core/errors.js";
import {
  checkNarName,
  checkNarOrder,
  checkNarTarget,
  NAR_MAX_CONTENTS_SIZE,
  NAR_MAX_DEPTH,
  NAR_MAX_NAME_LENGTH,
  NAR_MAX_TARGET_LENGTH,
} from "../../dist/nar/nar-rules.js";
import { NAR_TOKEN_TEXT } from "../../dist/nar/nar-grammar.js";
const tok = (text) => {
  const body = utf8Bytes(text);
  return { text, body, enc: framedBytes(body) };
};
/** The NAR tokens, from the declaration's texts (shared with the visitor of `nar-visit-sync.ts`). */
export const NAR_TOKEN = Object.fromEntries(
  Object.entries(NAR_TOKEN_TEXT).map(([name, text]) => [name, tok(text)]),
);
/** Token choices: node types, regular-file tags, directory items. */
export const NODE_TYPES = [NAR_TOKEN.regular, NAR_TOKEN.symlink, NAR_TOKEN.directory];
export const REGULAR_TAGS = [NAR_TOKEN.executable, NAR_TOKEN.contents];
export const DIR_TAGS = [NAR_TOKEN.entry, NAR_TOKEN.close];
const READ = 0;
const SKIP = 1;
const END = 2;
/** A regular file met by the reader: its payload is read through the reader's buffer. */
class RegularNode {
  type = "regular";
  path;
  segments;
  segmentBytes;
  executable;
  size;
  narOffset;
  /** Bytes of the payload not consumed yet. */
  #remaining;
  /** Set when the reader moved past this node. */
  #closed = false;
  #reader;
  #base;
  constructor(reader, base, names, raw, executable, size) {
    this.path = names.join("/");
    this.segments = names.slice();
    this.segmentBytes = raw.slice();
    this.executable = executable;
    this.size = size;
    this.narOffset = reader.offset - base;
    this.#remaining = size;
    this.#reader = reader;
    this.#base = base;
  }
  /** The parser moves on: returns what is left of the payload to skip. */
  close() {
    this.#closed = true;
    return this.#remaining;
  }
  takeBuffered() {
    if (this.#closed || this.#remaining !== this.size) return undefined;
    const all = this.#reader.tryRead(this.size);
    if (all !== undefined) this.#remaining = 0;
    return all;
  }
  #truncated(at) {
    return truncatedError("nar.regular.contents", at, `${this.#remaining} more bytes of payload`);
  }
  #check() {
    if (this.#closed) {
      throw new UsageError("codec.payload-closed", "NAR contents read after the reader moved on");
    }
  }
  get contents() {
    const reader = this.#reader;
    if (reader.isSync) {
      const chunks = this.#chunksSync();
      return {
        async *[Symbol.asyncIterator]() {
          yield* chunks;
        },
      };
    }
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const self = this;
    return {
      async *[Symbol.asyncIterator]() {
        while (self.#remaining > 0) {
          self.#check();
          const at = reader.offset - self.#base;
          const c = await reader.readUpTo(self.#remaining);
          if (c === undefined) throw self.#truncated(at);
          self.#remaining -= c.length;
          yield c;
        }
      },
    };
  }
  get contentsSync() {
    return this.#reader.isSync ? this.#chunksSync() : undefined;
  }
  *#chunksSync() {
    const reader = this.#reader;
    while (this.#remaining > 0) {
      this.#check();
      const at = reader.offset - this.#base;
      const c = reader.readUpToSync(this.#remaining);
      if (c === undefined) throw this.#truncated(at);
      this.#remaining -= c.length;
      yield c;
    }
  }
}
/**
 * The parser: yields nodes and, unless `sync` (then it reads synchronously itself),
 * {@link Need} requests (always the same object, `need`) that the driver answers through
 * `next(answer)`.
 */
function* parse(reader, options, need, sync) {
  const base = reader.offset;
  const lim = options.limits ?? {};
  const maxName = lim["nar.name"] ?? NAR_MAX_NAME_LENGTH;
  const maxTarget = lim["nar.target"] ?? NAR_MAX_TARGET_LENGTH;
  const maxContents = lim["nar.contents"] ?? NAR_MAX_CONTENTS_SIZE;
  const maxDepth = lim[DEPTH_LIMIT_NAME] ?? NAR_MAX_DEPTH;
  const maxItems = lim["nar.directory"] ?? DEFAULT_MAX_ITEMS;
  const off = () => reader.offset - base;
  /** Exactly `n` bytes: buffered ones without a request. */
  function* bytes(n) {
    const quick = reader.tryRead(n);
    if (quick !== undefined) return quick;
    if (sync) return reader.readSync(n);
    need.op = READ;
    need.n = n;
    return yield need;
  }
  function* take(n, rule, what) {
    const at = off();
    const b = yield* bytes(n);
    if (b === undefined) throw truncatedError(rule, at, `${what} (${n} bytes)`);
    return b;
  }
  function* length(rule, what, limitName) {
    const start = off();
    const b = yield* take(8, rule, what);
    const n = readU64Number(b, 0);
    if (n < 0) throw limitError(rule, start, limitName, Number.MAX_SAFE_INTEGER, readU64(b, 0));
    return n;
  }
  function* padded(len, rule, what) {
    const pad = padLength(len);
    const start = off();
    const b = yield* take(len + pad, rule, what);
    if (pad !== 0 && !allZero(b.subarray(len))) {
      throw malformedError(rule, start + len, "nonzero-padding", `padding of ${what} is not zero`);
    }
    return b.subarray(0, len);
  }
  /** The precise (slow) path of a token choice: same checks and errors as the interpreter. */
  function* pickSlow(tokens, rule) {
    const start = off();
    const len = yield* length(rule, "a token", rule);
    if (!tokens.some((t) => t.body.length === len)) {
      throw malformedError(
        rule,
        start,
        "unexpected-token",
        `expected ${tokens.map((t) => quote(t.text)).join(" or ")}, got a string of ${len} bytes`,
      );
    }
    const body = yield* padded(len, rule, "a token");
    for (let i = 0; i < tokens.length; i++) if (bytesEqual(tokens[i].body, body)) return i;
    throw malformedError(
      rule,
      start,
      "unexpected-token",
      `expected ${tokens.map((t) => quote(t.text)).join(" or ")}, got ${quote(utf8Text(body))}`,
    );
  }
  /** Fast path: one of `tokens` whole in the buffer; -1 when the slow path is needed. */
  function pick(tokens) {
    for (let i = 0; i < tokens.length; i++) if (reader.consumeIf(tokens[i].enc)) return i;
    return -1;
  }
  function single(t) {
    return reader.consumeIf(t.enc);
  }
  function* str(rule, limitName, max, check) {
    const start = off();
    const len = yield* length(rule, "a string", limitName);
    if (len > max) throw limitError(rule, start, limitName, max, len);
    const out = copyBytes(yield* padded(len, rule, "a string"));
    const p = check(out);
    if (p !== undefined) throw problemError(rule, start, p);
    return out;
  }
  const names = [];
  const raw = [];
  const dirs = [];
  const here = () => names.join("/");
  if (!single(NAR_TOKEN.magic)) yield* pickSlow([NAR_TOKEN.magic], "nar.magic");
  // Each turn of the loop reads one node, then closes what it ended and opens the next entry.
  for (;;) {
    // nar-obj: ( type <kind>
    if (!single(NAR_TOKEN.open)) yield* pickSlow([NAR_TOKEN.open], "nar.node");
    if (!single(NAR_TOKEN.type)) yield* pickSlow([NAR_TOKEN.type], "nar.node");
    let kind = pick(NODE_TYPES);
    if (kind < 0) kind = yield* pickSlow(NODE_TYPES, "nar.node");
    if (kind === 0) {
      let tag = pick(REGULAR_TAGS);
      if (tag < 0) tag = yield* pickSlow(REGULAR_TAGS, "nar.regular");
      const executable = tag === 0;
      if (executable) {
        if (!single(NAR_TOKEN.empty)) yield* pickSlow([NAR_TOKEN.empty], "nar.regular");
        if (!single(NAR_TOKEN.contents)) yield* pickSlow([NAR_TOKEN.contents], "nar.regular");
      }
      const start = off();
      const lb = reader.tryRead(8) ?? (yield* take(8, "nar.regular.contents", "a payload"));
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
      const node = new RegularNode(reader, base, names, raw, executable, size);
      yield node;
      const left = node.close();
      if (left > 0) {
        const at = off();
        need.op = SKIP;
        need.n = left;
        if (!(sync ? reader.skipSync(left) : yield need)) {
          throw truncatedError("nar.regular.contents", at, `${left} more bytes of payload`);
        }
      }
      const pad = padLength(size);
      if (pad > 0) {
        const at = off();
        const b = reader.tryRead(pad) ?? (yield* bytes(pad));
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
      if (!single(NAR_TOKEN.close)) yield* pickSlow([NAR_TOKEN.close], "nar.regular");
    } else if (kind === 1) {
      if (!single(NAR_TOKEN.target)) yield* pickSlow([NAR_TOKEN.target], "nar.symlink");
      const target =
        bufferedString(reader, base, maxTarget, checkNarTarget, "nar.symlink.target") ??
        (yield* str("nar.symlink.target", "nar.target", maxTarget, checkNarTarget));
      yield {
        type: "symlink",
        path: here(),
        segments: names.slice(),
        segmentBytes: raw.slice(),
        target: utf8Text(target),
        targetBytes: target,
      };
      if (!single(NAR_TOKEN.close)) yield* pickSlow([NAR_TOKEN.close], "nar.symlink");
    } else {
      yield { type: "directory", path: here(), segments: names.slice(), segmentBytes: raw.slice() };
      dirs.push({ last: undefined, count: 0 });
    }
    // After a file or symlink: close its entry (or, at the root, stop).
    if (kind !== 2) {
      if (names.length === 0) break;
      if (!single(NAR_TOKEN.close)) yield* pickSlow([NAR_TOKEN.close], "nar.entry");
      names.pop();
      raw.pop();
    }
    // In the directory on top: the next entry starts a node, `)` ends the directory.
    let descend = false;
    while (dirs.length > 0) {
      const frame = dirs[dirs.length - 1];
      const start = off();
      let which = pick(DIR_TAGS);
      if (which < 0) which = yield* pickSlow(DIR_TAGS, "nar.directory");
      if (which === 1) {
        dirs.pop();
        if (names.length === 0) break;
        if (!single(NAR_TOKEN.close)) yield* pickSlow([NAR_TOKEN.close], "nar.entry");
        names.pop();
        raw.pop();
        continue;
      }
      if (++frame.count > maxItems) {
        throw limitError("nar.directory", start, "nar.directory", maxItems, frame.count);
      }
      const itemStart = off();
      if (!single(NAR_TOKEN.open)) yield* pickSlow([NAR_TOKEN.open], "nar.entry");
      if (!single(NAR_TOKEN.name)) yield* pickSlow([NAR_TOKEN.name], "nar.entry");
      const name =
        bufferedString(reader, base, maxName, checkNarName, "nar.entry.name") ??
        (yield* str("nar.entry.name", "nar.name", maxName, checkNarName));
      if (frame.last !== undefined) {
        const p = checkNarOrder(frame.last, name);
        if (p !== undefined) throw problemError("nar.directory", itemStart, p);
      }
      frame.last = name;
      raw.push(name);
      names.push(utf8Text(name));
      if (!single(NAR_TOKEN.node)) yield* pickSlow([NAR_TOKEN.node], "nar.entry");
      if (names.length > maxDepth) {
        throw limitError("nar.node", off(), DEPTH_LIMIT_NAME, maxDepth, names.length);
      }
      descend = true;
      break;
    }
    if (!descend) break;
  }
  need.op = END;
  if (!(sync ? reader.atEndSync() : yield need)) {
    throw malformedError(
      "nar",
      off(),
      "trailing-data",
      "expected the end of the input, got more bytes",
    );
  }
}
/** Streams the nodes of a NAR (see `readNar`); the hand-tuned equivalent of the declarative reader. */
export async function* readNarFast(input, options = {}) {
  return yield* readingFrom(input, (reader) => readNarFrom(reader, options));
}
async function* readNarFrom(reader, options) {
  const need = { op: 0, n: 0 };
  const gen = parse(reader, options, need, false);
  let answer;
  for (;;) {
    const r = gen.next(answer);
    if (r.done) return;
    const v = r.value;
    if (v === need) {
      answer =
        need.op === READ
          ? await reader.read(need.n)
          : need.op === SKIP
            ? await reader.skip(need.n)
            : await reader.atEnd();
    } else {
      answer = undefined;
      yield v;
    }
  }
}
/**
 * Streams the nodes of a NAR from a synchronous source (bytes, an iterable of chunks, or a
 * {@link ChunkSource} marked `sync`): `readNar` without a promise per node. Regular nodes also
 * have `contentsSync`. An asynchronous source gives a `codec.async-source` UsageError.
 */
export function* readNarSync(input, options = {}) {
  const owned = !(input instanceof ByteReader);
  const reader = byteReader(input);
  let early = true;
  try {
    // the parser reads synchronously itself: it yields nothing but nodes
    yield* parse(reader, options, { op: 0, n: 0 }, true);
    early = false;
  } finally {
    if (owned) reader.closeSync(early);
  }
}
/**
 * A NAR string (u64 length, bytes, zero padding) read when it is whole in `reader`'s buffer and
 * well-formed, after `check` (a problem there is thrown at the string's offset, counted from
 * `base`); `undefined`, with nothing consumed, when the slow path must decide (not buffered,
 * longer than `max`, a length above 2^32, non-zero padding). Shared by both fast readers.
 */
export function bufferedString(reader, base, max, check, rule) {
  const avail = reader.available();
  if (
    avail < 8 ||
    reader.byteAt(4) !== 0 ||
    reader.byteAt(5) !== 0 ||
    reader.byteAt(6) !== 0 ||
    reader.byteAt(7) !== 0
  ) {
    return undefined;
  }
  const len =
    (reader.byteAt(0) |
      (reader.byteAt(1) << 8) |
      (reader.byteAt(2) << 16) |
      (reader.byteAt(3) << 24)) >>>
    0;
  const pad = padLength(len);
  if (len > max || avail < 8 + len + pad) return undefined;
  for (let i = 8 + len; i < 8 + len + pad; i++) if (reader.byteAt(i) !== 0) return undefined;
  const start = reader.offset - base;
  const out = reader.copyAt(8, len);
  const p = check(out);
  if (p !== undefined) throw problemError(rule, start, p);
  reader.advance(8 + len + pad);
  return out;
}
