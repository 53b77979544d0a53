/**
 * Git object hashing: Nix's own golden files (`fixtures/nix-upstream/libutil/git`) reproduced
 * byte for byte, Nix's functional-test vectors (`tests/functional/git-hashing`), and the
 * `git:` content addresses and store paths.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  base16Decode,
  base16Encode,
  compressHash,
  computeHash,
  decodeGitTree,
  encodeGitBlob,
  encodeGitTree,
  formatContentAddress,
  formatHash,
  formatMethodAlgo,
  type GitEntryMode,
  gitObjectHash,
  makeFixedOutputPath,
  nixbase32Encode,
  parseContentAddress,
  parseMethodAlgo,
  storePathToAbsolute,
} from "../../src/core/index.js";
import { gitHashNarTree } from "../../src/nar/git-tree-hash.js";
import type { NarNode } from "../../src/nar/types.js";
import { fixturePath } from "../support/fixtures.js";

const golden = (f: string) =>
  new Uint8Array(readFileSync(fixturePath("nix-upstream", "libutil", "git", f)));
const text = (s: string) => new TextEncoder().encode(s);

/** Reads a `git mktree` listing: `MODE SP TYPE SP HASH TAB NAME`. */
function parseListing(listing: string) {
  const modes: Record<string, GitEntryMode> = {
    "100644": "regular",
    "100755": "executable",
    "120000": "symlink",
    "040000": "directory",
  };
  return listing
    .trim()
    .split("\n")
    .map((line) => {
      const m = /^(\d+) (blob|tree) ([0-9a-f]+)\t(.*)$/.exec(line)!;
      return { mode: modes[m[1]!]!, hash: base16Decode(m[3]!), name: m[4]! };
    });
}

describe("git objects: Nix's golden files", () => {
  it("the blob of hello-world.bin is hello-world-blob.bin", () => {
    expect(encodeGitBlob(golden("hello-world.bin"))).toEqual(golden("hello-world-blob.bin"));
  });

  for (const algo of ["sha1", "sha256"] as const) {
    it(`tree-${algo}.bin is the tree of tree-${algo}.txt, and reads back to it`, () => {
      const listing = parseListing(
        readFileSync(fixturePath("nix-upstream", "libutil", "git", `tree-${algo}.txt`), "utf8"),
      );
      // the listing's order is git's; encode from a shuffled copy
      const bin = golden(`tree-${algo}.bin`);
      expect(encodeGitTree([...listing].reverse())).toEqual(bin);
      expect(
        decodeGitTree(bin, algo).map((e) => ({
          ...e,
          name: new TextDecoder().decode(e.name as Uint8Array),
        })),
      ).toEqual(listing);
      // the blob in the listing is hello-world.bin's
      expect(base16Encode(listing[0]!.hash)).toBe(
        base16Encode(gitObjectHash(algo, golden("hello-world-blob.bin")).digest),
      );
    });
  }

  it("refuses malformed and truncated trees with the offset", () => {
    const bin = golden("tree-sha1.bin");
    expect(() => decodeGitTree(bin.subarray(0, bin.length - 3), "sha1")).toThrow(
      expect.objectContaining({ truncated: true }),
    );
    const bad = bin.slice();
    bad[12] = 0x39; // "100644" -> "190644"
    expect(() => decodeGitTree(bad, "sha1")).toThrow(
      expect.objectContaining({ code: "git.invalid-mode" }),
    );
    expect(() =>
      encodeGitTree([{ name: "a/b", mode: "regular", hash: new Uint8Array(20) }]),
    ).toThrow(/name/);
  });
});

describe("git hashing of file system objects: Nix's functional-test vectors", () => {
  it("a blob and a tree with an executable (tests/functional/git-hashing/simple-sha1.sh)", () => {
    const file = (contents: string, executable = false): NarNode => ({
      type: "regular",
      executable,
      contents: text(contents),
    });
    const dir = (entries: Record<string, NarNode>): NarNode => ({
      type: "directory",
      entries: Object.entries(entries).map(([name, node]) => ({ name, node })),
    });
    const hash = (node: NarNode) => base16Encode(gitHashNarTree(node, "sha1").digest);
    const hello = file("Hello World\n");
    expect(hash(hello)).toBe("557db03de997c86a4a028e1ebd3a1ceb225be238");
    expect(hash(dir({ executable: file("Run Hello World\n", true), hello }))).toBe(
      "e5c0a11a556801a5c9dcf330ca9d7e2c572697f4",
    );
    const symlink: NarNode = { type: "symlink", target: "./hello/world.txt" };
    expect(hash(dir({ dir: dir({ file: file(""), symlink }) }))).toBe(
      "06f3e789820fc488d602358f03e3a1cbf993bf33",
    );
    expect(() => gitHashNarTree(hello, "md5" as "sha1")).toThrow(/SHA-1 or SHA-256/);
  });
});

describe("git content addresses and store paths", () => {
  const hash = computeHash("sha1", "x");
  it("parses and prints fixed:git: and git:ALGO", () => {
    const ca = parseContentAddress(`fixed:git:sha1:${nixbase32Encode(hash.digest)}`);
    expect(ca).toEqual({ method: "git", hash });
    expect(formatContentAddress(ca)).toBe(`fixed:git:sha1:${nixbase32Encode(hash.digest)}`);
    expect(parseMethodAlgo("git:sha256")).toEqual({ method: "git", algorithm: "sha256" });
    expect(formatMethodAlgo("git", "sha1")).toBe("git:sha1");
    expect(() => parseMethodAlgo("git:md5")).toThrow(/SHA-1 or SHA-256/);
    expect(() =>
      parseContentAddress(`fixed:git:${formatHash(computeHash("sha512", "x"), "nix32")}`),
    ).toThrow(/SHA-1 or SHA-256/);
  });

  it("the store path is makeStorePath('output:out', sha256('fixed:out:git:ALGO:HEX:'), name)", () => {
    const inner = computeHash("sha256", `fixed:out:git:sha1:${base16Encode(hash.digest)}:`);
    const fingerprint = `output:out:sha256:${base16Encode(inner.digest)}:/nix/store:src`;
    const expected = nixbase32Encode(compressHash(computeHash("sha256", fingerprint).digest, 20));
    const sp = makeFixedOutputPath("src", { method: "git", hash });
    expect(storePathToAbsolute(sp)).toBe(`/nix/store/${expected}-src`);
    // not the NAR path of the same digest
    expect(sp.hash).not.toBe(makeFixedOutputPath("src", { method: "nar", hash }).hash);
    expect(() =>
      makeFixedOutputPath("src", { method: "git", hash: computeHash("md5", "x") }),
    ).toThrow(/SHA-1 or SHA-256/);
  });
});
