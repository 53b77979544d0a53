/**
 * `nar dump-path`'s output: the NAR of a path written to stdout (its own module, so that the
 * plain form of `nar restore` or `hash path` does not load it, see plain-forms.ts).
 *
 * @module
 */
import { dumpPathChunks } from "../../node/nar-dump.js";
import { writeStdoutSync } from "../io.js";

/** Writes the NAR of `path` to stdout; `progress` is called every 16 chunks with the bytes so far. */
export function dumpPathToStdout(
  path: string | Uint8Array,
  progress?: (bytes: number) => void,
): void {
  let bytes = 0;
  let chunks = 0;
  for (const chunk of dumpPathChunks(path)) {
    writeStdoutSync(chunk);
    bytes += chunk.length;
    if ((++chunks & 15) === 0) progress?.(bytes);
  }
}
