/**
 * The closure description Nix writes into a build for `exportReferencesGraph` with
 * `__structuredAttrs = true` (in `.attrs.json`, under the attribute's name).
 *
 * ```text
 * closure = [ entry, ... ]                      ordered by path, each path once
 * entry   = { "ca"?:          "fixed:r:sha256:<nix32>" | "text:sha256:<nix32>" | ...,
 *             "closureSize":  sum of narSize over the entry's closure,
 *             "narHash":      "sha256:<nix32>",
 *             "narSize":      bytes,
 *             "path":         "/nix/store/<hash>-<name>",
 *             "references":   [ "/nix/store/...", ... ]  sorted }
 * ```
 *
 * Keys appear in this (alphabetical) order, as Nix's JSON writer sorts them.
 *
 * @module
 */
import * as z from "zod";
import { type ContentAddress, formatContentAddress } from "../core/content-address.js";
import { ValidationError } from "../core/errors.js";
import { formatHash, type Hash } from "../core/hash.js";
import { DEFAULT_STORE_DIR, type StorePath } from "../core/store-path.js";
import { AbsoluteStorePathJson, ContentAddressStringJson } from "./path-info.js";
import { parseWithSchema } from "./validate.js";

/** One element of an `exportReferencesGraph` closure. */
export const ClosureEntryJson = z.strictObject({
  ca: ContentAddressStringJson.optional(),
  closureSize: z.number().int().nonnegative(),
  narHash: z
    .string()
    .regex(/^sha256:[0123456789abcdfghijklmnpqrsvwxyz]{52}$/, "expected 'sha256:<nix32 digest>'"),
  narSize: z.number().int().nonnegative(),
  path: AbsoluteStorePathJson,
  references: z.array(AbsoluteStorePathJson),
});

/** A whole closure: entries ordered by path, each path once, every reference listed. */
export const ClosureJson = z.array(ClosureEntryJson).superRefine((entries, ctx) => {
  const paths = new Set(entries.map((e) => e.path));
  for (let i = 1; i < entries.length; i++) {
    if (!(entries[i - 1]!.path < entries[i]!.path)) {
      ctx.addIssue({
        code: "custom",
        message: "entries must be ordered by path, each path once",
        path: [i, "path"],
      });
    }
  }
  entries.forEach((e, i) => {
    e.references.forEach((r, j) => {
      if (!paths.has(r)) {
        ctx.addIssue({
          code: "custom",
          message: `reference '${r}' is not in the closure`,
          path: [i, "references", j],
        });
      }
    });
  });
});

/** The TypeScript type of a closure. */
export type ClosureJsonValue = z.output<typeof ClosureJson>;

/** Validates closure JSON; throws `JsonValidationError` with every problem and its path. */
export function parseClosureJson(json: unknown, options: { file?: string } = {}): ClosureJsonValue {
  return parseWithSchema(ClosureJson, json, options);
}

/** What the closure needs to know about one store object. */
export interface ClosureObject {
  readonly path: StorePath;
  readonly narHash: Hash;
  readonly narSize: number;
  readonly references: readonly StorePath[];
  readonly ca?: ContentAddress | undefined;
}

/**
 * Builds the closure JSON Nix would write for `objects` (which must contain every reference
 * of every object): ordered by path, `closureSize` computed.
 */
export function makeClosureJson(
  objects: readonly ClosureObject[],
  options: { storeDir?: string } = {},
): ClosureJsonValue {
  const dir = options.storeDir ?? DEFAULT_STORE_DIR;
  const abs = (p: StorePath) => `${dir}/${p.hash}-${p.name}`;
  const byPath = new Map(objects.map((o) => [abs(o.path), o]));
  const closureSize = (root: string): number => {
    const seen = new Set<string>([root]);
    const todo = [root];
    let total = 0;
    while (todo.length > 0) {
      const p = todo.pop()!;
      const o = byPath.get(p);
      if (o === undefined) {
        throw new ValidationError(
          "closure.missing-object",
          `reference '${p}' is not among the objects`,
        );
      }
      total += o.narSize;
      for (const r of o.references) {
        const a = abs(r);
        if (!seen.has(a)) {
          seen.add(a);
          todo.push(a);
        }
      }
    }
    return total;
  };
  return [...byPath.keys()].sort().map((p) => {
    const o = byPath.get(p)!;
    const entry: ClosureJsonValue[number] = {
      ...(o.ca === undefined ? {} : { ca: formatContentAddress(o.ca) }),
      closureSize: closureSize(p),
      narHash: formatHash(o.narHash, "nix32"),
      narSize: o.narSize,
      path: p,
      references: o.references.map(abs).sort(),
    };
    return entry;
  });
}
