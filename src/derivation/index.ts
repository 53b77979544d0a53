/**
 * Derivations: the model, ATerm parsing and printing, JSON in every version, hashing (drv
 * path, `hashDerivationModulo`, output paths) and Nix's rules.
 *
 * ```ts
 * import { parseDerivationATerm, derivationPath, computeOutputPathsSync } from "nix-compat/derivation";
 * const drv = parseDerivationATerm(bytes);
 * derivationPath(drv);                 // "/nix/store/...-hello.drv"
 * ```
 *
 * @module
 */
export * from "../grammar/aterm.js";
export * from "./aterm.js";
export * from "./aterm-print.js";
export * from "../grammar/derivation-grammar.js";
export * from "./errors.js";
export * from "./hash.js";
export * from "./json.js";
export * from "./json-limits.js";
export * from "./limits.js";
export * from "./show.js";
export * from "./kind.js";
export * from "./types.js";
export * from "./validate.js";
