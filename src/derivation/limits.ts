/**
 * Limits on derivations read from untrusted input: named, exported, and overridable through
 * the options of each reader (`maxDynamicOutputDepth`, `maxJsonDepth`).
 *
 * Real derivations nest dynamic outputs one or two levels deep and derivation JSON a dozen
 * levels; the limits are far above that and far below what would exhaust the call stack of
 * the readers (or of zod, which validates JSON recursively).
 *
 * @module
 */

/**
 * How deep dynamic outputs of an input derivation may nest (`DrvWithVersion` ATerm and
 * `dynamicOutputs` in JSON); 0 allows none. Deeper input is refused with
 * `derivation.dynamic-outputs-too-deep`.
 */
export const MAX_DYNAMIC_OUTPUT_DEPTH = 100;

/**
 * How deep arrays and objects may nest in a derivation JSON document (structured attributes
 * included). Deeper input is refused with `derivation-json.too-deep`.
 */
export const MAX_JSON_DEPTH = 512;
