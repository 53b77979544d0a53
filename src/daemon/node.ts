/**
 * Node-only adapters of the daemon client and server (`nix-compat/daemon/node`): unix
 * sockets through `node:net`, with timeouts, and the store URLs Nix accepts (`daemon`,
 * `unix://PATH`).
 *
 * @module
 */
export * from "./node-client.js";
export * from "./node-server.js";
