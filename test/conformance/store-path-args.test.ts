/**
 * Store paths as a user gives them: non-canonical spellings (`//`, `/./`, `/x/../`, a trailing
 * `/`) read by `parseStorePathLenient` and by `daemon is-valid PATH...` as Nix reads its
 * arguments (`nix path-info`, `nix-store --check-validity [--print-invalid]`), on store paths
 * added in the test.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, expect, it } from "vitest";
import { nixbase32Encode } from "../../src/core/nixbase32.js";
import {
  parseStorePath,
  parseStorePathLenient,
  storePathToAbsolute,
} from "../../src/core/store-path.js";
import { runCli } from "../support/cli.js";
import { startNixDaemon, type TestDaemon } from "../support/daemon.js";
import { CONFORMANCE_RUNS, describeWithNix, nix, runNix } from "../support/nix.js";

/** A non-canonical spelling of an absolute path: each separator replaced by a random run. */
function arbSpelling(path: string): fc.Arbitrary<string> {
  const parts = path.split("/").slice(1);
  const sep = fc.constantFrom("/", "//", "/./", "/.//", "/zz/../", "/./zz/../");
  return fc
    .tuple(fc.array(sep, { minLength: parts.length, maxLength: parts.length }), fc.boolean())
    .map(([seps, trailing]) => parts.map((p, i) => seps[i]! + p).join("") + (trailing ? "/" : ""));
}

describeWithNix("store paths given by a user", () => {
  let daemon: TestDaemon;
  let dir: string;
  let paths: string[];

  beforeAll(async () => {
    daemon = await startNixDaemon();
    dir = mkdtempSync(join(tmpdir(), "nix-compat-args-"));
    paths = ["a", "b", "c"].map((n) => {
      const f = join(dir, `arg-${n}-${Date.now()}`);
      writeFileSync(f, `${n} ${Math.random()}`);
      return runNix("nix-store", ["--add", f]);
    });
  });
  afterAll(async () => {
    await daemon?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("parseStorePathLenient reads what `nix path-info` reads; parseStorePath stays strict", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(0, 1, 2).chain((i) => arbSpelling(paths[i]!)),
        (spelling) => {
          const theirs = nix(["path-info", spelling]);
          expect(storePathToAbsolute(parseStorePathLenient(spelling))).toBe(theirs);
          if (spelling !== theirs) expect(() => parseStorePath(spelling)).toThrow();
        },
      ),
      { numRuns: Math.max(5, CONFORMANCE_RUNS) },
    );
  });

  it("daemon is-valid takes several paths, spelled as the user likes, as nix-store --check-validity", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.constantFrom(0, 1, 2).chain((i) => arbSpelling(paths[i]!)),
          { minLength: 1, maxLength: 4 },
        ),
        (spellings) => {
          const ours = runCli(["daemon", "is-valid", "--store", daemon.store, ...spellings]);
          expect(ours.stderr).toBe("");
          expect(ours.status).toBe(0);
          runNix("nix-store", ["--check-validity", ...spellings]);
        },
      ),
      { numRuns: Math.max(3, Math.ceil(CONFORMANCE_RUNS / 5)) },
    );
    const b = new Uint8Array(20);
    crypto.getRandomValues(b);
    const bogus = `/nix/store/${nixbase32Encode(b)}-bogus`;
    const args = [paths[0]!, `${bogus}/`, paths[1]!];
    const ours = runCli(["daemon", "is-valid", "--store", daemon.store, ...args]);
    expect(ours.status).toBe(1);
    expect(ours.stderr).toBe(`error: path '${bogus}' is not valid\n`);
    expect(() => runNix("nix-store", ["--check-validity", ...args])).toThrow(/is not valid/);
    const printed = runCli([
      "daemon",
      "is-valid",
      "--print-invalid",
      "--store",
      daemon.store,
      ...args,
    ]);
    expect(printed.status).toBe(0);
    expect(printed.stdoutText.trim()).toBe(
      runNix("nix-store", ["--check-validity", "--print-invalid", ...args]),
    );
  });
});
