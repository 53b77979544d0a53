/**
 * Reading NARs: a streaming reader (async iterator and visitor over nodes, file contents as
 * byte streams, bounded memory) and, re-exported from `nar-decode.ts`, whole-tree decoding for
 * small NARs and the declarative reference reader.
 *
 * All of them accept and refuse exactly the same inputs, with the same typed errors: the
 * hand-tuned `readNar` is pinned to the grammar of `nar-grammar.ts` by property tests.
 *
 * @module
 */
import type { ByteInput } from "../codecs/byte-reader.js";
import type { StreamDecodeOptions } from "../codecs/decode-stream.js";
import { readNarFast } from "./nar-reader-fast.js";

export { readNarSync } from "./nar-reader-fast.js";

export { parseNar, readNarDeclarative, readNarTree } from "./nar-decode.js";

/** Options of the NAR readers: limit overrides (`nar.name`, `nar.target`, `nar.contents`, `codec.depth`). */
export type NarReadOptions = StreamDecodeOptions;

interface NodeBase {
  /** Path relative to the root: `""` for the root, `a/b` below it. */
  readonly path: string;
  /** The path's names (empty for the root). */
  readonly segments: readonly string[];
  /** The same names as raw bytes. */
  readonly segmentBytes: readonly Uint8Array[];
}

/** A directory met by the streaming reader (its entries follow). */
export interface NarDirectoryNode extends NodeBase {
  readonly type: "directory";
}
/** A regular file met by the streaming reader. */
export interface NarRegularNode extends NodeBase {
  readonly type: "regular";
  readonly executable: boolean;
  /** Size of the contents in bytes. */
  readonly size: number;
  /** Offset of the first content byte in the NAR (as in Nix's `.ls` listings). */
  readonly narOffset: number;
  /** The contents; read it (or not) before asking for the next node. */
  readonly contents: AsyncIterable<Uint8Array>;
  /** The contents as a synchronous iterable: present on the nodes of `readNarSync`. */
  readonly contentsSync?: Iterable<Uint8Array>;
  /**
   * Returns the whole contents at once, without waiting, when they are already buffered (a
   * view valid until the next node); `undefined` otherwise (then read {@link contents}).
   * A fast path for small files; optional for readers to support.
   */
  readonly takeBuffered?: () => Uint8Array | undefined;
}
/** A symlink met by the streaming reader. */
export interface NarSymlinkNode extends NodeBase {
  readonly type: "symlink";
  readonly target: string;
  readonly targetBytes: Uint8Array;
}
/** A node met by the streaming reader, in NAR order (parents before children). */
export type NarStreamNode = NarDirectoryNode | NarRegularNode | NarSymlinkNode;

/**
 * Streams the nodes of a NAR. File contents are never buffered: each regular node's `contents`
 * must be consumed before the iterator is advanced (what is left is skipped). Errors are the
 * grammar's typed errors (`nar.*` codes, byte offsets).
 */
export function readNar(
  input: ByteInput,
  options: NarReadOptions = {},
): AsyncGenerator<NarStreamNode, void, undefined> {
  return readNarFast(input, options);
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
