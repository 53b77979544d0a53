/**
 * Small I/O helpers shared by the CLI commands (Node only).
 *
 * @module
 */
import { nodeFs } from "../node/builtins.js";

// (node:fs through require: an ESM import would load fs/promises and the fs streams at
// start-up, see node/builtins.ts; they load here on first use)
const { createReadStream, readFileSync } = nodeFs;

/** Reads a whole file, or standard input when `file` is `-`. */
export async function readInputBytes(file: string): Promise<Uint8Array> {
  if (file === "-") {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  }
  return nodeFs.promises.readFile(file);
}

/** Reads a whole file as UTF-8 text, or standard input when `file` is `-`. */
export async function readInputText(file: string): Promise<string> {
  return Buffer.from(await readInputBytes(file)).toString("utf8");
}

/** Synchronous read of a whole file (not `-`). */
export function readFileBytesSync(file: string): Uint8Array {
  return readFileSync(file);
}

/** Opens a file (or stdin for `-`) as an async iterable of byte chunks. */
export function openInputStream(file: string, highWaterMark = 1 << 20): AsyncIterable<Uint8Array> {
  if (file === "-") return process.stdin as AsyncIterable<Uint8Array>;
  return createReadStream(file, { highWaterMark }) as AsyncIterable<Uint8Array>;
}

/** Writes bytes or text to stdout, waiting for the stream to drain (so large outputs stay bounded in memory). */
export async function writeStdout(data: Uint8Array | string): Promise<void> {
  if (!process.stdout.write(data)) {
    await new Promise<void>((resolve) => process.stdout.once("drain", () => resolve()));
  }
}

/** Writes a line of text to stdout. */
export function printLine(line: string): Promise<void> {
  return writeStdout(`${line}\n`);
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));

/**
 * Writes all of `chunk` to stdout synchronously, retrying while a non-blocking pipe is full.
 * The fast path for binary output (NARs, JSON): no stream buffering, bounded memory.
 */
export function writeStdoutSync(chunk: Uint8Array): void {
  let off = 0;
  while (off < chunk.length) {
    try {
      // (looked up at each call, as an ESM import's live binding would be: the in-process
      // test runner replaces fs.writeSync to capture stdout)
      off += nodeFs.writeSync(1, chunk, off, chunk.length - off);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EAGAIN") throw e;
      Atomics.wait(sleeper, 0, 0, 1);
    }
  }
}
