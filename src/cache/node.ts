/**
 * Node adapters of `nix-compat/cache` (Node only): `node:zlib` and native codecs, and a
 * `fetch` that reads `file://` caches.
 *
 * @module
 */
export * from "./node-compression.js";
export * from "./node-file-fetch.js";
