/**
 * Git hashing against real git: a random tree written to disk hashes (library, and the CLI's
 * `hash path --mode git`) to what `git write-tree` gives for the same tree (executables
 * 100755, symlinks 120000), in sha1 and sha256 repositories; a random file or symlink to what
 * `git hash-object` gives. `store-path add --mode git` is the path of that hash.
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { base16Encode, makeFixedOutputPath, storePathToAbsolute } from "../../src/core/index.js";
import { gitHashNarTree } from "../../src/nar/git-tree-hash.js";
import type { NarNode } from "../../src/nar/types.js";
import { arbNarTree } from "../../src/testing/index.js";
import { runCli } from "../support/cli.js";
import { writeTree } from "../support/nar-fs.js";
import { CONFORMANCE_RUNS, withTempDir } from "../support/nix.js";

const hasGit = spawnSync("git", ["--version"]).status === 0;
const RUNS = Math.max(5, Math.ceil(CONFORMANCE_RUNS / 2));

/** Git keeps no empty directories and reserves `.git*` names: drop both (recursively). */
function gitable(node: NarNode): NarNode | undefined {
  if (node.type !== "directory") return node;
  const entries = node.entries.flatMap((e) => {
    if (e.name.toLowerCase().startsWith(".git")) return [];
    const child = gitable(e.node);
    if (child === undefined) return [];
    return [{ name: e.name, node: child }];
  });
  return entries.length === 0 ? undefined : { type: "directory", entries };
}

function git(args: string[], options: { cwd?: string; input?: string | Uint8Array } = {}): string {
  const r = spawnSync(
    "git",
    ["-c", "core.protectNTFS=false", "-c", "core.symlinks=true", ...args],
    {
      cwd: options.cwd,
      input: options.input,
      encoding: "utf8",
    },
  );
  if (r.status !== 0) throw new Error(`git ${args.join(" ")}: ${r.stderr}`);
  return r.stdout.trim();
}

/** What git says the object id of the tree (or file or symlink) at `root` is. */
function gitsHash(dir: string, root: string, tree: NarNode, algo: "sha1" | "sha256"): string {
  const gitDir = join(dir, `repo-${algo}.git`);
  git(["init", "-q", "--bare", `--object-format=${algo}`, gitDir]);
  if (tree.type === "regular") return git([`--git-dir=${gitDir}`, "hash-object", root]);
  if (tree.type === "symlink") {
    return git([`--git-dir=${gitDir}`, "hash-object", "--stdin"], { input: tree.target });
  }
  const env = [`--git-dir=${gitDir}`, `--work-tree=${root}`];
  git([...env, "add", "-A", "."], { cwd: root });
  return git([...env, "write-tree"], { cwd: root });
}

describe.skipIf(!hasGit)("git hashing against real git", () => {
  it("random trees: gitHashNarTree and `hash path --mode git` equal git write-tree / hash-object", () => {
    fc.assert(
      fc.property(
        arbNarTree({ maxDepth: 3, maxEntries: 5 })
          .map(gitable)
          .filter((t): t is NarNode => t !== undefined),
        fc.constantFrom("sha1" as const, "sha256" as const),
        (tree, algo) =>
          withTempDir((dir) => {
            const root = join(dir, "tree");
            writeTree(root, tree);
            const theirs = gitsHash(dir, root, tree, algo);
            expect(base16Encode(gitHashNarTree(tree, algo).digest)).toBe(theirs);
            const cli = runCli(["hash", "path", "--mode", "git", "--type", algo, "--base16", root]);
            expect(cli.stderr).toBe("");
            expect(cli.stdoutText.trim()).toBe(theirs);
            const sp = runCli(["store-path", "add", "--mode", "git", "--type", algo, root]);
            expect(sp.stdoutText.trim()).toBe(
              storePathToAbsolute(
                makeFixedOutputPath("tree", { method: "git", hash: gitHashNarTree(tree, algo) }),
              ),
            );
          }),
      ),
      { numRuns: RUNS },
    );
  });

  it("refuses algorithms git does not name objects with", () => {
    withTempDir((dir) => {
      const r = runCli(["hash", "path", "--mode", "git", "--type", "md5", dir]);
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/^error: Git file ingestion must use SHA-1 or SHA-256/);
    });
  });
});
