/**
 * Hashes and store paths against real Nix: random files through `nix hash file`,
 * `nix hash to-*` and `nix-store --add-fixed`, compared with the library and with our CLI.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { expect, it } from "vitest";
import {
  computeHash,
  formatDigest,
  formatHash,
  NIX_2_8_HASH_ALGORITHMS,
  type HashEncoding,
  makeFixedOutputPath,
  storePathToAbsolute,
} from "../../src/core/index.js";
import {
  arbHash,
  arbNarTree,
  arbNix28HashAlgorithm,
  arbStorePathName,
} from "../../src/testing/index.js";
import { runCli } from "../support/cli.js";
import { writeTree } from "../support/nar-fs.js";
import { CONFORMANCE_RUNS, describeWithNix, nix, runNix, withTempDir } from "../support/nix.js";

const RUNS = Math.max(3, Math.ceil(CONFORMANCE_RUNS / 5));

/** Random file contents: empty, small, around block sizes, or a few KB. */
const arbContents = fc.oneof(
  fc.uint8Array({ maxLength: 16 }),
  fc.uint8Array({ minLength: 55, maxLength: 130 }),
  fc.uint8Array({ maxLength: 5000 }),
);

const FLAGS: [string, HashEncoding][] = [
  ["--base16", "base16"],
  ["--base32", "nix32"],
  ["--base64", "base64"],
  ["--sri", "sri"],
];

function printed(hash: ReturnType<typeof computeHash>, enc: HashEncoding): string {
  return enc === "sri" ? formatHash(hash, "sri") : formatDigest(hash, enc);
}

describeWithNix("core against real Nix", () => {
  it("hash file: every algorithm and encoding, library and CLI", () => {
    fc.assert(
      fc.property(fc.array(arbContents, { minLength: 1, maxLength: 12 }), (contents) =>
        withTempDir((dir) => {
          const files = contents.map((c, i) => {
            const f = join(dir, `f${i}`);
            writeFileSync(f, c);
            return f;
          });
          for (const algo of NIX_2_8_HASH_ALGORITHMS) {
            const [flag, enc] = FLAGS[NIX_2_8_HASH_ALGORITHMS.indexOf(algo)]!;
            const theirs = nix(["hash", "file", "--type", algo, flag, ...files]).split("\n");
            const ours = contents.map((c) => printed(computeHash(algo, c), enc));
            expect(ours).toEqual(theirs);
            const cli = runCli(["hash", "file", "--type", algo, flag, ...files]);
            expect(cli.stderr).toBe("");
            expect(cli.stdoutText.trim().split("\n")).toEqual(theirs);
          }
        }),
      ),
      { numRuns: RUNS },
    );
  });

  it("hash to-base16/to-base32/to-base64/to-sri from any encoding", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(arbHash(undefined, arbNix28HashAlgorithm), fc.constantFrom(...FLAGS)), {
          minLength: 1,
          maxLength: 10,
        }),
        (items) => {
          const inputs = items.map(([h, [, enc]]) => formatHash(h, enc));
          for (const [cmd, enc] of [
            ["to-base16", "base16"],
            ["to-base32", "nix32"],
            ["to-base64", "base64"],
            ["to-sri", "sri"],
          ] as const) {
            const theirs = nix(["hash", cmd, ...inputs]).split("\n");
            expect(items.map(([h]) => printed(h, enc))).toEqual(theirs);
            expect(
              runCli(["hash", cmd, ...inputs])
                .stdoutText.trim()
                .split("\n"),
            ).toEqual(theirs);
          }
        },
      ),
      { numRuns: RUNS },
    );
  });

  it("bare digests with --type, and Nix's refusals are ours too", () => {
    const h = computeHash("sha1", "abc");
    const bare = formatDigest(h, "nix32");
    expect(runCli(["hash", "to-base16", "--type", "sha1", bare]).stdoutText.trim()).toBe(
      nix(["hash", "to-base16", "--type", "sha1", bare]),
    );
    for (const bad of [
      [bare],
      ["--type", "sha256", `sha1:${bare}`],
      ["sha256:abc"],
      ["sha1-AAAA"],
    ]) {
      const ours = runCli(["hash", "to-base16", ...bad]);
      expect(ours.status, bad.join(" ")).toBe(1);
      expect(ours.stderr).toMatch(/^error: /);
      expect(() => nix(["hash", "to-base16", ...bad])).toThrow();
    }
  });

  it("store-path add --flat equals nix-store --add-fixed for every algorithm", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(arbStorePathName(60), arbContents), { minLength: 1, maxLength: 8 }),
        (entries) =>
          withTempDir((dir) => {
            const unique = [...new Map(entries.map(([n, c]) => [n, c])).entries()];
            const files = unique.map(([name, c]) => {
              const f = join(dir, name);
              writeFileSync(f, c);
              return f;
            });
            for (const algo of NIX_2_8_HASH_ALGORITHMS) {
              const theirs = runNix("nix-store", ["--add-fixed", algo, ...files]).split("\n");
              const ours = unique.map(([name, c]) =>
                storePathToAbsolute(
                  makeFixedOutputPath(name, { method: "flat", hash: computeHash(algo, c) }),
                ),
              );
              expect(ours).toEqual(theirs);
              const cli = runCli(["store-path", "add", "--flat", "--type", algo, files[0]!]);
              expect(cli.stdoutText.trim()).toBe(theirs[0]);
            }
          }),
      ),
      { numRuns: RUNS },
    );
  });

  it("invalid store path names are refused by both", () => {
    withTempDir((dir) => {
      for (const name of ["with space", "ümlaut", "a:b", "a".repeat(212)]) {
        const f = join(dir, name);
        writeFileSync(f, "x");
        expect(() => runNix("nix-store", ["--add-fixed", "sha256", f]), name).toThrow();
        const cli = runCli(["store-path", "add", "--flat", f]);
        expect(cli.status, name).toBe(1);
        expect(cli.stderr).toMatch(/^error: .*store path name/);
      }
      // Leading dots: accepted by Nix 2.4-2.19 and by today's rules (but for `.`, `..`, `.-*`).
      for (const name of ["a".repeat(211), ".hidden", "..foo", "=?+_"]) {
        const ok = join(dir, name);
        writeFileSync(ok, "x");
        expect(runCli(["store-path", "add", "--flat", ok]).stdoutText.trim(), name).toBe(
          runNix("nix-store", ["--add-fixed", "sha256", ok]),
        );
      }
    });
  });

  it("hash path and recursive store-path add (CLI) equal nix hash path and nix-store --add", () => {
    fc.assert(
      fc.property(arbNarTree(), fc.constantFrom(...NIX_2_8_HASH_ALGORITHMS), (tree, algo) =>
        withTempDir((dir) => {
          const root = join(dir, "tree");
          writeTree(root, tree);
          for (const [flag] of FLAGS) {
            const theirs = nix(["hash", "path", "--type", algo, flag, root]);
            expect(runCli(["hash", "path", "--type", algo, flag, root]).stdoutText.trim()).toBe(
              theirs,
            );
          }
          const theirs =
            algo === "sha256"
              ? runNix("nix-store", ["--add", root])
              : runNix("nix-store", ["--add-fixed", "--recursive", algo, root]);
          expect(runCli(["store-path", "add", "--type", algo, root]).stdoutText.trim()).toBe(
            theirs,
          );
        }),
      ),
      { numRuns: RUNS },
    );
  });
});
