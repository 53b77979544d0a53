/**
 * NAR listings: the JSON tree Nix's binary caches store beside each NAR (`.ls` files:
 * `{"version":1,"root":...}`) and `nix nar ls --json` prints.
 *
 * A listing node is `{"type":"regular","size":N,"executable":true,"narOffset":N}` (`executable`
 * only when true), `{"type":"symlink","target":"..."}` or
 * `{"type":"directory","entries":{name: node, ...}}`. {@link listNar} builds it while streaming,
 * never holding file contents.
 *
 * Names and symlink targets are bytes in a NAR, and need not be UTF-8. Listings hold them as
 * JavaScript strings in one of two ways ({@link NarListOptions.names}):
 * - `"text"` (the default): decoded as UTF-8; a name or target that is not valid UTF-8 is
 *   refused with a `nar.name-not-utf8` {@link ValidationError} (decoding it would be lossy
 *   and could merge distinct names);
 * - `"binary"`: one character per byte (U+0000-U+00FF, "latin1"), lossless. Encode such a
 *   string back with {@link binaryStringBytes}. `nix nar ls` (Nix 2.8) prints names and
 *   targets as their raw bytes, in its text and in its JSON output (which is then not valid
 *   UTF-8): the CLI does exactly the same, through this mode.
 *
 * @module
 */
import { type ByteInput, ByteReader, byteReader } from "../codecs/byte-reader.js";
import { bytesEqual, utf8Text } from "../codecs/wire-bytes.js";
import { ValidationError } from "../core/errors.js";
import { nixJsonString } from "./json-text.js";
import { readNarStream } from "./nar-stream-reader.js";
import { type NarSyncNode, visitNarSync } from "./nar-sync-visitor.js";
import type { NarReadOptions, NarStreamNode } from "./stream-node.js";
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

/** Options of {@link listNar}. */
export interface NarListOptions extends NarReadOptions {
  /**
   * How names and targets become strings: `"text"` (UTF-8, the default; invalid UTF-8 is
   * refused) or `"binary"` (one character per byte, lossless).
   */
  readonly names?: "text" | "binary";
}

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

/** The bytes as a string of one character (U+0000-U+00FF) per byte. */
export function binaryString(bytes: Uint8Array): string {
  // (names are short: a loop beats building an argument list; `apply` on typed arrays, not a
  // spread, which goes through the iterator protocol)
  if (bytes.length <= 16) {
    let out = "";
    for (let i = 0; i < bytes.length; i++) out += String.fromCharCode(bytes[i]!);
    return out;
  }
  let out = "";
  for (let i = 0; i < bytes.length; i += 8192) {
    const part = bytes.subarray(i, i + 8192) as unknown as number[];
    out += String.fromCharCode.apply(null, part);
  }
  return out;
}

/** The bytes of a string made by {@link binaryString} (each character's low 8 bits). */
export { binaryStringBytes } from "../core/bytes.js";

function textOf(bytes: Uint8Array, what: string, segments: readonly Uint8Array[]): string {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    throw new ValidationError(
      "nar.name-not-utf8",
      `${what} is not valid UTF-8 (list with names: "binary" to keep the raw bytes)`,
      // (the path is decoded only here: per node it would cost the depth each time)
      { rule: "nar.listing", path: segments.map((b) => utf8Text(b)) },
    );
  }
}

/** Builds the listing of a NAR while streaming it (contents skipped, offsets recorded). */
export async function listNar(
  input: ByteInput,
  options: NarListOptions = {},
): Promise<NarListingNode> {
  if (input instanceof ByteReader) return listReader(input, options);
  const reader = byteReader(input);
  let early = true;
  try {
    const root = await listReader(reader, options);
    early = false;
    return root;
  } finally {
    // a stream we opened is cancelled when the NAR (or a name in it) is refused
    await reader.close(early);
  }
}

async function listReader(reader: ByteReader, options: NarListOptions): Promise<NarListingNode> {
  if (reader.isSync) return listNarSync(reader, options);
  const l = lister(options);
  for await (const node of readNarStream(reader, options)) l.add(node);
  return l.root();
}

/** {@link listNar} for synchronous inputs (bytes, iterables of chunks, sources marked `sync`). */
export function listNarSync(input: ByteInput, options: NarListOptions = {}): NarListingNode {
  const l = lister(options);
  visitNarSync(input, (node) => l.add(node), options);
  return l.root();
}

function lister(options: NarListOptions): {
  add(node: NarStreamNode | NarSyncNode): void;
  root(): NarListingNode;
} {
  let root: NarListingNode | undefined;
  const dirs: NarListingDirectory[] = [];
  const binary = options.names === "binary";
  const add = (node: NarStreamNode | NarSyncNode): void => {
    const segs = node.segmentBytes;
    let item: NarListingNode;
    if (node.type === "directory") item = { type: "directory", entries: newEntries() };
    else if (node.type === "symlink") {
      const target = binary
        ? binaryString(node.targetBytes)
        : textOf(node.targetBytes, "a symlink target", segs);
      item = { type: "symlink", target };
    } else {
      item = node.executable
        ? { type: "regular", size: node.size, executable: true, narOffset: node.narOffset }
        : { type: "regular", size: node.size, narOffset: node.narOffset };
    }
    const depth = segs.length;
    if (depth === 0) root = item;
    else {
      dirs.length = depth;
      const raw = segs[depth - 1]!;
      const name = binary ? binaryString(raw) : textOf(raw, "an entry name", segs);
      dirs[depth - 1]!.entries[name] = item;
    }
    if (item.type === "directory") dirs[depth] = item;
  };
  return { add, root: () => root! };
}

/** The listing of an in-memory tree (no `narOffset`; `executable` always present, as newer Nix writes). */
export function listNarTree(node: NarNode, options: { recursive?: boolean } = {}): NarListingNode {
  const recursive = options.recursive ?? true;
  // iterative: a tree as deep as the readers accept (NAR_MAX_DEPTH) needs no deep call stack
  const leaf = (n: NarNode): NarListingNode | undefined =>
    n.type === "regular"
      ? { type: "regular", size: n.contents.length, executable: n.executable }
      : n.type === "symlink"
        ? { type: "symlink", target: n.target }
        : undefined;
  const top = leaf(node);
  if (top !== undefined) return top;
  const root: NarListingDirectory = { type: "directory", entries: newEntries() };
  const work: [NarNode, NarListingDirectory, boolean][] = [[node, root, recursive]];
  for (let w = work.pop(); w !== undefined; w = work.pop()) {
    const [dir, out, deep] = w;
    if (dir.type !== "directory") continue;
    for (const e of dir.entries) {
      if (!deep) {
        out.entries[e.name] = {} as NarListingNode;
        continue;
      }
      const item = leaf(e.node) ?? { type: "directory", entries: newEntries() };
      out.entries[e.name] = item;
      if (item.type === "directory") work.push([e.node, item, true]);
    }
  }
  return root;
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

/**
 * Compares strings by the bytes of their UTF-8 encoding without encoding them: UTF-16 order
 * except that surrogates (U+D800-U+DFFF, the halves of characters above U+FFFF) sort after
 * U+E000-U+FFFF. For `binary` listings (one character per byte) it is the byte order.
 */
export function compareUtf8Order(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 0xd800 && y >= 0xd800) {
      x = x < 0xe000 ? x + 0x2000 : x - 0x800;
      y = y < 0xe000 ? y + 0x2000 : y - 0x800;
    }
    return x - y;
  }
  return a.length - b.length;
}

/**
 * Names of a directory's entries in NAR order (byte order of their UTF-8 encoding; for
 * `binary` listings, where each character is one byte, that is the order of the characters).
 */
export function sortedEntryNames(dir: NarListingDirectory): string[] {
  const names = Object.keys(dir.entries);
  // entries are added in NAR order; only integer-like names (which objects list first) can
  // put them out of order: sort only then
  for (let i = 1; i < names.length; i++) {
    if (compareUtf8Order(names[i - 1]!, names[i]!) > 0) return names.sort(compareUtf8Order);
  }
  return names;
}

/** How a directory's JSON starts and ends (its entries go between). */
const DIRECTORY_JSON_OPEN = `{"type":"directory","entries":{`;
const DIRECTORY_JSON_CLOSE = "}}";

/** The JSON of a file or symlink of a listing, as Nix 2.8 prints it. */
function leafJson(n: NarListingRegular | NarListingSymlink): string {
  if (n.type === "symlink") return `{"type":"symlink","target":${nixJsonString(n.target)}}`;
  let out = `{"type":"regular","size":${n.size}`;
  if (n.executable) out += `,"executable":true`;
  if (n.narOffset !== undefined) out += `,"narOffset":${n.narOffset}`;
  return `${out}}`;
}

/** Options of {@link narListingJsonSync}. */
export interface NarListingJsonOptions extends NarReadOptions {
  /** The raw names of the path to list (default: the root). */
  readonly path?: readonly Uint8Array[];
  /** List subdirectories' entries too (default true); else a directory's entries are `{}`. */
  readonly recursive?: boolean;
}

/**
 * `formatNarListingJson` of the node at `options.path` of a NAR's binary listing, computed
 * while the NAR streams by (synchronous inputs) without building the listing: the JSON grows
 * as one string, nothing per entry is kept. The whole NAR is read and checked. Names and
 * targets are binary strings (one character per byte; {@link binaryStringBytes} gives the
 * bytes Nix prints). `undefined` when the path is not in the NAR.
 */
export function narListingJsonSync(
  input: ByteInput,
  options: NarListingJsonOptions = {},
): string | undefined {
  const path = options.path ?? [];
  const recursive = options.recursive ?? true;
  const at = path.length;
  let out = "";
  let found = false;
  let inside = false;
  // per open directory of the output: whether an entry was written in it yet
  const open: boolean[] = [];
  visitNarSync(
    input,
    (node) => {
      const segs = node.segmentBytes;
      const depth = segs.length;
      if (depth <= at) {
        inside = depth === at && !found && segs.every((b, i) => bytesEqual(b, path[i]!));
        if (!inside) return;
        found = true;
      } else if (!inside) return;
      const rel = depth - at;
      if (!recursive && rel > 1) return;
      while (open.length > rel) {
        out += DIRECTORY_JSON_CLOSE;
        open.pop();
      }
      if (rel > 0) {
        if (open[rel - 1]) out += ",";
        open[rel - 1] = true;
        out += `${nixJsonString(binaryString(segs[depth - 1]!))}:`;
        if (!recursive) {
          out += "{}";
          return;
        }
      }
      if (node.type === "directory") {
        out += DIRECTORY_JSON_OPEN;
        open.push(false);
      } else if (node.type === "symlink") {
        out += leafJson({ type: "symlink", target: binaryString(node.targetBytes) });
      } else {
        out += leafJson({
          type: "regular",
          size: node.size,
          executable: node.executable,
          narOffset: node.narOffset,
        });
      }
    },
    options,
  );
  while (open.length > 0) {
    out += DIRECTORY_JSON_CLOSE;
    open.pop();
  }
  return found ? out : undefined;
}

/**
 * Formats a listing node as `nix nar ls --json` (Nix 2.8) prints it: keys `type`, `size`,
 * `executable` (when true), `narOffset`, `target`, `entries`; entries in byte order;
 * `recursive: false` lists a directory's entries as `{}`. For a `binary` listing the result is
 * a binary string too: {@link binaryStringBytes} gives the bytes Nix prints.
 */
export function formatNarListingJson(
  node: NarListingNode,
  options: { recursive?: boolean } = {},
): string {
  const recursive = options.recursive ?? true;
  // iterative (a tree as deep as the readers accept needs no deep call stack); the text grows
  // by `+=`, which V8 joins once at the end
  let out = "";
  // pending directories: their sorted names and the next one to write
  const stack: { dir: NarListingDirectory; names: string[]; next: number }[] = [];
  const open = (n: NarListingNode): void => {
    if (n.type === undefined) {
      // an entry of a non-recursive listing read back from JSON
      out += "{}";
    } else if (n.type !== "directory") {
      out += leafJson(n);
    } else {
      out += DIRECTORY_JSON_OPEN;
      stack.push({ dir: n, names: sortedEntryNames(n), next: 0 });
    }
  };
  open(node);
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    if (top.next === top.names.length) {
      out += DIRECTORY_JSON_CLOSE;
      stack.pop();
      continue;
    }
    const name = top.names[top.next++]!;
    if (top.next > 1) out += ",";
    out += `${nixJsonString(name)}:`;
    // non-recursive listings show only the names of the top directory's entries
    if (recursive) open(top.dir.entries[name]!);
    else out += "{}";
  }
  return out;
}
