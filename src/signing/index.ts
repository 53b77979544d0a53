/**
 * Nix's ed25519 keys and signatures (`name:base64`): parse, print, generate, sign, verify.
 *
 * @module
 */
export * from "./keys.js";
export * from "./node-crypto.js";
