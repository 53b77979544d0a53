/**
 * Reading NARs: a streaming reader (async iterator and visitor over nodes, file contents as
 * byte streams, bounded memory) and whole-tree decoding for small NARs.
 *
 * All of them run the declarative grammar of `nar-grammar.ts`, so they accept and refuse
 * exactly the same inputs, with the same typed errors.
 *
 * @module
 */
import { type ByteInput, byteReader } from "../codecs/byte-reader.js";
import { type DecodeOptions, decode } from "../codecs/decode.js";
import { decodeAsync, decodeEvents, type StreamDecodeOptions } from "../codecs/decode-stream.js";
import type { PayloadHandle } from "../codecs/payload.js";
import { utf8Text } from "../codecs/wire-bytes.js";
import { narGrammar } from "./nar-grammar.js";
import { readNarFast } from "./nar-reader-fast.js";
import type { NarNode } from "./types.js";

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

/**
 * The declarative reader: {@link readNar} computed by running `nar-grammar.ts` through the
 * codec interpreter. Same nodes, same errors; slower. `readNar` is pinned to it by tests.
 */
export async function* readNarDeclarative(
  input: ByteInput,
  options: NarReadOptions = {},
): AsyncGenerator<NarStreamNode, void, undefined> {
  const names: string[] = [];
  const raw: Uint8Array[] = [];
  const reader = byteReader(input);
  for await (const ev of decodeEvents(narGrammar, reader, options)) {
    switch (ev.name) {
      case "entry": {
        const b = ev.value as Uint8Array;
        raw.push(b);
        names.push(utf8Text(b));
        break;
      }
      case "entry-end":
        names.pop();
        raw.pop();
        break;
      case "directory":
        yield {
          type: "directory",
          path: names.join("/"),
          segments: [...names],
          segmentBytes: [...raw],
        };
        break;
      case "regular": {
        const h = ev.value as PayloadHandle;
        yield {
          type: "regular",
          path: names.join("/"),
          segments: [...names],
          segmentBytes: [...raw],
          executable: (ev.data as { executable: boolean }).executable,
          size: h.size,
          narOffset: h.offset,
          contents: h.stream,
        };
        break;
      }
      case "symlink": {
        const t = ev.value as Uint8Array;
        yield {
          type: "symlink",
          path: names.join("/"),
          segments: [...names],
          segmentBytes: [...raw],
          target: utf8Text(t),
          targetBytes: t,
        };
        break;
      }
    }
  }
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

/** Decodes a whole NAR held in memory into a tree (file contents are views of `nar`). */
export function parseNar(nar: Uint8Array, options: Omit<DecodeOptions, "onEvent"> = {}): NarNode {
  return decode(narGrammar, nar, options);
}

/** Reads a whole (small) NAR from a stream into a tree; contents are buffered. */
export function readNarTree(input: ByteInput, options: NarReadOptions = {}): Promise<NarNode> {
  return decodeAsync(narGrammar, input, options);
}
