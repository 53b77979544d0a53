/**
 * A `fetch` for `file://` binary caches (Node only): reads the file as a stream, answering
 * 404 for a file that does not exist and 403 for one that cannot be read; any other URL goes
 * to the runtime's `fetch`. Pass it as `fetch` to `openBinaryCache`.
 *
 * @module
 */
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { Readable } from "node:stream";
import { fileURLToPath } from "node:url";
import type { CacheFetch } from "./binary-cache.js";

/** `fetch`, with `file://` URLs read from the file system (see the module comment). */
export const fileFetch: CacheFetch = async (url, init) => {
  if (!url.startsWith("file:")) return fetch(url, init);
  const path = fileURLToPath(url);
  let size: number;
  try {
    const s = await stat(path);
    if (!s.isFile()) return new Response(null, { status: 404, statusText: "Not Found" });
    size = s.size;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const status = code === "ENOENT" || code === "ENOTDIR" ? 404 : 403;
    return new Response(null, { status });
  }
  const headers = { "content-length": String(size) };
  if (init?.method === "HEAD") return new Response(null, { status: 200, headers });
  const stream = Readable.toWeb(
    createReadStream(path, init?.signal ? { signal: init.signal } : {}),
  );
  return new Response(stream as ReadableStream<Uint8Array>, { status: 200, headers });
};
