/**
 * Node-only adapters of the daemon client and server (`nix-compat/daemon/node`): unix
 * sockets through `node:net`, with timeouts, and the store URLs Nix accepts (`daemon`,
 * `unix://PATH`).
 *
 * @module
 */
export {
  connectUnixSocket,
  DEFAULT_DAEMON_SOCKET,
  DEFAULT_DAEMON_TIMEOUT_MS,
  openDaemonClient,
  type OpenDaemonOptions,
  resolveDaemonSocket,
  socketTransport,
  type SocketTransportOptions,
} from "./node-client.js";
export { type ListenOptions, listenWorkerProtocol } from "./node-server.js";
