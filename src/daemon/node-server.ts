/**
 * Node-only adapter of the daemon server: answers the worker protocol on a unix socket.
 *
 * @module
 */
import { createServer, type Server } from "node:net";
import { socketTransport } from "./node-client.js";
import { type ServeOptions, serveWorkerProtocol, type WorkerStoreHandler } from "./server.js";

/** Listens on a unix socket and serves the worker protocol with `handler`. */
export function listenWorkerProtocol(
  path: string,
  handler: WorkerStoreHandler,
  options: ServeOptions & { onError?: (err: unknown) => void } = {},
): Promise<Server> {
  const server = createServer((socket) => {
    serveWorkerProtocol(socketTransport(socket, { timeoutMs: 0 }), handler, options).catch(
      (err: unknown) => options.onError?.(err),
    );
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(path, () => {
      server.off("error", reject);
      resolve(server);
    });
  });
}
