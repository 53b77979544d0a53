/**
 * Node-only adapters of the cache server (`nix-compat/cache/node`): `node:http` serving a
 * handler, `file://` binary-cache folders.
 *
 * @module
 */
export * from "./node-file-blobs.js";
export * from "./node-http-server.js";
