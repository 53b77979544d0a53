/**
 * The file-system object tree a NAR serialises, as plain data.
 *
 * Names are text (UTF-8); the order Nix uses is the byte order of their UTF-8 encoding, which
 * can differ from JavaScript's string order.
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
}

/** A directory: entries in any order when writing (the writer sorts), sorted when read. */
export interface NarDirectory {
  readonly type: "directory";
  readonly entries: readonly NarEntry[];
}

/** A named child of a directory. */
export interface NarEntry {
  readonly name: string;
  readonly node: NarNode;
}

/** Any node of a NAR tree. */
export type NarNode = NarRegular | NarSymlink | NarDirectory;
