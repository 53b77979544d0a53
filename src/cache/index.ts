/**
 * Binary caches: a streaming client (`nix-cache-info`, narinfos, NARs checked against their
 * narinfo while they stream, `.ls` listings, signature checks) and the decompression and
 * compression of their NAR files (`none`, `xz`, `zstd`, `bzip2`, `br`) as async-iterable and
 * Web-stream transforms. Portable: `fetch` and Web streams only; Node adapters are in
 * `nix-compat/cache/node`.
 *
 * @module
 */
export * from "./binary-cache.js";
export * from "./cache-info.js";
export * from "./checked-nar.js";
export * from "./codec-registry.js";
export * from "./compression.js";
export * from "./compression-method.js";
export * from "./compression-streams.js";
export * from "./errors.js";
export type { ByteTransform } from "./web-streams.js";
