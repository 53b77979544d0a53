/**
 * Hash spellings as Nix 2.8 reads them (SRI without padding, extra `=`, text after the first
 * `=`, non-zero trailing bits, `\n` inside; truncated or over-long digests refused), generated
 * from random digests and compared with `nix hash to-base16`; and BLAKE3 against Debian's
 * `b3sum`.
 */
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  base16Encode,
  base64Encode,
  computeHash,
  formatHash,
  type Hash,
  parseHash,
} from "../../src/core/index.js";
import { arbHash, arbNarTree, arbNix28HashAlgorithm } from "../../src/testing/index.js";
import { runCli } from "../support/cli.js";
import { writeTree } from "../support/nar-fs.js";
import {
  CONFORMANCE_RUNS,
  describeWithNix,
  nix,
  runNixBytes,
  withTempDir,
} from "../support/nix.js";

const RUNS = Math.max(3, Math.ceil(CONFORMANCE_RUNS / 5));
const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

const MUTATIONS = [
  "none",
  "unpadded",
  "extra-eq",
  "text-after-eq",
  "trailing-bits",
  "newline",
  "truncated",
  "extended",
] as const;

/** One spelling of a hash's base64 digest: a mutation of the canonical one. */
function spell(hash: Hash, mutation: (typeof MUTATIONS)[number], extra: string, pos: number) {
  const canonical = base64Encode(hash.digest);
  const data = canonical.replace(/=+$/, "");
  const padding = canonical.slice(data.length);
  switch (mutation) {
    case "none":
      return canonical;
    case "unpadded":
      return data;
    case "extra-eq":
      return canonical + "=".repeat(1 + (pos % 3));
    case "text-after-eq":
      return `${data}=${extra}`;
    case "trailing-bits": {
      const unused = (data.length * 6) % 8;
      const last = ALPHABET.indexOf(data.at(-1)!);
      const changed = (last & ~((1 << unused) - 1)) | (1 + (pos % ((1 << unused) - 1)));
      return data.slice(0, -1) + ALPHABET[changed]! + padding;
    }
    case "newline": {
      const at = pos % (canonical.length + 1);
      return `${canonical.slice(0, at)}\n${canonical.slice(at)}`;
    }
    case "truncated":
      return data.slice(0, -1 - (pos % 2)) + padding;
    case "extended":
      return `${data}A${padding}`;
  }
}

const arbSpelling = fc
  .record({
    hash: arbHash(undefined, arbNix28HashAlgorithm),
    sri: fc.boolean(),
    mutation: fc.constantFrom(...MUTATIONS),
    extra: fc.string({ unit: fc.constantFrom(..."=Ax+/!- "), maxLength: 5 }),
    pos: fc.nat(),
  })
  .map(({ hash, sri, mutation, extra, pos }) => {
    const digest = spell(hash, mutation, extra, pos);
    return sri ? `${hash.algorithm}-${digest}` : `${hash.algorithm}:${digest}`;
  });

function ours(text: string): string | undefined {
  try {
    return base16Encode(parseHash(text).digest);
  } catch {
    return undefined;
  }
}

function nixAccepts(text: string): boolean {
  return spawnSync("nix", ["hash", "to-base16", text], { stdio: "ignore" }).status === 0;
}

describeWithNix("hash spellings as Nix 2.8 reads them", () => {
  it("parseHash and `hash to-*` accept exactly what `nix hash to-base16` accepts, with its digest", () => {
    fc.assert(
      fc.property(fc.array(arbSpelling, { minLength: 1, maxLength: 12 }), (spellings) => {
        const accepted = spellings.filter((s) => ours(s) !== undefined);
        for (const s of spellings.filter((x) => ours(x) === undefined)) {
          expect(nixAccepts(s), JSON.stringify(s)).toBe(false);
          const cli = runCli(["hash", "to-base16", s]);
          expect(cli.status, JSON.stringify(s)).toBe(1);
          expect(cli.stderr).toMatch(/^error: /);
        }
        if (accepted.length === 0) return;
        const theirs = nix(["hash", "to-base16", ...accepted]).split("\n");
        expect(accepted.map(ours)).toEqual(theirs);
        const cli = runCli(["hash", "to-base16", ...accepted]);
        expect(cli.stderr).toBe("");
        expect(cli.stdoutText.trim().split("\n")).toEqual(theirs);
        const sri = nix(["hash", "to-sri", ...accepted]).split("\n");
        expect(accepted.map((s) => formatHash(parseHash(s), "sri"))).toEqual(sri);
      }),
      { numRuns: RUNS },
    );
  });

  it("the issue's examples", () => {
    const good = "sha256-ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0";
    for (const s of [good, `${good}=`, `${good}===`, `${good}=xyz!`, good.replace(/0$/, "1")]) {
      expect(runCli(["hash", "to-base16", s]).stdoutText.trim(), s).toBe(
        nix(["hash", "to-base16", s]),
      );
    }
    for (const s of [good.slice(0, -1), `${good}A`]) {
      expect(nixAccepts(s), s).toBe(false);
      expect(runCli(["hash", "to-base16", s]).stderr).toMatch(/^error: invalid SRI hash/);
    }
    expect(() => parseHash(good, { strict: true })).toThrow();
    expect(base16Encode(parseHash(`${good}=`, { strict: true }).digest)).toBe(ours(good));
  });
});

const hasB3sum = spawnSync("b3sum", ["--version"]).status === 0;

describe.skipIf(!hasB3sum)("blake3 against b3sum", () => {
  const b3sum = (file: string) =>
    spawnSync("b3sum", ["--no-names", file], { encoding: "utf8" }).stdout.trim();

  it("computeHash, `hash file --type blake3` and `hash path --type blake3` equal b3sum", () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 3000 }), { minLength: 1, maxLength: 6 }),
        arbNarTree(),
        (contents, tree) =>
          withTempDir((dir) => {
            const files = contents.map((c, i) => {
              const f = join(dir, `f${i}`);
              writeFileSync(f, c);
              return f;
            });
            const theirs = files.map(b3sum);
            expect(contents.map((c) => base16Encode(computeHash("blake3", c).digest))).toEqual(
              theirs,
            );
            const cli = runCli(["hash", "file", "--type", "blake3", "--base16", ...files]);
            expect(cli.stdoutText.trim().split("\n")).toEqual(theirs);
            // hash path: BLAKE3 of the NAR serialisation Nix writes
            const root = join(dir, "tree");
            writeTree(root, tree);
            const nar = join(dir, "tree.nar");
            writeFileSync(nar, runNixBytes("nix-store", ["--dump", root]));
            const path = runCli(["hash", "path", "--type", "blake3", "--base16", root]);
            expect(path.stdoutText.trim()).toBe(b3sum(nar));
            const sri = runCli(["hash", "path", "--type", "blake3", root]).stdoutText.trim();
            expect(runCli(["hash", "to-base16", sri]).stdoutText.trim()).toBe(b3sum(nar));
          }),
      ),
      { numRuns: RUNS },
    );
  });
});
