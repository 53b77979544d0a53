/**
 * The NAR adapters of `nix-compat/node` in one import: dump, restore, path hashing, chunk
 * sources over file descriptors, stream adapters, and the I/O pool their pipelines share.
 *
 * @module
 */
export * from "./byte-sources.js";
export * from "./io-pool.js";
export * from "./nar-dump.js";
export * from "./nar-restore.js";
export * from "./nar-store-path.js";
export * from "./streams.js";
