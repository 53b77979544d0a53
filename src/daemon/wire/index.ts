/**
 * The Nix wire format and the worker protocol's messages, declared in the codec DSL.
 * Portable (no `node:` imports).
 *
 * @module
 */
export * from "./embedded-nar.js";
export * from "./framed.js";
export * from "./handshake.js";
export * from "./ops.js";
export * from "./primitives.js";
export * from "./stderr.js";
export * from "../../codecs/tee-chunk-source.js";
export * from "./types.js";
export * from "./version.js";
