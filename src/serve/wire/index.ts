/**
 * The serve protocol's wire format (`nix-store --serve`): handshake, values and commands,
 * declared in the codec DSL. Portable (no `node:` imports).
 *
 * @module
 */
export * from "./commands.js";
export * from "./handshake.js";
export * from "./types.js";
export * from "./version.js";
