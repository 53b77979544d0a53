/**
 * `.narinfo` files: parse (with the exact text kept), print, normalise, fingerprint, sign and
 * verify.
 *
 * @module
 */
export * from "./parse.js";
export * from "./print.js";
export * from "./quirks.js";
export * from "./signatures.js";
export * from "./types.js";
