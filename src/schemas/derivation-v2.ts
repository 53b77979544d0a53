/**
 * Derivation JSON version 2: `nix derivation show` of Nix 2.23 to 2.31 (NixOS/nix#10722):
 * version 1 with the output's method and algorithm in separate fields. Nix printed no
 * `version` field yet (it came with version 3); since Nix 2.18 every derivation has `name`
 * and input derivations are `{dynamicOutputs, outputs}` objects, keys sorted.
 *
 * ```text
 * output = {} | { path } | { path, method, hashAlgo: algo, hash: hex } | { method, hashAlgo }
 *        | { method, hashAlgo, impure: true }
 * method = "flat" | "nar" | "text" | "git"      algo = md5 | sha1 | sha256 | sha512 | blake3
 * otherwise as version 1 (absolute paths, keyed by drv path); "version": 2 is accepted
 * ```
 *
 * @module
 */
import * as z from "zod";
import {
  absoluteStorePath,
  caMethod,
  type DerivationSchemaOptions,
  hashAlgorithm,
  hexDigest,
} from "./derivation-common.js";
import { makeDerivationV1Schema } from "./derivation-v1.js";

/** Makes the v2 output schema. */
export function makeDerivationOutputV2Schema(options: DerivationSchemaOptions = {}) {
  return z
    .strictObject({
      path: absoluteStorePath(options.storeDir).optional(),
      method: caMethod.optional(),
      hashAlgo: hashAlgorithm.optional(),
      hash: hexDigest.optional(),
      impure: z.literal(true).optional(),
    })
    .superRefine((o, ctx) => {
      if ((o.method === undefined) !== (o.hashAlgo === undefined)) {
        ctx.addIssue({ code: "custom", message: "'method' and 'hashAlgo' go together" });
      }
      if (o.hash !== undefined && (o.method === undefined || o.path === undefined)) {
        ctx.addIssue({
          code: "custom",
          message: "a fixed output has 'path', 'method', 'hashAlgo' and 'hash'",
        });
      }
    });
}

/** Makes the v2 derivation schema: version 1's, with v2 outputs and an optional `version: 2`. */
export function makeDerivationV2Schema(options: DerivationSchemaOptions = {}) {
  return makeDerivationV1Schema(options).extend({
    version: z.literal(2).optional(),
    outputs: z.record(z.string(), makeDerivationOutputV2Schema(options)),
  });
}

/** v2 derivation, default store directory. */
export const derivationV2Schema = makeDerivationV2Schema();
/** A v2 derivation. */
export type DerivationV2 = z.infer<typeof derivationV2Schema>;
