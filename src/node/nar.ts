/**
 * The NAR adapters of `nix-compat/node` in one import: dump, restore, path hashing, chunk
 * sources over file descriptors and stream adapters.
 *
 * @module
 */
export * from "./byte-sources.js";
export * from "./nar-dump.js";
export * from "./nar-restore.js";
export * from "./nar-store-path.js";
export * from "./streams.js";
