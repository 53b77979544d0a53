/**
 * The `nix-store --export` format: store paths with their NARs and metadata, as a sequence.
 * Declared in the codec DSL on top of the NAR grammar (this is the README's example of a
 * format of one's own built from the DSL and an existing grammar).
 *
 * ```text
 * export  = { u64 1, entry }, u64 0
 * entry   = nar,                             (the NAR grammar: magic and root node)
 *           u64 0x4558494e ("NIXE"),
 *           path: store-path,
 *           references: list<store-path>,
 *           deriver: opt-path,                ("" when unknown)
 *           signature: opt<string>            (legacy; Nix writes u64 0)
 * ```
 *
 * {@link exportStream} declares the whole stream (recursively); the readers and writers here
 * step through it one {@link exportItem} at a time so that long exports need no deep
 * recursion, and {@link readExport} streams each NAR (hashing it on the way) instead of
 * holding it.
 *
 * @module
 */
import { ByteReader, type ChunkSource } from "../codecs/byte-reader.js";
import { u64Choice } from "../codecs/choice.js";
import type { Codec } from "../codecs/codec.js";
import { malformedError } from "../codecs/codec-errors.js";
import { decode, decodePrefix } from "../codecs/decode.js";
import { decodeAsync, type StreamDecodeOptions } from "../codecs/decode-stream.js";
import { encode } from "../codecs/encode.js";
import { lazy } from "../codecs/lazy.js";
import { constant, constU64 } from "../codecs/primitives.js";
import { record } from "../codecs/record.js";
import { map } from "../codecs/refine.js";
import { optional } from "../codecs/repetition.js";
import type { Hash } from "../core/hash.js";
import { createHasher } from "../core/hasher.js";
import {
  wireOptionalStorePath,
  wireStorePath,
  wireStorePaths,
  wireString,
} from "../daemon/wire/primitives.js";
import { TeeChunkSource } from "../daemon/wire/tee.js";
import { narGrammar } from "../nar/nar-grammar.js";
import { readNarDeclarative } from "../nar/reader.js";
import type { NarNode } from "../nar/types.js";

/** The magic number after each NAR (`"NIXE"` little-endian). */
export const EXPORT_MAGIC = 0x4558494e;

/** The metadata of an exported path (what follows its NAR). */
export interface ExportInfo {
  /** The store path (absolute). */
  path: string;
  /** Its references (absolute store paths). */
  references: string[];
  /** Its deriver, if known. */
  deriver: string | undefined;
  /** A legacy signature (Nix never writes one now). */
  signature?: string | undefined;
}

/** An exported path with its whole NAR tree (the in-memory form). */
export interface ExportEntry extends ExportInfo {
  nar: NarNode;
}

/** What follows the NAR of each entry. */
export const exportTrailer: Codec<ExportInfo> = map(
  record("export.entry", {
    magic: constU64(EXPORT_MAGIC, "export.magic"),
    path: wireStorePath,
    references: wireStorePaths,
    deriver: wireOptionalStorePath,
    signature: optional("export.signature", wireString),
  }),
  (w): ExportInfo => ({
    path: w.path,
    references: w.references,
    deriver: w.deriver,
    ...(w.signature !== undefined ? { signature: w.signature } : {}),
  }),
  (i) => i as never,
  "export.entry",
);

/** One entry: the NAR then its metadata. */
export const exportEntry: Codec<ExportEntry> = map(
  record("export.entry", { nar: narGrammar, info: exportTrailer }),
  (w): ExportEntry => ({ nar: w.nar, ...w.info }),
  (e) => ({ nar: e.nar, info: e }),
  "export.entry",
);

/** The marker before each entry (`1`) or at the end (`0`). */
export const exportMarker: Codec<boolean> = map(
  u64Choice("export.marker", { 0: constant(false), 1: constant(true) }),
  (c) => c.value,
  (more) => ({ tag: more ? 1 : 0, value: more }) as never,
  "export.marker",
);

/** One step of the stream: an entry, or `undefined` at the end. */
export const exportItem: Codec<ExportEntry | undefined> = map(
  u64Choice("export.marker", { 0: constant(undefined), 1: exportEntry }),
  (c) => c.value,
  (e) => (e === undefined ? { tag: 0, value: undefined } : { tag: 1, value: e }) as never,
  "export.marker",
);

interface StreamNode {
  head?: ExportEntry;
  rest?: StreamNode;
}

const streamNode: Codec<StreamNode> = map(
  u64Choice("export", {
    0: constant(undefined),
    1: record("export", { head: exportEntry, rest: lazy("export", () => streamNode) }),
  }),
  (c) => (c.value ?? {}) as StreamNode,
  (n) => (n.head === undefined ? { tag: 0, value: undefined } : { tag: 1, value: n }) as never,
  "export",
);

/** The whole stream, declared recursively (for small exports; see {@link decodeExport}). */
export const exportStream: Codec<ExportEntry[]> = map(
  streamNode,
  (n) => {
    const out: ExportEntry[] = [];
    for (let c: StreamNode | undefined = n; c?.head !== undefined; c = c.rest) out.push(c.head);
    return out;
  },
  (entries) => {
    let n: StreamNode = {};
    for (let i = entries.length - 1; i >= 0; i--) n = { head: entries[i]!, rest: n };
    return n;
  },
  "export",
);

/** Decodes a whole export held in memory, entry by entry. */
export function decodeExport(bytes: Uint8Array): ExportEntry[] {
  const out: ExportEntry[] = [];
  let at = 0;
  for (;;) {
    const { value, end } = decodePrefix(exportItem, bytes.subarray(at), { allowTrailing: true });
    if (value === undefined) {
      at += end;
      break;
    }
    out.push(value);
    at += end;
  }
  if (at !== bytes.length) {
    throw malformedError(
      "export",
      at,
      "trailing-data",
      `expected the end of the input, got ${bytes.length - at} more bytes`,
    );
  }
  return out;
}

/** Encodes entries held in memory. */
export function encodeExport(entries: readonly ExportEntry[]): Uint8Array {
  const parts = entries.map((e) => encode(exportItem, e));
  parts.push(encode(exportItem, undefined));
  return concat(parts);
}

/** Decodes one entry held in memory (checks the declaration end to end). */
export function decodeExportEntry(bytes: Uint8Array): ExportEntry {
  return decode(exportEntry, bytes);
}

/** A path read by {@link readExport}: its metadata, and its NAR's hash and size. */
export interface ExportedPath extends ExportInfo {
  /** SHA-256 of the NAR. */
  narHash: Hash;
  /** Size of the NAR in bytes. */
  narSize: number;
}

/** Where {@link readExport} reads from. */
export type ExportInput =
  | ChunkSource
  | AsyncIterable<Uint8Array>
  | Iterable<Uint8Array>
  | Uint8Array;

function chunkSource(input: ExportInput): ChunkSource {
  if (input instanceof Uint8Array) {
    let done = false;
    return {
      next: () => {
        if (done) return undefined;
        done = true;
        return input;
      },
    };
  }
  if (
    typeof (input as ChunkSource).next === "function" &&
    !(Symbol.asyncIterator in input) &&
    !(Symbol.iterator in input)
  ) {
    return input as ChunkSource;
  }
  const it =
    Symbol.asyncIterator in input
      ? (input as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]()
      : (input as Iterable<Uint8Array>)[Symbol.iterator]();
  return {
    next() {
      const r = it.next();
      if (r instanceof Promise) return r.then((x) => (x.done ? undefined : x.value));
      return r.done ? undefined : r.value;
    },
  };
}

/** Options of {@link readExport}. */
export interface ReadExportOptions extends StreamDecodeOptions {
  /** Receives each NAR's raw bytes as they are read (views valid during the call). */
  readonly onNarChunk?: (path: number, chunk: Uint8Array) => void;
}

/**
 * Streams an export: yields each path's metadata with its NAR hash and size. NARs are checked
 * by the NAR grammar and hashed as they go by, never held whole.
 */
export async function* readExport(
  input: ExportInput,
  options: ReadExportOptions = {},
): AsyncGenerator<ExportedPath, void, undefined> {
  const tee = new TeeChunkSource(chunkSource(input));
  const reader = new ByteReader(tee);
  const step = { ...options, allowTrailing: true };
  for (let index = 0; ; index++) {
    const more = await decodeAsync(exportMarker, reader, step);
    if (!more) break;
    const h = createHasher("sha256");
    let size = 0;
    const drain = () => {
      for (const c of tee.drainTo(reader.offset)) {
        h.update(c);
        size += c.length;
        options.onNarChunk?.(index, c);
      }
    };
    tee.startRecording(reader.offset);
    for await (const node of readNarDeclarative(reader, step)) {
      if (node.type === "regular") for await (const _ of node.contents) drain();
      drain();
    }
    drain();
    tee.stopRecording();
    const info = await decodeAsync(exportTrailer, reader, step);
    yield { ...info, narHash: { algorithm: "sha256", digest: h.digest() }, narSize: size };
  }
  if (!options.allowTrailing && !(await reader.atEnd())) {
    throw malformedError(
      "export",
      reader.offset,
      "trailing-data",
      "expected the end of the input, got more bytes",
    );
  }
}

/** A path to write with {@link writeExport}: its metadata and its NAR as chunks. */
export interface ExportSource extends ExportInfo {
  nar: AsyncIterable<Uint8Array> | Iterable<Uint8Array>;
}

/** Writes an export stream: yields its chunks (the NARs are streamed through as given). */
export async function* writeExport(
  paths: AsyncIterable<ExportSource> | Iterable<ExportSource>,
): AsyncGenerator<Uint8Array, void, undefined> {
  for await (const p of paths) {
    yield encode(exportMarker, true);
    yield* p.nar;
    yield encode(exportTrailer, p);
  }
  yield encode(exportMarker, false);
}

function concat(parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
