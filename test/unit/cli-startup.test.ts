/**
 * Start-up weight of the CLI: the commands that do not need zod (about 100 modules, the
 * largest part of a cold start) must not load it. Parsimmon (one module) loads with the `.drv`
 * parser, whose grammar reads what the fast scanner declines, synchronously. Each run lists the modules
 * it resolved, through a resolution hook (test/support/module-trace.mjs).
 */
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CLI_PATH, runCli } from "../support/cli.js";
import { REPO_ROOT } from "../support/fixtures.js";

const TRACE = join(REPO_ROOT, "test", "support", "module-trace.mjs");
const HELLO = join(REPO_ROOT, "examples", "hello.drv");

function modulesLoadedBy(args: readonly string[], input?: Uint8Array): string[] {
  const r = spawnSync(process.execPath, ["--import", TRACE, CLI_PATH, ...args], {
    encoding: "utf8",
    ...(input === undefined ? {} : { input }),
  });
  expect(r.status, r.stderr).toBe(0);
  return r.stderr
    .split("\n")
    .filter((l) => l.startsWith("module-trace "))
    .map((l) => l.slice("module-trace ".length));
}

/** Node's own modules a run loaded (process.moduleLoadList at exit), e.g. `NativeModule tty`. */
function builtinsLoadedBy(args: readonly string[], input?: Uint8Array): string[] {
  // (node:fs through require: an ESM import of it would itself load what is looked for)
  const atExit = `import { createRequire } from "node:module";
const { writeSync } = createRequire("/")("node:fs");
process.on("exit", () => writeSync(2, "builtins " + JSON.stringify(process.moduleLoadList) + "\\n"));`;
  const r = spawnSync(
    process.execPath,
    ["--import", `data:text/javascript,${encodeURIComponent(atExit)}`, CLI_PATH, ...args],
    {
      encoding: "utf8",
      ...(input === undefined ? {} : { input }),
    },
  );
  expect(r.status, r.stderr).toBe(0);
  const line = r.stderr.split("\n").find((l) => l.startsWith("builtins "))!;
  return JSON.parse(line.slice("builtins ".length)) as string[];
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

  it("the plain nar dump-path, nar restore and hash path load only their own side of NAR", () => {
    const nar = readFileSync(join(REPO_ROOT, "examples", "hello.nar"));
    const dir = mkdtempSync(join(tmpdir(), "nix-compat-startup-"));
    try {
      const runs = {
        dump: [["nar", "dump-path", HELLO]],
        hash: [["hash", "path", HELLO]],
        restore: [["nar", "restore", join(dir, "out")], nar],
      } as const;
      const reader = (u: string) => u.endsWith("/dist/nar/nar-sync-visitor.js");
      const writer = (u: string) => u.endsWith("/dist/nar/nar-event-writer.js");
      const dump = modulesLoadedBy(...runs.dump);
      expect([dump.some(writer), dump.some(reader)]).toEqual([true, false]);
      const hash = modulesLoadedBy(...runs.hash);
      expect([hash.some(writer), hash.some(reader)]).toEqual([true, false]);
      const restore = modulesLoadedBy(...runs.restore);
      expect([restore.some(writer), restore.some(reader)]).toEqual([false, true]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("the plain forms take node:fs without its ESM facade (no fs streams; Node 20 loads fs/promises itself), load node:crypto only to hash and node:worker_threads only for workers", () => {
    const nar = readFileSync(join(REPO_ROOT, "examples", "hello.nar"));
    const dir = mkdtempSync(join(tmpdir(), "nix-compat-startup-"));
    const drvNamed = join(dir, "9wqb07v8sra7i0vdp3zb6ypaw7bwl1f6-hello.drv");
    copyFileSync(HELLO, drvNamed);
    try {
      const loaded = (names: string[], wanted: string) => names.includes(`NativeModule ${wanted}`);
      for (const [args, input, crypto] of [
        [["nar", "dump-path", HELLO], undefined, false],
        [["nar", "restore", join(dir, "out")], nar, false],
        [["hash", "path", HELLO], undefined, true],
        [["derivation", "show", drvNamed], undefined, false],
      ] as const) {
        const names = builtinsLoadedBy(args, input);
        // a few drvs where Maglev is there (Node 22+): no node:v8 for the show flags (it
        // loads Node's streams; Node 20 sets them at any size, see SHOW_V8_FLAGS_FROM_FILES)
        if (args[0] === "derivation" && Number.parseInt(process.versions.v8, 10) >= 12)
          expect(loaded(names, "stream"), "derivation show").toBe(false);
        const seen = ["internal/fs/streams", "worker_threads", "crypto"].map((m) =>
          loaded(names, m),
        );
        expect(seen, args.join(" ")).toEqual([false, false, crypto]);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
