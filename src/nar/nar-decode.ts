/**
 * The declarative NAR readers: the grammar of `nar-grammar.ts` run by the codec interpreter.
 * `readNarDeclarative` is the reference the compiled `readNar` is pinned to; `parseNar` and
 * `readNarTree` decode whole (small) NARs into trees.
 *
 * @module
 */
import type { ByteInput } from "../codecs/byte-reader.js";
import type { DecodeOptions } from "../codecs/decode.js";
import { decodeAsync, decodeEvents } from "../codecs/decode-stream.js";
import type { PayloadHandle } from "../codecs/payload.js";
import { narCodec } from "./nar-compiled.js";
import { NarEventPath } from "./nar-event-path.js";
import { narGrammar } from "./nar-grammar.js";
import type { NarReadOptions, NarStreamNode } from "./stream-node.js";
import type { NarNode } from "./types.js";

/**
 * The declarative reader: {@link readNar} computed by running `nar-grammar.ts` through the
 * codec interpreter. Same nodes, same errors; slower. `readNar` is pinned to it by tests.
 */
export async function* readNarDeclarative(
  input: ByteInput,
  options: NarReadOptions = {},
): AsyncGenerator<NarStreamNode, void, undefined> {
  let current: { value: unknown; data: unknown } | undefined;
  const path = new NarEventPath((names, raw) => {
    const h = current!.value as PayloadHandle;
    return {
      type: "regular",
      path: names.join("/"),
      segments: [...names],
      segmentBytes: [...raw],
      executable: (current!.data as { executable: boolean }).executable,
      size: h.size,
      narOffset: h.offset,
      contents: h.stream,
    };
  });
  // (decodeEvents closes the input when this generator stops early)
  for await (const ev of decodeEvents(narGrammar, input, options)) {
    current = ev;
    const node = path.node(ev.name, ev.value);
    if (node !== undefined) yield node;
  }
}

/** Decodes a whole NAR held in memory into a tree (file contents are views of `nar`). */
export function parseNar(nar: Uint8Array, options: Omit<DecodeOptions, "onEvent"> = {}): NarNode {
  return narCodec.decode(nar, options);
}

/** Reads a whole (small) NAR from a stream into a tree; contents are buffered. */
export function readNarTree(input: ByteInput, options: NarReadOptions = {}): Promise<NarNode> {
  return decodeAsync(narGrammar, input, options);
}
