/**
 * Node adapters of `nix-compat/cache` (Node only): `node:zlib` and native codecs.
 *
 * @module
 */
export * from "./node-compression.js";
