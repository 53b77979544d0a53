/**
 * Derivation JSON version 1: what Nix 2.8's `nix show-derivation` prints, and `nix derivation
 * show` up to Nix 2.22 (from Nix 2.18 with `name`, and input derivations as
 * `{dynamicOutputs, outputs}` objects).
 *
 * ```text
 * document   = { "<abs drv path>": derivation, ... }        (keyed, as printed)
 *            | derivation                                   (bare)
 * derivation = { outputs, inputSrcs, inputDrvs, system, builder, args, env, [name] }
 * output     = {}                                          deferred
 *            | { path }                                    input-addressed
 *            | { path, hashAlgo: "[r:|text:]algo", hash: hex }   fixed
 *            | { hashAlgo }                                floating
 *            | { hashAlgo, impure: true }                  impure
 * inputDrvs  = { "<abs drv path>": [names] | {outputs, dynamicOutputs} }
 * paths are absolute (`/nix/store/...`)
 * ```
 *
 * @module
 */
import * as z from "zod";
import { HASH_SIZES, isHashAlgorithm } from "../core/hash-algorithm.js";
import {
  absoluteDrvPath,
  absoluteStorePath,
  type DerivationSchemaOptions,
  derivationTailJson,
  hexDigest,
  inputDrvOutputsJson,
  methodAlgo,
  uniqueItems,
} from "./derivation-common.js";

/** Makes the v1 output schema for a store directory. */
export function makeDerivationOutputV1Schema(options: DerivationSchemaOptions = {}) {
  return z
    .strictObject({
      path: absoluteStorePath(options.storeDir).optional(),
      hashAlgo: methodAlgo.optional(),
      hash: hexDigest.optional(),
      impure: z.literal(true).optional(),
    })
    .superRefine((o, ctx) => {
      const bad = (message: string) => ctx.addIssue({ code: "custom", message });
      if (o.hash !== undefined && (o.hashAlgo === undefined || o.path === undefined)) {
        bad("an output with 'hash' (fixed) also needs 'hashAlgo' and 'path'");
      }
      if (
        o.impure === true &&
        (o.hashAlgo === undefined || o.path !== undefined || o.hash !== undefined)
      ) {
        bad("an impure output has 'hashAlgo' and no 'path' or 'hash'");
      }
      if (
        o.hashAlgo !== undefined &&
        o.hash === undefined &&
        o.impure === undefined &&
        o.path !== undefined
      ) {
        bad("a floating output ('hashAlgo' without 'hash') has no 'path'");
      }
      if (o.hashAlgo !== undefined && o.hash !== undefined) {
        const algo = o.hashAlgo.replace(/^(r:|git:|text:)/, "");
        const len = isHashAlgorithm(algo) ? HASH_SIZES[algo] * 2 : undefined;
        if (len !== undefined && o.hash.length !== len) {
          ctx.addIssue({
            code: "custom",
            message: `a ${algo} digest has ${len} hex digits, got ${o.hash.length}`,
            path: ["hash"],
          });
        }
      }
    });
}

/** Makes the v1 derivation schema (bare) for a store directory. */
export function makeDerivationV1Schema(options: DerivationSchemaOptions = {}) {
  return z.strictObject({
    name: z.string().optional(),
    outputs: z.record(z.string(), makeDerivationOutputV1Schema(options)),
    inputSrcs: uniqueItems(z.array(absoluteStorePath(options.storeDir)), "input source"),
    inputDrvs: z.record(absoluteDrvPath(options.storeDir), inputDrvOutputsJson),
    ...derivationTailJson,
  });
}

/** Makes the keyed v1 document schema (`{"/nix/store/...drv": derivation}`). */
export function makeDerivationV1KeyedSchema(options: DerivationSchemaOptions = {}) {
  return z.record(absoluteDrvPath(options.storeDir), makeDerivationV1Schema(options));
}

/** v1 output (Nix 2.8), default store directory. */
export const derivationOutputV1Schema = makeDerivationOutputV1Schema();
/** v1 derivation (Nix 2.8 `show-derivation`, bare), default store directory. */
export const derivationV1Schema = makeDerivationV1Schema();
/** v1 keyed document, as `nix show-derivation` prints it. */
export const derivationV1KeyedSchema = makeDerivationV1KeyedSchema();

/** A v1 derivation. */
export type DerivationV1 = z.infer<typeof derivationV1Schema>;
/** A v1 output. */
export type DerivationOutputV1 = z.infer<typeof derivationOutputV1Schema>;
