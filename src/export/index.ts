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
 * {@link exportStream} is the whole declaration: {@link decodeExport} and {@link encodeExport}
 * run it on bytes in memory, {@link readExport} runs it on a stream (NARs are hashed as they
 * go by, never held) and {@link writeExport} streams NARs through its pieces.
 *
 * @module
 */
import {
  byteChunks,
  type ByteInput,
  ByteReader,
  type ByteStreamInput,
  chunkSourceOf,
} from "../codecs/byte-reader.js";
import { u64Union } from "../codecs/choice.js";
import type { Codec } from "../codecs/codec.js";
import { type CompiledCodec, fromGenerated } from "../codecs/compile.js";
import type { DecodeOptions } from "../codecs/decode.js";
import { decodeEvents, type StreamDecodeOptions } from "../codecs/decode-stream.js";
import { encode } from "../codecs/encode.js";
import { event } from "../codecs/event.js";
import type { PayloadHandle } from "../codecs/payload.js";
import { constant, constU64 } from "../codecs/primitives.js";
import { record } from "../codecs/record.js";
import { map } from "../codecs/refine.js";
import { optional, repeatUntil } from "../codecs/repetition.js";
import type { Hash } from "../core/hash.js";
import { createHasher } from "../core/hasher.js";
import {
  wireOptionalStorePath,
  wireStorePath,
  wireStorePaths,
  wireString,
} from "../daemon/wire/primitives.js";
import { TeeChunkSource } from "../codecs/tee-chunk-source.js";
import { narGrammar } from "../nar/nar-grammar.js";
import type { NarNode } from "../nar/types.js";
import { exportStreamGenerated } from "./export-stream.generated.js";

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

/**
 * One entry: the NAR then its metadata. The events `nar-start` and `nar-end` (around the NAR)
 * and `export-entry` (the metadata) let a streaming consumer find the NAR's bytes ({@link readExport}).
 */
export const exportEntry: Codec<ExportEntry> = map(
  record("export.entry", {
    start: event("nar-start", constant(undefined, "export.entry")),
    nar: narGrammar,
    end: event("nar-end", constant(undefined, "export.entry")),
    info: event("export-entry", exportTrailer),
  }),
  (w): ExportEntry => ({ nar: w.nar, ...w.info }),
  (e) => ({ nar: e.nar, info: e }),
  "export.entry",
);

/** The whole stream: entries, each announced by u64 1, until u64 0. */
export const exportStream: Codec<ExportEntry[]> = repeatUntil("export", exportEntry, {
  more: 1,
  end: 0,
});

/** The compiled codec of {@link exportStream} (checked-in generated code, no eval). */
const exportCodec: CompiledCodec<ExportEntry[]> = fromGenerated(
  exportStream,
  exportStreamGenerated,
);

/** The marker before each entry (`true`: u64 1) or at the end (`false`: u64 0). */
export const exportMarker: Codec<boolean> = u64Union<boolean>(
  "export.marker",
  { 0: constant(false), 1: constant(true) },
  (more) => (more ? 1 : 0),
);

/** Decodes a whole export held in memory. */
export function decodeExport(bytes: Uint8Array, options: DecodeOptions = {}): ExportEntry[] {
  return exportCodec.decode(bytes, options);
}

/** Encodes entries held in memory. */
export function encodeExport(entries: readonly ExportEntry[]): Uint8Array {
  return exportCodec.encode([...entries]);
}

/** A path read by {@link readExport}: its metadata, and its NAR's hash and size. */
export interface ExportedPath extends ExportInfo {
  /** SHA-256 of the NAR. */
  narHash: Hash;
  /** Size of the NAR in bytes. */
  narSize: number;
}

/** Where {@link readExport} reads from. */
export type ExportInput = Exclude<ByteInput, ByteReader>;

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
  const tee = new TeeChunkSource(chunkSourceOf(input));
  const reader = new ByteReader(tee);
  let index = -1;
  let h = createHasher("sha256");
  let size = 0;
  let recording = false;
  const drain = () => {
    if (!recording) return;
    for (const c of tee.drainTo(reader.offset)) {
      h.update(c);
      size += c.length;
      options.onNarChunk?.(index, c);
    }
  };
  for await (const ev of decodeEvents(exportStream, reader, options)) {
    switch (ev.name) {
      case "nar-start":
        index++;
        h = createHasher("sha256");
        size = 0;
        tee.startRecording(reader.offset);
        recording = true;
        break;
      case "regular":
        for await (const _ of (ev.value as PayloadHandle).stream) drain();
        drain();
        break;
      case "nar-end":
        drain();
        tee.stopRecording();
        recording = false;
        break;
      case "export-entry":
        yield {
          ...(ev.value as ExportInfo),
          narHash: { algorithm: "sha256", digest: h.digest() },
          narSize: size,
        };
        break;
      default:
        drain();
    }
  }
}

/** A path to write with {@link writeExport}: its metadata and its NAR as chunks. */
export interface ExportSource extends ExportInfo {
  /** The NAR: bytes, chunks, or a `ReadableStream` (see `byteChunks`). */
  nar: ByteStreamInput;
}

/** Writes an export stream: yields its chunks (the NARs are streamed through as given). */
export async function* writeExport(
  paths: AsyncIterable<ExportSource> | Iterable<ExportSource>,
): AsyncGenerator<Uint8Array, void, undefined> {
  for await (const p of paths) {
    yield encode(exportMarker, true);
    yield* byteChunks(p.nar);
    yield encode(exportTrailer, p);
  }
  yield encode(exportMarker, false);
}
