/**
 * `nix-compat/schemas`: zod schemas for Nix's JSON documents — hashes, content addresses,
 * store paths, derivations (every version Nix has printed), narinfo, path-info, closures for
 * `exportReferencesGraph`, NAR listings — and the validation helpers that report every issue
 * with its JSON path.
 *
 * @module
 */
export * from "./closure.js";
export * from "./core.js";
export * from "./derivation-common.js";
export * from "./derivation-json-schema.js";
export * from "./derivation-v1.js";
export * from "./derivation-v2.js";
export * from "./derivation-v3.js";
export * from "./derivation-v4.js";
export * from "./nar-listing.js";
export * from "./narinfo.js";
export * from "./path-info.js";
export * from "./validate.js";
