/**
 * narinfo spellings Nix 2.8 reads, found by mutating narinfos made in the test and serving
 * them from a `file://` binary cache: `NarSize` with leading zeros or `+`, repeated references
 * and extra spaces in `References`, unpadded signatures and text after `==`, a `NarHash` line
 * before the one that counts. For each, `nix path-info --json --store file://…` must show what
 * `parseNarInfo` reads, `nix store verify --no-contents` must trust it exactly when
 * `verifyNarInfo` does, and `printNarInfo` must give the text back byte for byte.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { expect, it } from "vitest";
import { computeHash, formatHash } from "../../src/core/hash.js";
import {
  CANONICAL_QUIRKS,
  type NarInfo,
  narInfoQuirks,
  parseNarInfo,
  printNarInfo,
  signNarInfo,
  verifyNarInfo,
} from "../../src/narinfo/index.js";
import { formatPublicKey, generateSecretKey, publicKeyOf } from "../../src/signing/keys.js";
import { arbNarInfoStorePath } from "../../src/testing/narinfo.js";
import { runCli } from "../support/cli.js";
import { CONFORMANCE_RUNS, describeWithNix } from "../support/nix.js";

const secret = generateSecretKey("leniency-test-1");
const publicKey = publicKeyOf(secret);

/** Each mutation: its name, and what it does to the printed narinfo. */
const BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

const MUTATIONS: [string, (text: string, info: NarInfo) => string][] = [
  [
    "NarSize with leading zeros",
    (t, i) => t.replace(`NarSize: ${i.narSize}\n`, `NarSize: 000${i.narSize}\n`),
  ],
  ["NarSize with '+'", (t, i) => t.replace(`NarSize: ${i.narSize}\n`, `NarSize: +${i.narSize}\n`)],
  [
    "a repeated reference",
    (t, i) => {
      const first = `${i.references[0]!.hash}-${i.references[0]!.name}`;
      return t.replace(/^References: (.*)$/m, (_, v: string) => `References: ${v} ${first}`);
    },
  ],
  [
    "double spaces in References",
    (t) =>
      t.replace(
        /^References: (.*)$/m,
        (_, v: string) => `References:  ${v.split(" ").join("  ")} `,
      ),
  ],
  ["an unpadded signature", (t) => t.replace(/^(Sig: .*?)=+$/m, "$1")],
  ["text after '==' in a signature", (t) => t.replace(/^(Sig: .*==)$/m, "$1x+/!")],
  [
    "non-zero trailing bits in a signature",
    (t) =>
      t.replace(
        /^(Sig: .*)(.)==$/m,
        // the last character of a 64-byte signature carries 2 bits of it and 4 unused ones:
        // flip the lowest (the neighbour in the alphabet, not in ASCII)
        (_, a: string, c: string) => `${a}${BASE64[BASE64.indexOf(c) ^ 1]}==`,
      ),
  ],
  [
    "a NarHash line before the real one",
    (t) =>
      t.replace(
        /^NarHash: /m,
        `NarHash: ${formatHash(computeHash("sha256", "decoy"), "nix32")}\nNarHash: `,
      ),
  ],
];

function nixPathInfo(dir: string, path: string): Record<string, unknown> | undefined {
  const r = spawnSync("nix", ["path-info", "--json", "--store", `file://${dir}`, path], {
    encoding: "utf8",
    env: { ...process.env, XDG_CACHE_HOME: join(dir, ".cache") },
  });
  if (r.status !== 0) return undefined;
  return (JSON.parse(r.stdout) as Record<string, unknown>[])[0];
}

function nixTrusts(dir: string, path: string): boolean {
  const r = spawnSync(
    "nix",
    [
      "store",
      "verify",
      "--no-contents",
      "--store",
      `file://${dir}`,
      "--trusted-public-keys",
      formatPublicKey(publicKey),
      path,
    ],
    { encoding: "utf8", env: { ...process.env, XDG_CACHE_HOME: join(dir, ".cache") } },
  );
  return r.status === 0;
}

const arbBase = fc
  .record({
    storePath: arbNarInfoStorePath(),
    references: fc.uniqueArray(arbNarInfoStorePath(), {
      minLength: 1,
      maxLength: 3,
      selector: (r) => r.hash,
    }),
    narSize: fc.integer({ min: 1, max: 1e9 }),
    seed: fc.string(),
  })
  .map(({ storePath, references, narSize, seed }): NarInfo => {
    const info: NarInfo = {
      storePath,
      url: `nar/${storePath.hash}.nar`,
      compression: "none",
      fileHash: undefined,
      fileSize: undefined,
      narHash: computeHash("sha256", seed),
      narSize,
      references: [...references].sort((a, b) => (a.hash < b.hash ? -1 : 1)),
      deriver: undefined,
      system: undefined,
      signatures: [],
      ca: undefined,
      unknownFields: [],
      quirks: CANONICAL_QUIRKS,
    };
    return signNarInfo(info, secret);
  });

describeWithNix("narinfo spellings Nix 2.8 reads", () => {
  it("each leniency: read as Nix reads it, trusted as Nix trusts it, printed back exactly", () => {
    fc.assert(
      fc.property(arbBase, fc.constantFrom(...MUTATIONS), (base, [what, mutate]) => {
        const dir = mkdtempSync(join(tmpdir(), "nix-compat-narinfo-"));
        try {
          mkdirSync(join(dir, "nar"));
          writeFileSync(join(dir, "nix-cache-info"), "StoreDir: /nix/store\n");
          const text = mutate(printNarInfo(base), base);
          expect(text, what).not.toBe(printNarInfo(base));
          const file = join(dir, `${base.storePath.hash}.narinfo`);
          writeFileSync(file, text);
          const path = `/nix/store/${base.storePath.hash}-${base.storePath.name}`;

          const theirs = nixPathInfo(dir, path);
          expect(theirs, what).toBeDefined();
          const ours = parseNarInfo(text);
          expect(printNarInfo(ours), what).toBe(text);
          expect(narInfoQuirks(ours).length, what).toBeGreaterThan(0);
          expect(formatHash(ours.narHash, "sri")).toBe(theirs!.narHash);
          expect(ours.narSize).toBe(theirs!.narSize);
          expect(ours.references.map((r) => `/nix/store/${r.hash}-${r.name}`).sort()).toEqual(
            theirs!.references,
          );
          const trusted = verifyNarInfo(ours, [publicKey]);
          expect(trusted, what).toBe(nixTrusts(dir, path));
          expect(trusted, what).toBe(true);
          // the CLI reads it too
          const cli = runCli(["narinfo", "verify", "--key", formatPublicKey(publicKey), file]);
          expect(cli.status, `${what}: ${cli.stderr}`).toBe(0);
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      }),
      { numRuns: Math.max(MUTATIONS.length, Math.ceil(CONFORMANCE_RUNS / 2)) },
    );
  });

  it("what Nix 2.8 refuses, we refuse", () => {
    fc.assert(
      fc.property(arbBase, fc.constantFrom("-", " ", "0x", "1e"), (base, prefix) => {
        const dir = mkdtempSync(join(tmpdir(), "nix-compat-narinfo-"));
        try {
          writeFileSync(join(dir, "nix-cache-info"), "StoreDir: /nix/store\n");
          const text = printNarInfo(base).replace(
            `NarSize: ${base.narSize}\n`,
            `NarSize: ${prefix}${base.narSize}\n`,
          );
          writeFileSync(join(dir, `${base.storePath.hash}.narinfo`), text);
          expect(
            nixPathInfo(dir, `/nix/store/${base.storePath.hash}-${base.storePath.name}`),
          ).toBeUndefined();
          expect(() => parseNarInfo(text)).toThrow(/NarSize/);
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      }),
      { numRuns: 4 },
    );
  });
});
