/**
 * Writing NARs: from a tree ({@link encodeNar}, the declarative encoder), from visitor-style
 * calls ({@link createNarWriter}) and from an async sequence of entries ({@link writeNar}).
 *
 * All three apply Nix's rules: names valid and strictly increasing as bytes within each
 * directory, symlink targets valid, file sizes as announced. A tree's entries are sorted for
 * you; the incremental writers refuse entries out of order (`nar.unsorted-entries`).
 *
 * @module
 */

import { byteChunks, type ByteStreamInput } from "../codecs/byte-reader.js";
import type { ByteSink } from "../codecs/encode.js";
import { concatBytes, copyBytes, utf8Bytes } from "../codecs/wire-bytes.js";
import { isBytes } from "../core/bytes.js";
import { ValidationError } from "../core/errors.js";
import { narCodec } from "./nar-compiled.js";
import { createNarEventWriter } from "./nar-event-writer.js";
import { NAR_REGULAR_EXECUTABLE, NAR_REGULAR_PLAIN } from "./nar-grammar.js";
import type { NarNode } from "./types.js";

/** Serialises a tree to NAR bytes (entries sorted as bytes; invalid names refused). */
export function encodeNar(tree: NarNode): Uint8Array {
  return narCodec.encode(tree);
}

export { NAR_HEADERS, NAR_TOKENS } from "./nar-tokens.js";

/**
 * A visitor-style NAR writer: call `directory()`, `entry(name)` before each child,
 * `regular(size, executable)` then `write(chunk)`s, `symlink(target)`, `end()` to close the
 * current directory or file, and `finish()`. Every rule is checked as you go.
 *
 * Bytes go to `sink(chunk)` synchronously, coalesced: the framing (and contents chunks of up
 * to `copyMax` bytes) collect in a buffer handed on when it holds `chunkSize` bytes, on
 * `flush()` and on `finish()`; larger contents chunks are handed on as they are, after the
 * buffered bytes. The buffer is reused: consume or copy a chunk before the writer's next call.
 */
export interface NarWriter {
  directory(): void;
  entry(name: string | Uint8Array): void;
  regular(size: number, executable?: boolean): void;
  write(chunk: Uint8Array): void;
  symlink(target: string | Uint8Array): void;
  end(): void;
  /** Hands the buffered bytes to the sink now (e.g. before waiting on I/O). */
  flush(): void;
  /** Hands on the buffered bytes and checks the NAR is complete. */
  finish(): void;
}

/**
 * Creates a {@link NarWriter} writing to `sink`: the declaration's generated event writer,
 * checked (refusals are the errors `encodeNar` gives for the same names and targets, and leave
 * the writer as it was; calls out of place are `UsageError`s `nar.writer-state`).
 * `options.chunkSize`: how many bytes it collects before handing them on (default
 * {@link NAR_WRITER_CHUNK_SIZE}); `options.copyMax`: the largest contents chunk it copies into
 * them (default {@link NAR_WRITER_COPY_MAX}).
 */
export function createNarWriter(
  sink: (chunk: Uint8Array) => void,
  options: { readonly chunkSize?: number; readonly copyMax?: number } = {},
): NarWriter {
  const chunkSize = options.chunkSize ?? NAR_WRITER_CHUNK_SIZE;
  return coalescingNarWriter(sink, chunkSize, options.copyMax ?? NAR_WRITER_COPY_MAX);
}

/**
 * How many bytes a {@link createNarWriter} or {@link writeNar} collects before handing them on.
 * Its buffer starts small and grows to about this size (or a little more for one long name or
 * target).
 */
export const NAR_WRITER_CHUNK_SIZE = 1 << 16;
/**
 * The largest contents chunk a {@link createNarWriter} copies into its buffer; larger ones are
 * handed on as they are (after the buffered bytes), which on 57,600 files of 0-2,000 bytes cost
 * less than copying them. ({@link writeNar} copies up to an eighth of its chunk size: it copies
 * what it hands on anyway, and each chunk handed on is a wait on its sink.)
 */
export const NAR_WRITER_COPY_MAX = 256;
/** The first buffer of a NAR writer: small, as writers are often made for one small NAR. */
const NAR_WRITER_FIRST_BUFFER = 512;

/**
 * A {@link NarWriter} on the generated event writer, with no sink of its own (its buffer grows
 * as a step needs): this hands `buf[0, at)` to `sink` once it holds `chunkSize` bytes, and
 * contents chunks over `copyMax` bytes as they are.
 */
function coalescingNarWriter(
  sink: (chunk: Uint8Array) => void,
  chunkSize: number,
  copyMax: number,
): NarWriter {
  const w = createNarEventWriter({ buffer: new Uint8Array(NAR_WRITER_FIRST_BUFFER) });
  let begun = false;
  const node = () => {
    if (!begun) {
      w.begin();
      begun = true;
    }
  };
  const bytesOf = (v: string | Uint8Array) => (typeof v === "string" ? utf8Bytes(v) : v);
  const flush = () => {
    const n = w.at;
    if (n > 0) {
      w.at = 0;
      sink(w.buf.subarray(0, n));
    }
  };
  const full = () => {
    if (w.at >= chunkSize) flush();
  };
  return {
    directory() {
      node();
      w.directory();
      full();
    },
    entry(name) {
      w.entry(bytesOf(name));
      full();
    },
    regular(size, executable = false) {
      node();
      w.regular(size, executable ? NAR_REGULAR_EXECUTABLE : NAR_REGULAR_PLAIN);
      full();
    },
    write(chunk) {
      if (chunk.length > copyMax) {
        w.sent(chunk.length);
        if (w.at > 0) flush();
        sink(chunk);
      } else {
        w.chunk(chunk);
        full();
      }
    },
    symlink(target) {
      node();
      w.symlink(bytesOf(target));
      full();
    },
    end() {
      w.end();
      full();
    },
    flush,
    finish() {
      flush();
      w.finish();
    },
  };
}

/** One entry of the sequence {@link writeNar} takes, in NAR order (parents first, names sorted as bytes). */
export type NarWriteEntry =
  | { readonly path: string; readonly type: "directory" }
  | { readonly path: string; readonly type: "symlink"; readonly target: string | Uint8Array }
  | {
      readonly path: string;
      readonly type: "regular";
      readonly executable?: boolean;
      readonly contents:
        | Uint8Array
        | {
            readonly size: number;
            /** Bytes, chunks, or a `ReadableStream` (see `byteChunks`). */
            readonly stream: ByteStreamInput;
          };
    };

function split(path: string): string[] {
  return path.split("/").filter((s) => s !== "" && s !== ".");
}

/**
 * Writes a NAR from a sequence of entries with relative paths (`""` is the root), parents
 * before children and names in byte order, to `sink`.
 */
export async function writeNar(
  entries: AsyncIterable<NarWriteEntry> | Iterable<NarWriteEntry>,
  sink: ByteSink,
): Promise<void> {
  const pending: Uint8Array[] = [];
  // (the writer's bytes, copied as it hands them on: every NAR_WRITER_CHUNK_SIZE bytes, large
  // contents chunks, the end)
  const w = coalescingNarWriter(
    (c) => pending.push(copyBytes(c)),
    NAR_WRITER_CHUNK_SIZE,
    NAR_WRITER_CHUNK_SIZE >>> 3,
  );
  const open: string[] = [];
  let rootSeen = false;
  let rootIsDir = false;
  const flush = async () => {
    for (const c of pending.splice(0)) {
      const r = sink.write(c);
      if (r instanceof Promise) await r;
    }
  };
  for await (const e of entries) {
    const segs = split(e.path);
    if (segs.length === 0) {
      if (rootSeen)
        throw new ValidationError("nar.duplicate-entry", "the root appears twice", {
          rule: "nar.writer",
        });
      rootSeen = true;
    } else {
      if (!rootSeen || !rootIsDir) {
        throw new ValidationError("nar.missing-parent", `'${e.path}' has no parent directory`, {
          rule: "nar.writer",
        });
      }
      const parent = segs.slice(0, -1);
      while (open.length > parent.length || open.some((s, i) => s !== parent[i])) {
        if (open.length === 0) break;
        open.pop();
        w.end();
      }
      if (open.length !== parent.length || open.some((s, i) => s !== parent[i])) {
        throw new ValidationError(
          "nar.missing-parent",
          `'${e.path}' has no parent directory before it`,
          {
            rule: "nar.writer",
          },
        );
      }
      w.entry(segs[segs.length - 1]!);
    }
    if (e.type === "directory") {
      w.directory();
      if (segs.length === 0) rootIsDir = true;
      else open.push(segs[segs.length - 1]!);
    } else if (e.type === "symlink") {
      w.symlink(e.target);
    } else {
      const c = e.contents;
      if (isBytes(c)) {
        w.regular(c.length, e.executable ?? false);
        w.write(c);
        w.end();
      } else {
        w.regular(c.size, e.executable ?? false);
        await flush();
        for await (const chunk of byteChunks(c.stream)) {
          w.write(chunk);
          await flush();
        }
        w.end();
      }
    }
    await flush();
  }
  if (rootIsDir) {
    while (open.length > 0) {
      open.pop();
      w.end();
    }
    w.end();
  }
  w.finish();
  await flush();
}

/** Collects {@link writeNar}'s output into one byte array. */
export async function writeNarToBytes(
  entries: AsyncIterable<NarWriteEntry> | Iterable<NarWriteEntry>,
): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  await writeNar(entries, { write: (c) => void parts.push(c) });
  return concatBytes(parts);
}
