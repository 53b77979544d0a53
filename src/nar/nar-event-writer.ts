/**
 * The NAR declaration's event writer: the generated code of `narGrammar`'s writer plan
 * (`nar-writer.generated.ts`, no `eval`), bound on first use. It writes NAR framing straight
 * into a buffer from the events of a walk: `begin()` (the magic), `directory()`,
 * `entry(name)`, `regular(size, NAR_REGULAR_EXECUTABLE | NAR_REGULAR_PLAIN)` then the contents
 * (`chunk()`/`sent()`) and `end()`, `symlink(target)`, `end()` closing a directory; entries
 * close themselves when their node ends. {@link createNarWriter} runs it checked (the
 * declaration's rules, the interpreter's errors); the filesystem dump (src/node) unchecked.
 *
 * @module
 */
import { fromGeneratedWriter } from "../codecs/compile-writer.js";
import type { EventWriter, EventWriterOptions } from "../codecs/event-writer.js";
import { narGrammar } from "./nar-grammar.js";
import { narGrammarWriterGenerated } from "./nar-writer.generated.js";

/** An event writer of NARs (see the module's doc for the order of the calls). */
export interface NarEventWriter extends EventWriter {
  /** A directory node starts. */
  directory(): void;
  /** An entry of the current directory: its name (bytes, or one character per byte). */
  entry(name: Uint8Array | string): void;
  /** A regular file of `size` bytes: `NAR_REGULAR_EXECUTABLE` or `NAR_REGULAR_PLAIN`. */
  regular(size: number, kind: { readonly executable: boolean }): void;
  /** A symlink node (bytes, or one character per byte). */
  symlink(target: Uint8Array | string): void;
}

const narWriters = fromGeneratedWriter(narGrammar, narGrammarWriterGenerated);

/** A new NAR event writer (checked unless `options.checked` is false). */
export function createNarEventWriter(options: EventWriterOptions = {}): NarEventWriter {
  return narWriters().create(options) as NarEventWriter;
}

/**
 * Room a caller of an unchecked writer keeps for one step besides an entry's name or a
 * symlink's target: at least the fixed bytes any step writes (a test checks it against the
 * writer plan).
 */
export const NAR_EMIT_MAX_HEADER = 128;
