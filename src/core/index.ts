/**
 * `nix-compat/core`: portable basics — errors, encodings, hashes, content addresses, store
 * paths and their computation. No `node:` imports.
 *
 * @module
 */
export * from "./base16.js";
export * from "./base64.js";
export * from "./bytes.js";
export * from "./byte-stream.js";
export * from "./canonical-json.js";
export * from "./content-address.js";
export * from "./errors.js";
export * from "./git.js";
export * from "./hash.js";
export * from "./hash-algorithm.js";
export * from "./hasher.js";
export * from "./nixbase32.js";
export * from "./store-path.js";
export * from "./store-path-compute.js";
