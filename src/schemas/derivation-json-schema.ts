/**
 * The derivation schemas as JSON Schema documents (draft-07, from zod's
 * `z.toJSONSchema`), for validating derivations outside TypeScript.
 *
 * @module
 */
import * as z from "zod";
import { derivationV1KeyedSchema, derivationV1Schema } from "./derivation-v1.js";
import { derivationV2Schema } from "./derivation-v2.js";
import { derivationV3Schema } from "./derivation-v3.js";
import { derivationV4DocumentSchema, derivationV4Schema } from "./derivation-v4.js";

/** Names of the exported JSON Schemas. */
export type DerivationJsonSchemaName = "v1" | "v1-keyed" | "v2" | "v3" | "v4" | "v4-document";

const schemas = {
  v1: derivationV1Schema,
  "v1-keyed": derivationV1KeyedSchema,
  v2: derivationV2Schema,
  v3: derivationV3Schema,
  v4: derivationV4Schema,
  "v4-document": derivationV4DocumentSchema,
} as const;

/**
 * One derivation schema as a JSON Schema object. Refinements that JSON Schema cannot express
 * (duplicate items, digest length against the algorithm) are not included.
 */
export function derivationJsonSchema(name: DerivationJsonSchemaName): Record<string, unknown> {
  return z.toJSONSchema(schemas[name], {
    target: "draft-07",
    unrepresentable: "any",
    io: "input",
  }) as Record<string, unknown>;
}
