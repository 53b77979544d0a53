/**
 * NAR (Nix ARchive): the grammar, streaming reader, writers and listings. Portable: no
 * `node:` imports (filesystem adapters are in `nix-compat/node`).
 *
 * @module
 */
export * from "./json-text.js";
export * from "./listing.js";
export * from "./nar-decode.js";
export * from "./nar-grammar.js";
export * from "./nar-rules.js";
export * from "./nar-tokens.js";
export * from "./reader.js";
export * from "./types.js";
export * from "./writer.js";
