/**
 * nix-compat: every format Nix speaks, byte for byte as C++ Nix does. This root entry point is
 * portable (no `node:` imports); Node adapters are in `nix-compat/node` and
 * `nix-compat/daemon/node`, fast-check arbitraries in `nix-compat/testing`.
 *
 * Each area is also a subpath of its own: `nix-compat/core`, `/codecs`, `/nar`,
 * `/derivation`, `/narinfo`, `/signing`, `/schemas`, `/daemon`, `/export`.
 *
 * @module
 */
export * from "./codecs/index.js";
export * from "./core/index.js";
export * from "./daemon/index.js";
export * from "./derivation/index.js";
export * from "./export/index.js";
export * from "./nar/index.js";
export * from "./narinfo/index.js";
export * from "./schemas/index.js";
export * from "./serve/index.js";
export * from "./signing/index.js";
