/**
 * `nix-compat/testing`: fast-check arbitraries for every value this library models (hashes,
 * store paths, content addresses, NAR trees, derivations, narinfos, wire and serve-protocol messages), so you can
 * property-test your own code against ours. Requires `fast-check` (a peer dependency).
 *
 * @module
 */
export * from "./core.js";
export * from "./derivation.js";
export * from "./nar.js";
export * from "./narinfo.js";
export * from "./serve.js";
export * from "./text-mutation.js";
export * from "./wire.js";
