/**
 * NAR (Nix ARchive): the grammar, streaming reader, writers and listings. Portable: no
 * `node:` imports (filesystem adapters are in `nix-compat/node`).
 *
 * @module
 */
export {
  findListingNode,
  formatNarListingJson,
  listNar,
  listNarSync,
  listNarTree,
  NAR_LISTING_VERSION,
  type NarListing,
  type NarListingDirectory,
  type NarListingJsonOptions,
  type NarListingNode,
  type NarListingRegular,
  type NarListingSymlink,
  type NarListOptions,
  narListingDocument,
  narListingJsonSync,
} from "./listing.js";
export { gitHashNarTree, gitModeOf } from "./git-tree-hash.js";
export { narGrammar, narNode } from "./nar-grammar.js";
export {
  NAR_MAGIC,
  NAR_MAX_CONTENTS_SIZE,
  NAR_MAX_DEPTH,
  NAR_MAX_NAME_LENGTH,
  NAR_MAX_TARGET_LENGTH,
} from "./nar-rules.js";
export { NAR_HEADERS, NAR_TOKENS } from "./nar-tokens.js";
export {
  type NarDirectoryNode,
  type NarReadOptions,
  type NarRegularNode,
  type NarStreamNode,
  type NarSymlinkNode,
  type NarVisitor,
  parseNar,
  readNar,
  readNarDeclarative,
  readNarSync,
  readNarTree,
  visitNar,
} from "./reader.js";
export type { NarDirectory, NarEntry, NarNode, NarRegular, NarSymlink } from "./types.js";
export {
  createNarWriter,
  encodeNar,
  type NarWriteEntry,
  type NarWriter,
  writeNar,
  writeNarToBytes,
} from "./writer.js";
