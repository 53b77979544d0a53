/**
 * Derivation JSON version 3 (`nix derivation show`, Nix 2.32, NixOS/nix#13980): version 2
 * with store paths as base names (no store directory) and a mandatory `"version": 3`. Fixed
 * outputs lost their `path` (the serialiser no longer knew the store directory); Nix's own
 * JSON Schema of this version (`derivation-v3.yaml`) also has `structuredAttrs`.
 *
 * ```text
 * derivation = { name, version: 3, outputs, inputSrcs: [base], inputDrvs: {base.drv: ...},
 *                system, builder, args, env, [structuredAttrs] }
 * output     = {} | { path: base } | { [path], method, hashAlgo, hash: hex|SRI }
 *            | { method, hashAlgo } | { method, hashAlgo, impure: true }
 * ```
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
  hexDigest,
  inputDrvOutputsJson,
  sriHash,
  structuredAttrsJson,
  uniqueItems,
} from "./derivation-common.js";

/** v3 output. */
export const derivationOutputV3Schema = z
  .strictObject({
    path: baseStorePath.optional(),
    method: caMethod.optional(),
    hashAlgo: hashAlgorithm.optional(),
    hash: z.union([hexDigest, sriHash]).optional(),
    impure: z.literal(true).optional(),
  })
  .superRefine((o, ctx) => {
    if (o.hash !== undefined && o.method === undefined) {
      ctx.addIssue({ code: "custom", message: "a fixed output has 'method' and 'hash'" });
    }
  });

/** v3 derivation. */
export const derivationV3Schema = z.strictObject({
  name: z.string(),
  version: z.literal(3),
  outputs: z.record(z.string(), derivationOutputV3Schema),
  inputSrcs: uniqueItems(z.array(baseStorePath), "input source"),
  inputDrvs: z.record(baseDrvPath, inputDrvOutputsJson),
  ...derivationTailJson,
  structuredAttrs: structuredAttrsJson,
});

/** A v3 derivation. */
export type DerivationV3 = z.infer<typeof derivationV3Schema>;
