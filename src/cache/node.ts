/**
 * Node adapters of `nix-compat/cache` (Node only): `node:zlib` and native codecs, a `fetch`
 * that reads `file://` caches, `node:http` serving a cache handler, `file://` cache folders as
 * a store.
 *
 * @module
 */
export * from "./node-compression.js";
export * from "./node-file-blobs.js";
export * from "./node-file-fetch.js";
export * from "./node-http-server.js";
