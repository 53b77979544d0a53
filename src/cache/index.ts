/**
 * Binary caches (`nix-compat/cache`). The client: `nix-cache-info`, narinfos, NARs checked
 * against their narinfo while they stream, `.ls` listings, signature checks, and the
 * decompression and compression of NAR files (`none`, `xz`, `zstd`, `bzip2`, `br`) as
 * async-iterable and Web-stream transforms. The server: one fetch-style handler over a store
 * (the daemon's, a folder's, memory, an R2 bucket), portable to Workers. Portable: `fetch` and
 * Web streams only; Node adapters (`node:http`, `file://` folders, `node:zlib` codecs) are in
 * `nix-compat/cache/node`.
 *
 * @module
 */
export * from "./binary-cache.js";
export * from "./blob-cache-store.js";
export * from "./cache-blobs.js";
export * from "./cache-handler.js";
export * from "./cache-info.js";
export * from "./cache-routes.js";
export * from "./cache-store.js";
export * from "./checked-nar.js";
export * from "./codec-registry.js";
export * from "./compression.js";
export * from "./compression-method.js";
export * from "./compression-streams.js";
export * from "./daemon-cache-store.js";
export * from "./errors.js";
export * from "./r2-cache-store.js";
export * from "./server-errors.js";
export type { ByteTransform } from "./web-streams.js";
