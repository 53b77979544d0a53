/**
 * Binary caches: decompression and compression of their NAR files (`none`, `xz`, `zstd`,
 * `bzip2`, `br`) as async-iterable and Web-stream transforms.
 *
 * @module
 */
export * from "./codec-registry.js";
export * from "./compression.js";
export * from "./compression-method.js";
export * from "./compression-streams.js";
export * from "./errors.js";
export type { ByteTransform } from "./web-streams.js";
