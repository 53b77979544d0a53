/**
 * Binary caches (`nix-compat/cache`): the server as one fetch-style handler over a store (the
 * daemon's, a folder's, memory, an R2 bucket), portable to Workers. Node adapters (`node:http`,
 * `file://` folders) are in `nix-compat/cache/node`.
 *
 * @module
 */
export * from "./blob-cache-store.js";
export * from "./cache-blobs.js";
export * from "./cache-handler.js";
export * from "./cache-routes.js";
export * from "./cache-store.js";
export * from "./daemon-cache-store.js";
export * from "./r2-cache-store.js";
export * from "./server-compression.js";
export * from "./server-errors.js";
