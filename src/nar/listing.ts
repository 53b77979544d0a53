/**
 * NAR listings: the JSON tree Nix's binary caches store beside each NAR (`.ls` files:
 * `{"version":1,"root":...}`) and `nix nar ls --json` prints.
 *
 * A listing node is `{"type":"regular","size":N,"executable":true,"narOffset":N}` (`executable`
 * only when true), `{"type":"symlink","target":"..."}` or
 * `{"type":"directory","entries":{name: node, ...}}`. {@link listNar} builds it while streaming,
 * never holding file contents.
 *
 * @module
 */
import type { ByteInput } from "../codecs/byte-reader.js";
import { compareBytes, utf8Bytes } from "../codecs/wire-bytes.js";
import { nixJsonString } from "./json-text.js";
import { readNarFast as readNar } from "./nar-reader-fast.js";
import type { NarReadOptions } from "./reader.js";
import type { NarNode } from "./types.js";

/** A regular file in a listing. */
export interface NarListingRegular {
  type: "regular";
  size: number;
  executable?: boolean;
  narOffset?: number;
}
/** A symlink in a listing. */
export interface NarListingSymlink {
  type: "symlink";
  target: string;
}
/** A directory in a listing (`entries` has a null prototype; keys are entry names). */
export interface NarListingDirectory {
  type: "directory";
  entries: Record<string, NarListingNode>;
}
/** Any node of a listing. */
export type NarListingNode = NarListingRegular | NarListingSymlink | NarListingDirectory;

/** The `.ls` document of a binary cache. */
export interface NarListing {
  version: 1;
  root: NarListingNode;
}

/** The current listing format version. */
export const NAR_LISTING_VERSION = 1;

function newEntries(): Record<string, NarListingNode> {
  return Object.create(null) as Record<string, NarListingNode>;
}

/** Builds the listing of a NAR while streaming it (contents skipped, offsets recorded). */
export async function listNar(
  input: ByteInput,
  options: NarReadOptions = {},
): Promise<NarListingNode> {
  let root: NarListingNode | undefined;
  const dirs: NarListingDirectory[] = [];
  for await (const node of readNar(input, options)) {
    let item: NarListingNode;
    if (node.type === "directory") item = { type: "directory", entries: newEntries() };
    else if (node.type === "symlink") item = { type: "symlink", target: node.target };
    else {
      item = node.executable
        ? { type: "regular", size: node.size, executable: true, narOffset: node.narOffset }
        : { type: "regular", size: node.size, narOffset: node.narOffset };
    }
    const depth = node.segments.length;
    if (depth === 0) root = item;
    else {
      dirs.length = depth;
      dirs[depth - 1]!.entries[node.segments[depth - 1]!] = item;
    }
    if (item.type === "directory") dirs[depth] = item;
  }
  return root!;
}

/** The listing of an in-memory tree (no `narOffset`; `executable` always present, as newer Nix writes). */
export function listNarTree(node: NarNode, options: { recursive?: boolean } = {}): NarListingNode {
  const recursive = options.recursive ?? true;
  switch (node.type) {
    case "regular":
      return { type: "regular", size: node.contents.length, executable: node.executable };
    case "symlink":
      return { type: "symlink", target: node.target };
    case "directory": {
      const entries = newEntries();
      for (const e of node.entries) {
        entries[e.name] = recursive ? listNarTree(e.node) : ({} as NarListingNode);
      }
      return { type: "directory", entries };
    }
  }
}

/** Wraps a root in the `.ls` document shape. */
export function narListingDocument(root: NarListingNode): NarListing {
  return { version: 1, root };
}

/** Finds the node at `path` (`/a/b`, `a/b`, `/` or `""` for the root), or undefined. */
export function findListingNode(root: NarListingNode, path: string): NarListingNode | undefined {
  let node: NarListingNode | undefined = root;
  for (const seg of path.split("/")) {
    if (seg === "" || seg === ".") continue;
    if (node?.type !== "directory") return undefined;
    node = Object.hasOwn(node.entries, seg) ? node.entries[seg] : undefined;
  }
  return node;
}

/** Names of a directory's entries in NAR order (UTF-8 bytes). */
export function sortedEntryNames(dir: NarListingDirectory): string[] {
  return Object.keys(dir.entries)
    .map((k) => [k, utf8Bytes(k)] as const)
    .sort((a, b) => compareBytes(a[1], b[1]))
    .map((p) => p[0]);
}

/**
 * Formats a listing node as `nix nar ls --json` (Nix 2.8) prints it: keys `type`, `size`,
 * `executable` (when true), `narOffset`, `target`, `entries`; entries in byte order;
 * `recursive: false` lists a directory's entries as `{}`.
 */
export function formatNarListingJson(
  node: NarListingNode,
  options: { recursive?: boolean } = {},
): string {
  const recursive = options.recursive ?? true;
  const out: string[] = [];
  write(node);
  return out.join("");

  function write(n: NarListingNode): void {
    if (n.type === undefined) {
      // an entry of a non-recursive listing read back from JSON
      out.push("{}");
      return;
    }
    out.push(`{"type":"${n.type}"`);
    if (n.type === "regular") {
      out.push(`,"size":${n.size}`);
      if (n.executable) out.push(`,"executable":true`);
      if (n.narOffset !== undefined) out.push(`,"narOffset":${n.narOffset}`);
    } else if (n.type === "symlink") {
      out.push(`,"target":${nixJsonString(n.target)}`);
    } else {
      out.push(`,"entries":{`);
      let first = true;
      for (const name of sortedEntryNames(n)) {
        if (!first) out.push(",");
        first = false;
        out.push(`${nixJsonString(name)}:`);
        // non-recursive listings show only the names of the top directory's entries
        if (recursive) write(n.entries[name]!);
        else out.push("{}");
      }
      out.push("}");
    }
    out.push("}");
  }
}
