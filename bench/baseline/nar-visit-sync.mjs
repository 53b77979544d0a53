// The hand-written NAR reader that src/ used before the compiled one (kept as the bench baseline;
// not in src, not in the package). Transpiled from its last TypeScript version in src/nar/.
/**
 * The fastest way through a NAR from a synchronous source: a plain loop that calls back for
 * each node, with no generator, promise or node object per entry. Behind `nar restore`,
 * `nar ls` and `nar cat` (and `restoreNar`/`listNar` on synchronous inputs).
 *
 * It accepts and refuses exactly what the declarative grammar does, with the same errors
 * (class, code, byte offset, rule): a property test pins it to `readNarDeclarative` on valid,
 * truncated, bit-flipped and spliced NARs, like the streaming reader.
 *
 * @module
 */
import { ByteReader, byteReader } from "../../dist/codecs/byte-reader.js";
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
  padLength,
  readU64,
  readU64Number,
  utf8Text,
} from "../../dist/codecs/wire-bytes.js";
import { UsageError } from "../../dist/core/errors.js";
import {
  bufferedString,
  DIR_TAGS,
  NODE_TYPES,
  REGULAR_TAGS,
  NAR_TOKEN,
} from "./nar-reader-fast.mjs";
import {
  checkNarName,
  checkNarOrder,
  checkNarTarget,
  NAR_MAX_CONTENTS_SIZE,
  NAR_MAX_DEPTH,
  NAR_MAX_NAME_LENGTH,
  NAR_MAX_TARGET_LENGTH,
} from "../../dist/nar/nar-rules.js";
/** Bytes kept readable ahead of each node (longer than its header, a name and a target). */
const LOOKAHEAD = 8192;
/** Files up to this size are made whole in the buffer before their callback. */
const SMALL_FILE = 1 << 16;
/**
 * Calls `visit` for each node of the NAR in `input` (a synchronous source: bytes, an iterable
 * of chunks, or a source marked `sync`), in NAR order. `visit` returns `true` to stop early
 * (the rest of the NAR is then not checked). Whatever of a file's contents the callback does
 * not read is skipped.
 */
export function visitNarSync(input, visit, options = {}) {
  const owned = !(input instanceof ByteReader);
  const reader = byteReader(input);
  let stopped = false;
  let early = true;
  try {
    visitReaderSync(
      reader,
      (node) => {
        const stop = visit(node);
        if (stop === true) stopped = true;
        return stop;
      },
      options,
    );
    early = stopped;
  } finally {
    // a source we opened is closed, and told so when we stopped before its end
    if (owned) reader.closeSync(early);
  }
}
function visitReaderSync(reader, visit, options) {
  const base = reader.offset;
  const lim = options.limits ?? {};
  const maxName = lim["nar.name"] ?? NAR_MAX_NAME_LENGTH;
  const maxTarget = lim["nar.target"] ?? NAR_MAX_TARGET_LENGTH;
  const maxContents = lim["nar.contents"] ?? NAR_MAX_CONTENTS_SIZE;
  const maxDepth = lim[DEPTH_LIMIT_NAME] ?? NAR_MAX_DEPTH;
  const maxItems = lim["nar.directory"] ?? DEFAULT_MAX_ITEMS;
  const off = () => reader.offset - base;
  const s = new BoundaryReads(reader, base);
  const raw = [];
  const lasts = [];
  const counts = [];
  let remaining = 0;
  let open = false;
  const node = {
    type: "directory",
    segmentBytes: raw,
    executable: false,
    size: 0,
    narOffset: 0,
    targetBytes: new Uint8Array(0),
    takeBuffered() {
      if (!open || remaining !== node.size || node.type !== "regular") return undefined;
      const all = reader.tryRead(remaining);
      if (all !== undefined) remaining = 0;
      return all;
    },
    *chunks() {
      if (node.type !== "regular") return;
      while (remaining > 0) {
        if (!open) {
          throw new UsageError(
            "codec.payload-closed",
            "NAR contents read after the reader moved on",
          );
        }
        const at = off();
        const c = reader.readUpToSync(remaining);
        if (c === undefined) {
          throw truncatedError("nar.regular.contents", at, `${remaining} more bytes of payload`);
        }
        remaining -= c.length;
        yield c;
      }
    },
  };
  const single = (t, rule) => {
    if (!reader.consumeIf(t.enc)) s.pick([t], rule);
  };
  const pick = (tokens, rule) => {
    for (let i = 0; i < tokens.length; i++) if (reader.consumeIf(tokens[i].enc)) return i;
    return s.pick(tokens, rule);
  };
  single(NAR_TOKEN.magic, "nar.magic");
  // Each turn of the loop reads one node, then closes what it ended and opens the next entry.
  for (;;) {
    // a node's header, name and target fit in the buffer: no slow path at chunk boundaries
    // (slow paths then run only on damaged input, and the loop stays optimised)
    if (reader.available() < LOOKAHEAD) reader.ensureSync(LOOKAHEAD);
    single(NAR_TOKEN.open, "nar.node");
    single(NAR_TOKEN.type, "nar.node");
    const kind = pick(NODE_TYPES, "nar.node");
    if (kind === 0) {
      const executable = pick(REGULAR_TAGS, "nar.regular") === 0;
      if (executable) {
        single(NAR_TOKEN.empty, "nar.regular");
        single(NAR_TOKEN.contents, "nar.regular");
      }
      const start = off();
      const lb = reader.tryRead(8) ?? s.take(8, "nar.regular.contents", "a payload");
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
      // small files whole in the buffer: takeBuffered() then always has them
      if (size <= SMALL_FILE && reader.available() < size) reader.ensureSync(size);
      node.type = "regular";
      node.executable = executable;
      node.size = size;
      node.narOffset = off();
      remaining = size;
      open = true;
      const stop = visit(node);
      open = false;
      if (stop === true) return;
      if (remaining > 0) {
        const at = off();
        if (!reader.skipSync(remaining)) {
          throw truncatedError("nar.regular.contents", at, `${remaining} more bytes of payload`);
        }
      }
      const pad = padLength(size);
      if (pad > 0) {
        const at = off();
        const b = reader.tryRead(pad) ?? reader.readSync(pad);
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
      single(NAR_TOKEN.close, "nar.regular");
    } else if (kind === 1) {
      single(NAR_TOKEN.target, "nar.symlink");
      node.type = "symlink";
      node.targetBytes =
        bufferedString(reader, base, maxTarget, checkNarTarget, "nar.symlink.target") ??
        s.str("nar.symlink.target", "nar.target", maxTarget, checkNarTarget);
      if (visit(node) === true) return;
      single(NAR_TOKEN.close, "nar.symlink");
    } else {
      node.type = "directory";
      if (visit(node) === true) return;
      lasts.push(undefined);
      counts.push(0);
    }
    // After a file or symlink: close its entry (or, at the root, stop).
    if (kind !== 2) {
      if (raw.length === 0) break;
      single(NAR_TOKEN.close, "nar.entry");
      raw.pop();
    }
    // In the directory on top: the next entry starts a node, `)` ends the directory.
    let descend = false;
    while (lasts.length > 0) {
      const top = lasts.length - 1;
      const start = off();
      if (pick(DIR_TAGS, "nar.directory") === 1) {
        lasts.pop();
        counts.pop();
        if (raw.length === 0) break;
        single(NAR_TOKEN.close, "nar.entry");
        raw.pop();
        continue;
      }
      const count = ++counts[top];
      if (count > maxItems) {
        throw limitError("nar.directory", start, "nar.directory", maxItems, count);
      }
      const itemStart = off();
      single(NAR_TOKEN.open, "nar.entry");
      single(NAR_TOKEN.name, "nar.entry");
      const name =
        bufferedString(reader, base, maxName, checkNarName, "nar.entry.name") ??
        s.str("nar.entry.name", "nar.name", maxName, checkNarName);
      const last = lasts[top];
      if (last !== undefined) {
        const p = checkNarOrder(last, name);
        if (p !== undefined) throw problemError("nar.directory", itemStart, p);
      }
      lasts[top] = name;
      raw.push(name);
      single(NAR_TOKEN.node, "nar.entry");
      if (raw.length > maxDepth) {
        throw limitError("nar.node", off(), DEPTH_LIMIT_NAME, maxDepth, raw.length);
      }
      descend = true;
      break;
    }
    if (!descend) break;
  }
  if (!reader.atEndSync()) {
    throw malformedError(
      "nar",
      off(),
      "trailing-data",
      "expected the end of the input, got more bytes",
    );
  }
}
/** The precise (slow) paths: reads across chunks, with the interpreter's checks and errors. */
class BoundaryReads {
  reader;
  base;
  constructor(reader, base) {
    this.reader = reader;
    this.base = base;
  }
  off() {
    return this.reader.offset - this.base;
  }
  take(n, rule, what) {
    const at = this.off();
    const b = this.reader.readSync(n);
    if (b === undefined) throw truncatedError(rule, at, `${what} (${n} bytes)`);
    return b;
  }
  length(rule, what, limitName) {
    const start = this.off();
    const b = this.take(8, rule, what);
    const n = readU64Number(b, 0);
    if (n < 0) throw limitError(rule, start, limitName, Number.MAX_SAFE_INTEGER, readU64(b, 0));
    return n;
  }
  padded(len, rule, what) {
    const pad = padLength(len);
    const start = this.off();
    const b = this.take(len + pad, rule, what);
    if (pad !== 0 && !allZero(b.subarray(len))) {
      throw malformedError(rule, start + len, "nonzero-padding", `padding of ${what} is not zero`);
    }
    return b.subarray(0, len);
  }
  pick(tokens, rule) {
    const start = this.off();
    const len = this.length(rule, "a token", rule);
    if (!tokens.some((t) => t.body.length === len)) {
      throw malformedError(
        rule,
        start,
        "unexpected-token",
        `expected ${tokens.map((t) => quote(t.text)).join(" or ")}, got a string of ${len} bytes`,
      );
    }
    const body = this.padded(len, rule, "a token");
    for (let i = 0; i < tokens.length; i++) if (bytesEqual(tokens[i].body, body)) return i;
    throw malformedError(
      rule,
      start,
      "unexpected-token",
      `expected ${tokens.map((t) => quote(t.text)).join(" or ")}, got ${quote(utf8Text(body))}`,
    );
  }
  str(rule, limitName, max, check) {
    const start = this.off();
    const len = this.length(rule, "a string", limitName);
    if (len > max) throw limitError(rule, start, limitName, max, len);
    const out = copyBytes(this.padded(len, rule, "a string"));
    const p = check(out);
    if (p !== undefined) throw problemError(rule, start, p);
    return out;
  }
}
