/**
 * The one small interface between the cache server's handler and what holds the paths: the
 * local Nix store through the daemon, a binary-cache folder, memory, an R2 bucket.
 *
 * A store answers with narinfos and NAR files; the handler signs, compresses (when the store
 * gives plain NARs) and speaks HTTP. A writable store also takes the uploads of
 * `nix copy --to http://...`: the NAR first, the narinfo after, and keeps a NAR only once the
 * narinfo naming it holds together with its bytes.
 *
 * @module
 */
import type { NarInfo } from "../narinfo/types.js";

/** What a store says in `nix-cache-info` (every field known, unlike a parsed `CacheInfo`). */
export interface CacheStoreInfo {
  /** `StoreDir`: the store directory of the paths. */
  readonly storeDir: string;
  /** `WantMassQuery`: clients may query many paths at once. */
  readonly wantMassQuery: boolean;
  /** `Priority`: lower is tried first by Nix (cache.nixos.org has 40). */
  readonly priority: number;
}

/** A file a store can stream: its size when known, and a way to open it. */
export interface StoredFile {
  /** Its size in bytes, when known before streaming. */
  readonly size: number | undefined;
  /** Opens its bytes (called once per GET, never for HEAD). */
  open(): ReadableStream<Uint8Array>;
  /**
   * The same bytes as {@link open}, lent: each chunk is valid only until the next one is asked
   * for (the store may read into its memory again), which spares a long stream the garbage of
   * fresh memory. Optional; used only by a consumer that is done with each chunk before it
   * asks for the next (the Node adapter writing to a socket, see `lentChunksOf`).
   */
  lend?(): AsyncGenerator<Uint8Array, void, undefined>;
}

/** A NAR file: its bytes and how they are compressed (`none`: a plain NAR). */
export interface StoredNar extends StoredFile {
  /** The compression of its bytes, as in a narinfo's `Compression` line. */
  readonly compression: string;
}

/** The bytes of an upload and their length when the request said it. */
export interface UploadBody {
  /** The request body. */
  readonly stream: ReadableStream<Uint8Array>;
  /** `Content-Length`, when sent. */
  readonly length: number | undefined;
}

/** A part written by a part upload: its number and the tag that names it. */
export interface CachePartTag {
  /** Its number, from 1. */
  readonly partNumber: number;
  /** What the storage calls it (R2's and S3's `etag`). */
  readonly etag: string;
}

/**
 * A NAR file uploaded in parts, each part a request of at most {@link partSize} bytes: how a
 * NAR larger than a Worker's request body limit gets to a store through the Worker. The file
 * is assembled aside, its hash checked against its name on {@link complete}, and published
 * only by the narinfo naming it, as a NAR uploaded whole is. Ids are the store's.
 */
export interface CacheNarPartUploads {
  /** Size of each part but the last (the last may be shorter). */
  readonly partSize: number;
  /** `POST /nar/<file>?uploads`: starts an upload of `nar/<file>`; resolves with its id. */
  begin(file: string): Promise<string>;
  /** `PUT /nar/<file>?uploadId=ID&partNumber=N`: part `partNumber` (from 1). */
  putPart(
    file: string,
    uploadId: string,
    partNumber: number,
    body: UploadBody,
  ): Promise<CachePartTag>;
  /**
   * `POST /nar/<file>?uploadId=ID` with `{"parts": [...]}`: joins the parts and checks the
   * file's hash against its name (refused with a `CacheUploadError`, nothing kept, if not).
   */
  complete(file: string, uploadId: string, parts: readonly CachePartTag[]): Promise<void>;
  /** `DELETE /nar/<file>?uploadId=ID`: drops the upload and its parts. */
  abort(file: string, uploadId: string): Promise<void>;
}

/** What a writable store does with the three kinds of upload Nix sends. */
export interface CacheUploads {
  /** Present when the store takes NAR files in parts. */
  readonly narParts?: CacheNarPartUploads;
  /** `PUT /nar/<file>`: keeps the NAR file aside until a narinfo names it. */
  putNar(file: string, body: UploadBody): Promise<void>;
  /** `PUT /<hash>.ls`: keeps the listing aside until the narinfo of `hashPart` arrives. */
  putListing(hashPart: string, body: UploadBody): Promise<void>;
  /**
   * `PUT /<hash>.narinfo`: checks the NAR it names against it (file hash and size, NAR hash and
   * size) and publishes both, or refuses with a `CacheUploadError` and keeps nothing of them.
   */
  putNarInfo(hashPart: string, text: string): Promise<void>;
}

/** A store the cache handler serves. */
export interface CacheStore {
  /** The store's side of `nix-cache-info` (the handler may override the priority). */
  cacheInfo(): Promise<CacheStoreInfo>;
  /** The narinfo of the path whose hash part is `hashPart`, if the store has it. */
  narInfo(hashPart: string): Promise<NarInfo | undefined>;
  /**
   * The narinfo text as stored, when the store keeps texts (served unchanged when nothing is to
   * be signed or rewritten). Optional.
   */
  narInfoText?(hashPart: string): Promise<string | undefined>;
  /** The NAR file `nar/<file>` (a name from a narinfo's `URL`), if the store has it. */
  nar(file: string): Promise<StoredNar | undefined>;
  /** The `.ls` listing (JSON) of the path whose hash part is `hashPart`, if available. */
  listing(hashPart: string): Promise<StoredFile | undefined>;
  /** Present when the store takes uploads. */
  readonly uploads?: CacheUploads;
}

/** The `nix-cache-info` text of `info`. */
export function formatCacheInfo(info: CacheStoreInfo): string {
  return (
    `StoreDir: ${info.storeDir}\n` +
    `WantMassQuery: ${info.wantMassQuery ? 1 : 0}\n` +
    `Priority: ${info.priority}\n`
  );
}
