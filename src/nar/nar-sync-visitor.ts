/**
 * The fastest way through a NAR from a synchronous source: a plain loop over the resumable
 * decoder generated from the NAR declaration, calling back for each node, with no generator,
 * promise or node object per entry. Behind `nar restore`, `nar ls` and `nar cat` (and
 * `restoreNar`/`listNar` on synchronous inputs). Errors are the declaration's.
 *
 * @module
 */
import { type ByteInput, ByteReader, byteReader } from "../codecs/byte-reader.js";
import { RESUMABLE_END, RESUMABLE_NEED } from "../codecs/decode-resumable.js";
import { UsageError } from "../core/errors.js";
import { NAR_EVENTS } from "./nar-grammar.js";
import { narDecoding } from "./nar-stream-reader.js";
import type { NarReadOptions } from "./stream-node.js";

/** Files up to this size are made whole in the buffer before their callback. */
const SMALL_FILE = 1 << 16;

/**
 * The node being visited. One object, reused: its fields (and `segmentBytes`, a live array)
 * are valid only during the callback.
 */
export interface NarSyncNode {
  type: "regular" | "symlink" | "directory";
  /** The raw names of the path (empty for the root). */
  readonly segmentBytes: readonly Uint8Array[];
  /** Regular files: the executable flag, the size and the offset of the contents. */
  executable: boolean;
  size: number;
  narOffset: number;
  /** Symlinks: the target's bytes. */
  targetBytes: Uint8Array;
  /**
   * Regular files: the whole contents when already buffered (a view valid during the
   * callback), else `undefined` (then use {@link NarSyncNode.chunks}).
   */
  takeBuffered(): Uint8Array | undefined;
  /** Regular files: the contents, chunk by chunk (views valid until the next chunk). */
  chunks(): Generator<Uint8Array, void, undefined>;
}

/**
 * Calls `visit` for each node of the NAR in `input` (a synchronous source: bytes, an iterable
 * of chunks, or a source marked `sync`), in NAR order. `visit` returns `true` to stop early
 * (the rest of the NAR is then not checked). Whatever of a file's contents the callback does
 * not read is skipped.
 */
export function visitNarSync(
  input: ByteInput,
  visit: (node: NarSyncNode) => boolean | void,
  options: NarReadOptions = {},
): void {
  const owned = !(input instanceof ByteReader);
  const reader = byteReader(input);
  let early = true;
  try {
    early = visitReaderSync(reader, visit, options);
  } finally {
    // a source we opened is closed, and told so when we stopped before its end
    if (owned) reader.closeSync(early);
  }
}

/** Returns true when `visit` stopped early. */
function visitReaderSync(
  reader: ByteReader,
  visit: (node: NarSyncNode) => boolean | void,
  options: NarReadOptions,
): boolean {
  const d = narDecoding(reader, options);
  const raw: Uint8Array[] = [];
  let open = false;
  let got = 0;
  const node: NarSyncNode = {
    type: "directory",
    segmentBytes: raw,
    executable: false,
    size: 0,
    narOffset: 0,
    targetBytes: new Uint8Array(0),
    takeBuffered() {
      if (!open || got !== 0 || node.type !== "regular") return undefined;
      const all = d.takeBuffered();
      if (all !== undefined) got = all.length;
      return all;
    },
    *chunks() {
      if (node.type !== "regular") return;
      while (got < node.size) {
        if (!open) {
          throw new UsageError(
            "codec.payload-closed",
            "NAR contents read after the reader moved on",
          );
        }
        const c = d.chunkSync();
        if (c === undefined) return;
        got += c.length;
        yield c;
      }
    },
  };
  for (;;) {
    const code = d.step();
    if (code === RESUMABLE_NEED) {
      d.fillSync();
      continue;
    }
    if (code === RESUMABLE_END) return false;
    switch (d.name) {
      case NAR_EVENTS.entry:
        raw.push(d.value as Uint8Array);
        break;
      case NAR_EVENTS.entryEnd:
        raw.pop();
        break;
      case NAR_EVENTS.directory:
        node.type = "directory";
        if (visit(node) === true) return true;
        break;
      case NAR_EVENTS.regular: {
        // small files whole in the buffer: takeBuffered() then always has them
        d.bufferPayloadSync(SMALL_FILE);
        node.type = "regular";
        node.executable = (d.data as { executable: boolean }).executable;
        node.size = d.size;
        node.narOffset = d.payloadOffset;
        got = 0;
        open = true;
        const stop = visit(node);
        open = false;
        if (stop === true) return true;
        break;
      }
      default:
        node.type = "symlink";
        node.targetBytes = d.value as Uint8Array;
        if (visit(node) === true) return true;
        break;
    }
  }
}
