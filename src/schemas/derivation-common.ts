/**
 * Pieces shared by the derivation JSON schemas (one schema per version, see
 * `derivation-v1.ts` ... `derivation-v4.ts`).
 *
 * @module
 */
import * as z from "zod";
import { HASH_ALGORITHMS, type HashAlgorithm } from "../core/hash-algorithm.js";
import { isStorePath, isValidStorePathName } from "../core/store-path.js";

/** The nixbase32 alphabet of store path hashes. */
const HASH = "[0123456789abcdfghijklmnpqrsvwxyz]{32}";

/** Options of the schema factories. */
export interface DerivationSchemaOptions {
  /** Store directory of absolute paths (v1, v2). Default `/nix/store`. */
  readonly storeDir?: string;
}

const NAME_CHARS = "[A-Za-z0-9+\\-._?=]+";

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}

/**
 * An absolute store path in `storeDir`: the shape as a regex (so it shows in the exported JSON
 * Schema), then the finer name rules of `src/core/store-path.ts`.
 */
export function absoluteStorePath(storeDir = "/nix/store") {
  const message = `expected a store path ${storeDir}/<32 nixbase32 chars>-<name>`;
  return z
    .string()
    .regex(new RegExp(`^${escapeRegex(storeDir)}/${HASH}-${NAME_CHARS}$`), { message, abort: true })
    .refine((p) => isStorePath(p, { storeDir }), { message });
}

/** An absolute store path of a derivation (`.drv`). */
export function absoluteDrvPath(storeDir = "/nix/store") {
  const message = `expected a derivation path ${storeDir}/<32 nixbase32 chars>-<name>.drv`;
  return z
    .string()
    .regex(new RegExp(`^${escapeRegex(storeDir)}/${HASH}-${NAME_CHARS}\\.drv$`), {
      message,
      abort: true,
    })
    .refine((p) => isStorePath(p, { storeDir }), { message });
}

function isBaseName(p: string): boolean {
  return isValidStorePathName(p.slice(33));
}

/** A store path base name `<hash>-<name>` (v3, v4). */
export const baseStorePath = z
  .string()
  .regex(new RegExp(`^${HASH}-${NAME_CHARS}$`), {
    message: "expected a store path base name <32 nixbase32 chars>-<name>",
    abort: true,
  })
  .refine(isBaseName, { message: "expected a valid store path name after the hash" });

/** A derivation base name `<hash>-<name>.drv`. */
export const baseDrvPath = z
  .string()
  .regex(new RegExp(`^${HASH}-${NAME_CHARS}\\.drv$`), {
    message: "expected a derivation base name <32 nixbase32 chars>-<name>.drv",
    abort: true,
  })
  .refine(isBaseName, { message: "expected a valid store path name after the hash" });

/** A hash algorithm name (`blake3` as modern Nix has it; Nix 2.8 knows the other four). */
export const hashAlgorithm = z.enum(HASH_ALGORITHMS as [HashAlgorithm, ...HashAlgorithm[]]);

/** A content-addressing method as newer JSON spells it (`git` as modern Nix has it). */
export const caMethod = z.enum(["flat", "nar", "text", "git"]);

const ALGORITHMS = HASH_ALGORITHMS.join("|");

/** `[r:|git:|text:]algo`, the ATerm / v1 `hashAlgo` (core's `parseMethodAlgo` spellings). */
export const methodAlgo = z.string().regex(new RegExp(`^(r:|git:|text:)?(${ALGORITHMS})$`), {
  message: `expected a hash algorithm ${HASH_ALGORITHMS.join(", ")}, optionally after 'r:', 'git:' or 'text:'`,
});

/** Lowercase hex digest. */
export const hexDigest = z
  .string()
  .regex(/^([0-9a-f]{32}|[0-9a-f]{40}|[0-9a-f]{64}|[0-9a-f]{128})$/, {
    message: "expected a base16 digest (32, 40, 64 or 128 hex digits)",
  });

/** An SRI hash `algo-base64`. */
export const sriHash = z.string().regex(new RegExp(`^(${ALGORITHMS})-[A-Za-z0-9+/]+=*$`), {
  message: "expected an SRI hash such as sha256-<base64>",
});

/** The recursive output set of an input derivation (`{outputs, dynamicOutputs}`). */
export interface OutputSetJson {
  outputs: string[];
  dynamicOutputs: Record<string, OutputSetJson>;
}

/** `{outputs: [...], dynamicOutputs: {name: {...}}}` */
export const outputSetJson: z.ZodType<OutputSetJson> = z.lazy(() =>
  z.strictObject({
    outputs: z.array(z.string()),
    dynamicOutputs: z.record(z.string(), outputSetJson),
  }),
);

/** Environment: names to strings. */
export const envJson = z.record(z.string(), z.string());

/** Arguments. */
export const argsJson = z.array(z.string());

/** Adds an issue when an array has duplicate entries. */
export function uniqueItems<T extends z.ZodArray<z.ZodString>>(schema: T, what: string) {
  return schema.superRefine((items, ctx) => {
    const seen = new Set<string>();
    items.forEach((item, i) => {
      if (seen.has(item))
        ctx.addIssue({ code: "custom", message: `duplicate ${what} '${item}'`, path: [i] });
      seen.add(item);
    });
  });
}

/** What an input derivation maps to: output names, or `{outputs, dynamicOutputs}`. */
export const inputDrvOutputsJson = z.union([
  uniqueItems(z.array(z.string()), "output name"),
  outputSetJson,
]);

/** The fields every version shares, after the inputs: `system`, `builder`, `args`, `env`. */
export const derivationTailJson = {
  system: z.string(),
  builder: z.string(),
  args: argsJson,
  env: envJson,
};

/** Structured attributes as an object (versions 3 and 4). */
export const structuredAttrsJson = z.record(z.string(), z.unknown()).optional();
