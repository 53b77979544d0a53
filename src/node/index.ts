/**
 * `nix-compat/node`: Node-only adapters — native hashing (`node:crypto`), file hashing, NAR
 * dump/restore of filesystem paths, store paths of filesystem paths, and conversions between
 * async iterables of bytes and Node/Web streams. The worker-protocol socket client is
 * `nix-compat/daemon/node`.
 *
 * @module
 */
export * from "./file-hash.js";
export * from "./hash-backend.js";
export * from "./nar.js";
export * from "./nar-store-path.js";
