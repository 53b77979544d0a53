/**
 * Derivation JSON version 4 (`nix derivation show`, Nix ≥ 2.33), following Nix's own JSON
 * Schema `derivation-v4.yaml`.
 *
 * ```text
 * document   = { version: 4, derivations: { "<base>.drv": derivation } }   (wrapper)
 *            | derivation
 * derivation = { name, version: 4, outputs, inputs: { srcs: [base], drvs: { "<base>.drv":
 *                [names] | {outputs, dynamicOutputs} } }, system, builder, args, env,
 *                [structuredAttrs: object] }
 *            | the same with inputs: [base]       resolved (derivation-resolved-v4.yaml)
 * output     = { path: base }                              input-addressed
 *            | { method, hash: SRI }                       fixed
 *            | { method, hashAlgo }                        floating
 *            | {}                                          deferred
 *            | { impure: true, method, hashAlgo }          impure
 * ```
 *
 * `structuredAttrs` is the parsed `__json` environment variable, which `env` then lacks.
 *
 * @module
 */
import * as z from "zod";
import {
  baseDrvPath,
  baseStorePath,
  caMethod,
  derivationTailJson,
  hashAlgorithm,
  inputDrvOutputsJson,
  sriHash,
  structuredAttrsJson,
  uniqueItems,
} from "./derivation-common.js";

/** v4 output: one of five shapes. */
export const derivationOutputV4Schema = z.union([
  z.strictObject({ path: baseStorePath }),
  z.strictObject({ method: caMethod, hash: sriHash }),
  z.strictObject({ method: caMethod, hashAlgo: hashAlgorithm }),
  z.strictObject({}),
  z.strictObject({ impure: z.literal(true), method: caMethod, hashAlgo: hashAlgorithm }),
]);

/** v4 derivation. */
export const derivationV4Schema = z.strictObject({
  name: z.string(),
  version: z.literal(4),
  outputs: z.record(z.string(), derivationOutputV4Schema),
  inputs: z.union([
    z.strictObject({
      srcs: uniqueItems(z.array(baseStorePath), "input source"),
      drvs: z.record(baseDrvPath, inputDrvOutputsJson),
    }),
    // a resolved derivation (Nix's derivation-resolved-v4): the input sources alone
    uniqueItems(z.array(baseStorePath), "input source"),
  ]),
  ...derivationTailJson,
  structuredAttrs: structuredAttrsJson,
});

/** The `{version: 4, derivations: {...}}` wrapper `nix derivation show` prints. */
export const derivationV4DocumentSchema = z.strictObject({
  version: z.literal(4),
  derivations: z.record(baseDrvPath, derivationV4Schema),
});

/** A v4 derivation. */
export type DerivationV4 = z.infer<typeof derivationV4Schema>;
/** A v4 output. */
export type DerivationOutputV4 = z.infer<typeof derivationOutputV4Schema>;
