/**
 * Reading NARs: a streaming reader (async iterator and visitor over nodes, file contents as
 * byte streams, bounded memory) and, re-exported from `nar-decode.ts`, whole-tree decoding for
 * small NARs and the declarative reference reader.
 *
 * All of them accept and refuse exactly the same inputs, with the same typed errors: the
 * compiled `readNar` (generated from `nar-grammar.ts`) is pinned to the interpreter by property tests.
 *
 * @module
 */
import type { ByteInput } from "../codecs/byte-reader.js";
import { readNarStream } from "./nar-stream-reader.js";
import type {
  NarDirectoryNode,
  NarReadOptions,
  NarRegularNode,
  NarStreamNode,
  NarSymlinkNode,
} from "./stream-node.js";

export type * from "./stream-node.js";

export { readNarSync } from "./nar-stream-reader.js";

export { parseNar, readNarDeclarative, readNarTree } from "./nar-decode.js";

/**
 * Streams the nodes of a NAR. File contents are never buffered: each regular node's `contents`
 * must be consumed before the iterator is advanced (what is left is skipped). Errors are the
 * grammar's typed errors (`nar.*` codes, byte offsets).
 */
export function readNar(
  input: ByteInput,
  options: NarReadOptions = {},
): AsyncGenerator<NarStreamNode, void, undefined> {
  return readNarStream(input, options);
}

/** Callbacks of {@link visitNar}; each may return a promise, awaited before going on. */
export interface NarVisitor {
  directory?(node: NarDirectoryNode): void | Promise<void>;
  regular?(node: NarRegularNode): void | Promise<void>;
  symlink?(node: NarSymlinkNode): void | Promise<void>;
}

/** Streams a NAR into a visitor (see {@link readNar}). */
export async function visitNar(
  input: ByteInput,
  visitor: NarVisitor,
  options: NarReadOptions = {},
): Promise<void> {
  for await (const node of readNar(input, options)) {
    const r =
      node.type === "directory"
        ? visitor.directory?.(node)
        : node.type === "regular"
          ? visitor.regular?.(node)
          : visitor.symlink?.(node);
    if (r instanceof Promise) await r;
  }
}
