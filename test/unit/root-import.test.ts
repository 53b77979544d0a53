/**
 * The root entry is cheap to import: it loads no zod (JSON validation is
 * `nix-compat/derivation` and `nix-compat/schemas`) and not the binary codecs (NAR is
 * `nix-compat/nar`). Modules are listed by a resolution hook (test/support/module-trace.mjs)
 * while the built root (dist/index.js) is imported. The time it takes beside
 * `nix-compat/core` is measured by `bench/import.bench.mjs`, not here.
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "../support/fixtures.js";

const TRACE = join(REPO_ROOT, "test", "support", "module-trace.mjs");

function modulesLoadedBy(entry: string): string[] {
  const url = pathToFileURL(join(REPO_ROOT, "dist", entry)).href;
  const r = spawnSync(
    process.execPath,
    ["--import", TRACE, "--input-type=module", "-e", `await import(${JSON.stringify(url)});`],
    { encoding: "utf8" },
  );
  expect(r.status, r.stderr).toBe(0);
  return r.stderr
    .split("\n")
    .filter((l) => l.startsWith("module-trace "))
    .map((l) => l.slice("module-trace ".length));
}

describe("importing the root", () => {
  it("loads no zod and no codecs but wire-bytes", () => {
    const loaded = modulesLoadedBy("index.js");
    expect(loaded.some((u) => u.endsWith("/dist/derivation/aterm.js"))).toBe(true);
    expect(loaded.filter((u) => u.includes("/node_modules/zod/"))).toEqual([]);
    expect(
      loaded.filter((u) => u.includes("/dist/codecs/") && !u.endsWith("/wire-bytes.js")),
    ).toEqual([]);
  });

  it("nix-compat/derivation still validates JSON with zod", () => {
    expect(
      modulesLoadedBy("derivation/index.js").some((u) => u.includes("/node_modules/zod/")),
    ).toBe(true);
  });
});
