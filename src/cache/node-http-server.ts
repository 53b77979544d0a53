/**
 * Serves a fetch-style handler with `node:http` (Node only): keep-alive connections, bodies
 * written with backpressure (a response is read from its stream only as fast as the client
 * takes it, so a slow client never makes the server hold a whole NAR), a client that goes
 * away cancels its response's stream (which gives a daemon connection back or closes a file),
 * and a graceful shutdown (no new connections, requests under way finish, then idle and
 * lingering connections close).
 *
 * @module
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Readable } from "node:stream";
import { bytesOfResponse, lentChunksOf } from "./response-bytes.js";

/** Default idle time of a keep-alive connection before the server closes it: 65 s. */
export const DEFAULT_KEEP_ALIVE_TIMEOUT_MS = 65_000;
/** Default largest request header block: 16 KiB (Node's default); larger ones get 431. */
export const DEFAULT_MAX_HEADER_BYTES = 16 << 10;
/** Bodies of at most this many bytes (by `Content-Length`) are written in one piece. */
export const SMALL_BODY_BYTES = 64 << 10;
/** Default time {@link NodeCacheServer.close} waits for requests under way: 10 s. */
export const DEFAULT_SHUTDOWN_GRACE_MS = 10_000;

/** Options of {@link serveWithNode}. */
export interface ServeWithNodeOptions {
  /** Address to listen on (default `127.0.0.1`). */
  readonly host?: string;
  /** Port (default 0: any free port). */
  readonly port?: number;
  /** Idle keep-alive time (default {@link DEFAULT_KEEP_ALIVE_TIMEOUT_MS}). */
  readonly keepAliveTimeoutMs?: number;
  /** Largest request header block (default {@link DEFAULT_MAX_HEADER_BYTES}). */
  readonly maxHeaderBytes?: number;
  /** Called with errors writing a response (default: none). */
  readonly onError?: (error: unknown) => void;
}

/** A running server. */
export interface NodeCacheServer {
  /** The `node:http` server. */
  readonly server: Server;
  /** `http://HOST:PORT` it listens on. */
  readonly url: string;
  /** The port it listens on. */
  readonly port: number;
  /**
   * Stops: refuses new connections, lets requests under way finish for up to `graceMs`
   * (default {@link DEFAULT_SHUTDOWN_GRACE_MS}), then closes every connection.
   */
  close(graceMs?: number): Promise<void>;
}

/**
 * The fetch `Request` of a Node request (the body streamed, for PUT). No abort signal: a
 * client that goes away cancels its response's body stream instead (see {@link writeResponse}).
 */
function toRequest(req: IncomingMessage, base: string): Request {
  const headers: [string, string][] = [];
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    headers.push([req.rawHeaders[i]!, req.rawHeaders[i + 1]!]);
  }
  const method = req.method ?? "GET";
  const hasBody = method !== "GET" && method !== "HEAD";
  // a request target that is not a path (`*`, `http://other/...`) is read as a path of ours
  const target = (req.url ?? "/").startsWith("/") ? req.url! : `/${req.url ?? ""}`;
  return new Request(new URL(target, base), {
    method,
    headers,
    body: hasBody ? (Readable.toWeb(req) as ReadableStream<Uint8Array>) : null,
    ...(hasBody ? { duplex: "half" } : {}),
  } as RequestInit);
}

/** Waits until `res` can take more, or is closed (false). */
function writable(res: ServerResponse): Promise<boolean> {
  return new Promise((resolve) => {
    const done = (ok: boolean) => {
      res.off("drain", onDrain);
      res.off("close", onClose);
      resolve(ok);
    };
    const onDrain = () => done(true);
    const onClose = () => done(false);
    res.on("drain", onDrain);
    res.on("close", onClose);
  });
}

/**
 * Writes `chunk` to `res`; resolves once it is handed to the kernel (its memory may be used
 * again) with true, or with false when `res` closed first.
 */
function written(res: ServerResponse, chunk: Uint8Array): Promise<boolean> {
  return new Promise((resolve) => {
    const onClose = () => resolve(false);
    res.once("close", onClose);
    res.write(chunk, (err) => {
      res.off("close", onClose);
      resolve(err === null || err === undefined);
    });
  });
}

/**
 * Writes lent chunks (see `lentChunksOf`) to `res`, each handed to the kernel before the next
 * is asked for. A client that goes away ends `chunks` (which gives its source back); a source
 * that fails cuts the connection (a short body is never taken for a whole one).
 */
async function writeLent(
  chunks: AsyncGenerator<Uint8Array, void, undefined>,
  res: ServerResponse,
): Promise<void> {
  let complete = false;
  try {
    for (;;) {
      const next = await chunks.next();
      if (next.done === true) break;
      if (res.destroyed || !(await written(res, next.value))) return;
    }
    complete = true;
    res.end();
  } catch (err) {
    if (!res.destroyed) {
      res.destroy(err instanceof Error ? err : new Error(String(err)));
      throw err;
    }
  } finally {
    if (!complete) await chunks.return(undefined).catch(() => undefined);
  }
}

/** Writes `response` to `res`, reading its body only as fast as the client takes it. */
async function writeResponse(
  response: Response,
  res: ServerResponse,
  head: boolean,
): Promise<void> {
  const headers: Record<string, string> = {};
  response.headers.forEach((v, k) => (headers[k] = v));
  res.writeHead(response.status, headers);
  const bytes = bytesOfResponse(response);
  if (bytes !== undefined) {
    // a narinfo: head and body in one write, the body stream left unread
    res.end(head ? undefined : bytes);
    return;
  }
  const body = response.body;
  const lend = head ? undefined : lentChunksOf(response);
  if (lend !== undefined) {
    // a NAR from the daemon: its chunks written as they come, their memory read into again
    await writeLent(lend(), res);
    await body?.cancel();
    return;
  }
  if (body === null || head) {
    await body?.cancel();
    res.end();
    return;
  }
  const length = Number(response.headers.get("content-length") ?? NaN);
  if (length <= SMALL_BODY_BYTES) {
    // a narinfo: one write, without a read loop over its stream
    res.end(new Uint8Array(await response.arrayBuffer()));
    return;
  }
  const reader = body.getReader();
  let gone = false;
  const onClose = () => {
    if (!res.writableFinished) {
      gone = true;
      reader.cancel(new Error("the client went away")).catch(() => undefined);
    }
  };
  res.once("close", onClose);
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (gone) return;
      if (!res.write(value) && !(await writable(res))) return;
    }
    res.end();
  } catch (err) {
    // the stream failed half way (a store error, a path deleted): the client must not take a
    // short body for a whole one, so the connection is cut
    if (!gone) res.destroy(err instanceof Error ? err : new Error(String(err)));
    if (!gone) throw err;
  } finally {
    res.off("close", onClose);
  }
}

/** Serves `handler` on a `node:http` server; resolves once it listens. */
export async function serveWithNode(
  handler: (request: Request) => Promise<Response>,
  options: ServeWithNodeOptions = {},
): Promise<NodeCacheServer> {
  const host = options.host ?? "127.0.0.1";
  const active = new Set<Promise<void>>();
  const server = createServer(
    {
      keepAliveTimeout: options.keepAliveTimeoutMs ?? DEFAULT_KEEP_ALIVE_TIMEOUT_MS,
      maxHeaderSize: options.maxHeaderBytes ?? DEFAULT_MAX_HEADER_BYTES,
    },
    (req, res) => {
      const work = (async () => {
        const request = toRequest(req, base);
        const response = await handler(request);
        await writeResponse(response, res, req.method === "HEAD");
      })().catch((err: unknown) => {
        options.onError?.(err);
        if (!res.headersSent) {
          res.writeHead(500, { "content-type": "text/plain" }).end("internal error\n");
        } else if (!res.destroyed) {
          res.destroy();
        }
      });
      active.add(work);
      void work.finally(() => active.delete(work));
    },
  );
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const base = `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
  return {
    server,
    url: base,
    port,
    async close(graceMs = DEFAULT_SHUTDOWN_GRACE_MS) {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const timer = new Promise<void>((resolve) => setTimeout(resolve, graceMs).unref());
      await Promise.race([Promise.allSettled([...active]), timer]);
      server.closeAllConnections();
      await closed;
    },
  };
}
