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
import type { Problem } from "../codecs/codec.js";
import type { ByteSink } from "../codecs/encode.js";
import {
  concatBytes,
  copyBytes,
  framedBytes,
  padLength,
  u64Bytes,
  utf8Bytes,
} from "../codecs/wire-bytes.js";
import { isBytes } from "../core/bytes.js";
import { UsageError, ValidationError } from "../core/errors.js";
import { narCodec } from "./nar-compiled.js";
import {
  checkNarName,
  checkNarOrder,
  checkNarTarget,
  NAR_MAX_NAME_LENGTH,
  NAR_MAX_TARGET_LENGTH,
} from "./nar-rules.js";
import { NAR_HEADERS } from "./nar-tokens.js";
import type { NarNode } from "./types.js";

/** Serialises a tree to NAR bytes (entries sorted as bytes; invalid names refused). */
export function encodeNar(tree: NarNode): Uint8Array {
  return narCodec.encode(tree);
}

export { NAR_HEADERS, NAR_TOKENS } from "./nar-tokens.js";

const ZEROS = new Uint8Array(8);

function refuse(p: Problem, path: string): never {
  const { code, detail } = typeof p === "string" ? { code: "nar.invalid-value", detail: p } : p;
  throw new ValidationError(code, path === "" ? detail : `${detail} (at '${path}')`, {
    rule: "nar.writer",
  });
}

type Frame =
  | { kind: "dir"; last: Uint8Array | undefined; path: string }
  | { kind: "entry"; path: string }
  | { kind: "file"; remaining: number; pad: number; path: string };

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

/** Creates a {@link NarWriter} writing to `sink`. */
export function createNarWriter(sink: (chunk: Uint8Array) => void): NarWriter {
  const stack: Frame[] = [];
  let state: "start" | "open" | "done" = "start";

  function where(): string {
    return stack.length === 0 ? "" : stack[stack.length - 1]!.path;
  }
  function beginNode(): string {
    if (state === "start") {
      sink(NAR_HEADERS.magic);
      state = "open";
      return "";
    }
    const top = stack[stack.length - 1];
    if (state === "done" || top?.kind !== "entry") {
      throw new UsageError("nar.writer-state", "a node can only start the NAR or follow entry()");
    }
    return top.path;
  }
  function nodeDone(): void {
    const top = stack[stack.length - 1];
    if (top === undefined) {
      state = "done";
      return;
    }
    if (top.kind === "entry") {
      sink(NAR_HEADERS.close);
      stack.pop();
    }
  }
  return {
    directory() {
      const path = beginNode();
      sink(NAR_HEADERS.directory);
      stack.push({ kind: "dir", last: undefined, path });
    },
    entry(name) {
      const top = stack[stack.length - 1];
      if (top?.kind !== "dir")
        throw new UsageError("nar.writer-state", "entry() outside a directory");
      const b = typeof name === "string" ? utf8Bytes(name) : name;
      const text = typeof name === "string" ? name : new TextDecoder().decode(name);
      const path = top.path === "" ? text : `${top.path}/${text}`;
      const p = checkNarName(b) ?? (top.last ? checkNarOrder(top.last, b) : undefined);
      if (p !== undefined) refuse(p, path);
      if (b.length > NAR_MAX_NAME_LENGTH)
        refuse({ code: "nar.limit-exceeded", detail: "name too long" }, path);
      top.last = b;
      sink(NAR_HEADERS.entry);
      sink(framedBytes(b));
      sink(NAR_HEADERS.node);
      stack.push({ kind: "entry", path });
    },
    regular(size, executable = false) {
      const path = beginNode();
      if (!Number.isSafeInteger(size) || size < 0)
        throw new UsageError("nar.writer-size", `bad size ${size}`);
      sink(executable ? NAR_HEADERS.executable : NAR_HEADERS.regular);
      sink(u64Bytes(size));
      stack.push({ kind: "file", remaining: size, pad: padLength(size), path });
    },
    write(chunk) {
      const top = stack[stack.length - 1];
      if (top?.kind !== "file")
        throw new UsageError("nar.writer-state", "write() outside a regular file");
      if (chunk.length > top.remaining) {
        refuse({ code: "nar.size-mismatch", detail: "more contents than announced" }, top.path);
      }
      top.remaining -= chunk.length;
      sink(chunk);
    },
    symlink(target) {
      const path = beginNode();
      const b = typeof target === "string" ? utf8Bytes(target) : target;
      const p = checkNarTarget(b);
      if (p !== undefined) refuse(p, path);
      if (b.length > NAR_MAX_TARGET_LENGTH)
        refuse({ code: "nar.limit-exceeded", detail: "target too long" }, path);
      sink(NAR_HEADERS.symlink);
      sink(framedBytes(b));
      sink(NAR_HEADERS.close);
      nodeDone();
    },
    end() {
      const top = stack.pop();
      if (top === undefined || top.kind === "entry") {
        throw new UsageError("nar.writer-state", "end() with no open directory or file");
      }
      if (top.kind === "file") {
        if (top.remaining !== 0) {
          refuse(
            { code: "nar.size-mismatch", detail: `${top.remaining} bytes of contents missing` },
            top.path,
          );
        }
        if (top.pad) sink(ZEROS.subarray(0, top.pad));
      }
      sink(NAR_HEADERS.close);
      nodeDone();
    },
    finish() {
      if (state !== "done") {
        throw new UsageError("nar.writer-state", `NAR incomplete (open at '${where()}')`);
      }
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
  const w = createNarWriter((c) => pending.push(copyBytes(c)));
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
