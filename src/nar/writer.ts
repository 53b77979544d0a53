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
 * current directory or file, and `finish()`. Every rule is checked as you go. Bytes go to
 * `sink(chunk)` synchronously (chunks may be constants: copy them if you keep them).
 */
export interface NarWriter {
  directory(): void;
  entry(name: string | Uint8Array): void;
  regular(size: number, executable?: boolean): void;
  write(chunk: Uint8Array): void;
  symlink(target: string | Uint8Array): void;
  end(): void;
  /** Checks the NAR is complete. */
  finish(): void;
}

/**
 * Creates a {@link NarWriter} writing to `sink`: the declaration's generated event writer,
 * checked (refusals are the errors `encodeNar` gives for the same names and targets, and leave
 * the writer as it was; calls out of place are `UsageError`s `nar.writer-state`).
 */
export function createNarWriter(sink: (chunk: Uint8Array) => void): NarWriter {
  return narWriterTo(sink, true, NAR_WRITER_BUFFER);
}

/**
 * A {@link NarWriter} on the generated event writer; with `eachCall` false, bytes stay in its
 * buffer until `flush()` (or until it is full, or a payload chunk passes).
 */
function narWriterTo(
  sink: (chunk: Uint8Array) => void,
  eachCall: boolean,
  size: number,
): NarWriter & { flush(): void } {
  const w = createNarEventWriter({ sink, buffer: new Uint8Array(size) });
  let begun = false;
  const node = () => {
    if (!begun) {
      w.begin();
      begun = true;
    }
  };
  const bytesOf = (v: string | Uint8Array) => (typeof v === "string" ? utf8Bytes(v) : v);
  const done = eachCall ? () => w.flush() : () => {};
  return {
    directory() {
      node();
      w.directory();
      done();
    },
    entry(name) {
      w.entry(bytesOf(name));
      done();
    },
    regular(size, executable = false) {
      node();
      w.regular(size, executable ? NAR_REGULAR_EXECUTABLE : NAR_REGULAR_PLAIN);
      done();
    },
    write(chunk) {
      w.chunk(chunk);
      done();
    },
    symlink(target) {
      node();
      w.symlink(bytesOf(target));
      done();
    },
    end() {
      w.end();
      done();
    },
    finish() {
      w.finish();
      w.flush();
    },
    flush() {
      w.flush();
    },
  };
}

/**
 * The first buffer of a {@link createNarWriter} (flushed after each call; grown for a long
 * symlink target): small, as writers are often made for one small NAR.
 */
const NAR_WRITER_BUFFER = 512;
/** The buffer of a {@link writeNar} (handed on after each entry). */
const WRITE_NAR_BUFFER = 1 << 12;

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
  // (bytes handed on once per entry, and before each payload chunk)
  const w = narWriterTo((c) => pending.push(copyBytes(c)), false, WRITE_NAR_BUFFER);
  const open: string[] = [];
  let rootSeen = false;
  let rootIsDir = false;
  const flush = async () => {
    w.flush();
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
