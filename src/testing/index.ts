/**
 * `nix-compat/testing`: fast-check arbitraries for every value this library models, so you can
 * property-test your own code against ours. Requires `fast-check` (a peer dependency).
 *
 * @module
 */
export * from "./core.js";
