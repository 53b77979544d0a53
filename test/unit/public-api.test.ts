/**
 * The public API is chosen: every entry of package.json "exports" exports exactly the names
 * pinned in `public-api.json` (values and types, read from the sources with the TypeScript
 * checker), and at run time exactly those values. Adding or removing an export is a decision:
 * `node scripts/public-api.mjs --write` rewrites the list, committed beside the change.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
// @ts-expect-error: a plain ES module script without declarations
import { PINNED_API, packageEntries, publicApi } from "../../scripts/public-api.mjs";

type Api = Record<string, { values: string[]; types: string[] }>;
const pinned = JSON.parse(readFileSync(PINNED_API as string, "utf8")) as Api;
const entries = (packageEntries as () => Record<string, string>)();

describe("the public API is the pinned list", () => {
  it("every package entry is pinned", () => {
    expect(Object.keys(pinned).sort()).toEqual(Object.keys(entries).sort());
  });

  it("each entry's declared exports (values and types) are the pinned ones", () => {
    expect((publicApi as () => Api)()).toEqual(pinned);
  }, 120_000);

  it.each(Object.keys(entries))("%s exports the pinned values at run time", async (name) => {
    const module = (await import(entries[name]!)) as Record<string, unknown>;
    expect(Object.keys(module).sort()).toEqual(pinned[name]!.values);
  });

  it("internals are not reachable from the root", () => {
    const root = pinned["."]!.values;
    for (const internal of ["MapBuilder", "sortedUnique", "withFile", "EMPTY_DYN"])
      expect(root).not.toContain(internal);
  });
});
