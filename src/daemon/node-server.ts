/**
 * Node-only adapter of the daemon server: answers the worker protocol on a unix socket.
 *
 * @module
 */
import { createServer, type Server } from "node:net";
import { socketTransport } from "./node-client.js";
import { type ServeOptions, serveWorkerProtocol, type WorkerStoreHandler } from "./server.js";
import { SERVER_MAX_CONNECTIONS, ServerBudget } from "./server-limits.js";

/** Options of {@link listenWorkerProtocol}. */
export interface ListenOptions extends ServeOptions {
  /** Receives the error that ended a connection. */
  readonly onError?: (err: unknown) => void;
  /** Most connections served at once (default {@link SERVER_MAX_CONNECTIONS}); more are refused. */
  readonly maxConnections?: number;
}

/**
 * Listens on a unix socket and serves the worker protocol with `handler`. All its connections
 * share one {@link ServerBudget} of request bytes (unless `options.budget` gives another).
 */
export function listenWorkerProtocol(
  path: string,
  handler: WorkerStoreHandler,
  options: ListenOptions = {},
): Promise<Server> {
  const serveOptions = { ...options, budget: options.budget ?? new ServerBudget() };
  const server = createServer((socket) => {
    serveWorkerProtocol(socketTransport(socket, { timeoutMs: 0 }), handler, serveOptions).catch(
      (err: unknown) => options.onError?.(err),
    );
  });
  server.maxConnections = options.maxConnections ?? SERVER_MAX_CONNECTIONS;
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(path, () => {
      server.off("error", reject);
      resolve(server);
    });
  });
}
