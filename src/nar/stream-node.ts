/**
 * What the streaming NAR readers give: the nodes met in NAR order and the readers' options.
 * (Types only, apart from the readers, so every reader can name them without an import cycle.)
 *
 * @module
 */
import type { StreamDecodeOptions } from "../codecs/decode-stream.js";

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
