/**
 * The file-system object tree a NAR serialises, as plain data.
 *
 * Names are text (UTF-8); the order Nix uses is the byte order of their UTF-8 encoding, which
 * can differ from JavaScript's string order. Names and targets that are not valid UTF-8 keep
 * their bytes beside the text (`nameBytes`, `targetBytes`), so nothing read is lost.
 *
 * @module
 */

/** A regular file. */
export interface NarRegular {
  readonly type: "regular";
  readonly executable: boolean;
  readonly contents: Uint8Array;
}

/** A symbolic link. */
export interface NarSymlink {
  readonly type: "symlink";
  readonly target: string;
  /**
   * The target's bytes, present when they are not valid UTF-8 (`target` then shows them with
   * U+FFFD): `parseNar` keeps them so the tree encodes back to the same NAR, and the encoder
   * writes them instead of `target`.
   */
  readonly targetBytes?: Uint8Array;
}

/** A directory: entries in any order when writing (the writer sorts), sorted when read. */
export interface NarDirectory {
  readonly type: "directory";
  readonly entries: readonly NarEntry[];
}

/** A named child of a directory. */
export interface NarEntry {
  readonly name: string;
  /**
   * The name's bytes, present when they are not valid UTF-8 (`name` then shows them with
   * U+FFFD): `parseNar` keeps them so the tree encodes back to the same NAR, and the encoder
   * writes them instead of `name`.
   */
  readonly nameBytes?: Uint8Array;
  readonly node: NarNode;
}

/** Any node of a NAR tree. */
export type NarNode = NarRegular | NarSymlink | NarDirectory;
