/**
 * zod schema of NAR listings: the `.ls` documents binary caches store beside each NAR
 * (`{"version":1,"root":...}`) and the nodes `nix nar ls --json` prints.
 *
 * ```text
 * node      = regular | symlink | directory
 * regular   = {"type":"regular", "size": n, "executable"?: bool, "narOffset"?: n}
 * symlink   = {"type":"symlink", "target": string}
 * directory = {"type":"directory", "entries": {name: node | {}}}   ({} in non-recursive listings)
 * ```
 *
 * @module
 */
import * as z from "zod";
import type { NarListing, NarListingNode } from "../nar/listing.js";

const nonNegative = z.number().int().nonnegative();

/** A regular file in a listing. */
export const NarListingRegularJson = z.strictObject({
  type: z.literal("regular"),
  size: nonNegative,
  executable: z.boolean().optional(),
  narOffset: nonNegative.optional(),
});

/** A symlink in a listing. */
export const NarListingSymlinkJson = z.strictObject({
  type: z.literal("symlink"),
  target: z.string(),
});

/** Any node of a listing (directories recursive; `{}` allowed for unlisted entries). */
export const NarListingNodeJson: z.ZodType<NarListingNode> = z.lazy(() =>
  z.discriminatedUnion("type", [
    NarListingRegularJson,
    NarListingSymlinkJson,
    z.strictObject({
      type: z.literal("directory"),
      entries: z.record(
        z.string().refine((n) => n !== "" && n !== "." && n !== ".." && !/[/\0]/.test(n), {
          message: "invalid entry name",
        }),
        z.union([NarListingNodeJson, z.strictObject({})]),
      ),
    }),
  ]),
) as z.ZodType<NarListingNode>;

/** A `.ls` document: `{"version": 1, "root": node}`. */
export const NarListingJson: z.ZodType<NarListing> = z.strictObject({
  version: z.literal(1),
  root: NarListingNodeJson,
}) as z.ZodType<NarListing>;
