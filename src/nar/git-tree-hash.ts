/**
 * The git object id of a NAR tree (what `nix hash path --mode git` prints for the file system
 * object the tree describes): git hashing of src/core/git.ts applied to a {@link NarNode}.
 *
 * @module
 */
import type { Hash } from "../core/hash.js";
import {
  checkGitHashAlgorithm,
  encodeGitBlob,
  encodeGitTree,
  type GitEntryMode,
  type GitHashAlgorithm,
  gitObjectHash,
} from "../core/git.js";
import type { NarNode } from "./types.js";

/** The git mode a file system object has as a tree entry. */
export function gitModeOf(node: NarNode): GitEntryMode {
  if (node.type === "regular") return node.executable ? "executable" : "regular";
  return node.type;
}

/**
 * The git object id of a file system object (what `nix hash path --mode git` prints): the
 * blob of a file's contents or a symlink's target, the tree of a directory.
 */
export function gitHashNarTree(node: NarNode, algorithm: GitHashAlgorithm): Hash {
  checkGitHashAlgorithm(algorithm);
  switch (node.type) {
    case "regular":
      return gitObjectHash(algorithm, encodeGitBlob(node.contents));
    case "symlink":
      return gitObjectHash(algorithm, encodeGitBlob(node.target));
    case "directory":
      return gitObjectHash(
        algorithm,
        encodeGitTree(
          node.entries.map((e) => ({
            name: e.name,
            mode: gitModeOf(e.node),
            hash: gitHashNarTree(e.node, algorithm).digest,
          })),
        ),
      );
  }
}
