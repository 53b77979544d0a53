/**
 * From the NAR declaration's events (`NAR_EVENTS`) to stream nodes: the path kept from the
 * entry events and the directory and symlink nodes at it. Shared by the compiled reader
 * (`nar-stream-reader.ts`) and the declarative one (`nar-decode.ts`), which differ only in how
 * a regular file's contents are read (the `regular` factory).
 *
 * @module
 */
import { utf8Text } from "../codecs/wire-bytes.js";
import { NAR_EVENTS } from "./nar-grammar.js";
import type { NarRegularNode, NarStreamNode } from "./stream-node.js";

/** Makes the regular node at the path `names` (raw names `raw`; live arrays: copy them). */
export type NarRegularFactory = (
  names: readonly string[],
  raw: readonly Uint8Array[],
) => NarRegularNode;

/** The path of the node being read, following a NAR's events. */
export class NarEventPath {
  /** The names of the path (decoded) and their bytes. */
  readonly names: string[] = [];
  readonly raw: Uint8Array[] = [];
  readonly #regular: NarRegularFactory;

  constructor(regular: NarRegularFactory) {
    this.#regular = regular;
  }

  /**
   * The node the event `name` (with `value`) makes, or `undefined`: the entry events move the
   * path instead.
   */
  node(name: string, value: unknown): NarStreamNode | undefined {
    switch (name) {
      case NAR_EVENTS.entry: {
        const b = value as Uint8Array;
        this.raw.push(b);
        this.names.push(utf8Text(b));
        return undefined;
      }
      case NAR_EVENTS.entryEnd:
        this.names.pop();
        this.raw.pop();
        return undefined;
      case NAR_EVENTS.directory:
        return {
          type: "directory",
          path: this.names.join("/"),
          segments: [...this.names],
          segmentBytes: [...this.raw],
        };
      case NAR_EVENTS.regular:
        return this.#regular(this.names, this.raw);
      case NAR_EVENTS.symlink: {
        const t = value as Uint8Array;
        return {
          type: "symlink",
          path: this.names.join("/"),
          segments: [...this.names],
          segmentBytes: [...this.raw],
          target: utf8Text(t),
          targetBytes: t,
        };
      }
      default:
        return undefined;
    }
  }
}
