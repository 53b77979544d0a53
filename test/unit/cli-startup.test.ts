/**
 * Start-up weight of the CLI: the commands that do not need zod (about 100 modules, the
 * largest part of a cold start) must not load it. Parsimmon (one module) loads with the `.drv`
 * parser, whose grammar reads what the fast scanner declines, synchronously. Each run lists the modules
 * it resolved, through a resolution hook (test/support/module-trace.mjs).
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CLI_PATH, runCli } from "../support/cli.js";
import { REPO_ROOT } from "../support/fixtures.js";

const TRACE = join(REPO_ROOT, "test", "support", "module-trace.mjs");
const HELLO = join(REPO_ROOT, "examples", "hello.drv");

function modulesLoadedBy(args: readonly string[]): string[] {
  const r = spawnSync(process.execPath, ["--import", TRACE, CLI_PATH, ...args], {
    encoding: "utf8",
  });
  expect(r.status, r.stderr).toBe(0);
  return r.stderr
    .split("\n")
    .filter((l) => l.startsWith("module-trace "))
    .map((l) => l.slice("module-trace ".length));
}

const from = (pkg: string) => (url: string) => url.includes(`/node_modules/${pkg}/`);

describe("CLI start-up loads only what the command needs", () => {
  it("derivation show / path of an ATerm file: no zod", () => {
    for (const args of [
      ["derivation", "show", HELLO],
      ["derivation", "path", HELLO],
    ]) {
      const loaded = modulesLoadedBy(args);
      expect(
        loaded.some(
          (u) => u.endsWith("/dist/derivation/show.js") || u.endsWith("/dist/derivation/hash.js"),
        ),
      ).toBe(true);
      expect(loaded.filter(from("zod")), args.join(" ")).toEqual([]);
    }
  });

  it("narinfo show and fingerprint: no zod", () => {
    const text = join(REPO_ROOT, "examples", "hello.narinfo");
    for (const args of [
      ["narinfo", "show", text],
      ["narinfo", "fingerprint", text],
    ]) {
      expect(modulesLoadedBy(args).filter(from("zod")), args.join(" ")).toEqual([]);
    }
  });

  it("the plain derivation show runs without commander, and prints what the full command prints", () => {
    expect(modulesLoadedBy(["derivation", "show", HELLO]).filter(from("commander"))).toEqual([]);
    const fast = runCli(["derivation", "show", HELLO, HELLO]);
    const full = runCli(["derivation", "show", "--store-dir", "/nix/store", HELLO, HELLO]);
    expect(fast.status).toBe(0);
    expect(fast.stdout.equals(full.stdout)).toBe(true);
    const bad = join(REPO_ROOT, "examples", "hello.nar");
    const fastBad = runCli(["derivation", "show", bad]);
    const fullBad = runCli(["derivation", "show", "--store-dir", "/nix/store", bad]);
    expect(fastBad.status).toBe(1);
    expect([fastBad.status, fastBad.stderr]).toEqual([fullBad.status, fullBad.stderr]);
  });

  it("the plain nar dump-path: no commander", () => {
    const loaded = modulesLoadedBy(["nar", "dump-path", HELLO]);
    expect(loaded.filter(from("commander"))).toEqual([]);
    expect(loaded.filter(from("zod"))).toEqual([]);
  });
});
