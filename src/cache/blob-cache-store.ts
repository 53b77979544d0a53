/**
 * A binary cache laid out as Nix lays out `file://` and `s3://` caches, over any
 * {@link CacheBlobs} (a folder, memory, an R2 bucket), readable and writable.
 *
 * Uploads arrive as `nix copy --to http://...` sends them (checked with Nix 2.8): the NAR at
 * `nar/<file hash>.nar[.ext]`, the `.ls` listing when asked for, then the narinfo. A NAR is
 * streamed to `.uploads/nar/<file>` (never served from there) while its sha256 is computed,
 * and refused at once when that is not the hash its name says. The narinfo is then checked
 * against it (`FileHash`, `FileSize`; the NAR decompressed and hashed for `NarHash`,
 * `NarSize`): when it holds, NAR and listing move into place and the narinfo is written last,
 * so a reader never sees a narinfo before its NAR; when it does not, both are deleted.
 *
 * @module
 */
import { isNixCompatError } from "../core/errors.js";
import { formatDigest } from "../core/hash.js";
import { nixbase32Encode } from "../core/nixbase32.js";
import { DEFAULT_STORE_DIR } from "../core/store-path.js";
import { parseNarInfo } from "../narinfo/parse.js";
import type { NarInfo } from "../narinfo/types.js";
import type { CacheBlobParts, CacheBlobs } from "./cache-blobs.js";
import { cacheRoute } from "./cache-routes.js";
import { parseCacheInfo } from "./cache-info.js";
import type {
  CacheNarPartUploads,
  CacheStore,
  CacheStoreInfo,
  CacheUploads,
  StoredNar,
  UploadBody,
} from "./cache-store.js";
import { canRunCompression } from "./compression.js";
import {
  COMPRESSION_METHODS,
  compressionExtension,
  isCompressionMethod,
} from "./compression-method.js";
import { decompressionStream } from "./compression-streams.js";
import { CacheUploadError, CacheUploadTooLargeError } from "./server-errors.js";
import {
  badNarNameError,
  NAR_UPLOAD_NAME,
  stageNarUpload,
  stagedNarKey as stagedNar,
  UPLOADS_PREFIX,
  wrongFileHashError as wrongFileHash,
} from "./staged-nar.js";
import { type Measured, measureStream, readUploadBytes } from "./upload-body.js";

/** Default largest NAR file accepted in one upload: 64 GiB. */
export const DEFAULT_MAX_NAR_UPLOAD_BYTES = 64 * 2 ** 30;
/** Largest `.ls` listing accepted: 64 MiB. */
export const MAX_LISTING_UPLOAD_BYTES = 64 << 20;
/** Priority of a cache whose `nix-cache-info` says none (Nix's default for binary caches). */
export const DEFAULT_CACHE_PRIORITY = 50;
/** Default size of the parts a NAR is uploaded in (see `CacheNarPartUploads`): 32 MiB. */
export const DEFAULT_NAR_PART_SIZE = 32 << 20;
/** Most parts of one upload (R2's and S3's limit). */
export const MAX_NAR_PARTS = 10_000;

/** Options of {@link createBlobCacheStore}. */
export interface BlobCacheStoreOptions {
  /** Store directory when the blobs hold no `nix-cache-info` (default `/nix/store`). */
  readonly storeDir?: string;
  /** Largest NAR file accepted in one request (default {@link DEFAULT_MAX_NAR_UPLOAD_BYTES}). */
  readonly maxNarUploadBytes?: number;
  /**
   * Size of the parts of a NAR uploaded in parts, when the blobs take parts (default
   * {@link DEFAULT_NAR_PART_SIZE}, and never above `maxNarUploadBytes`).
   */
  readonly narPartSize?: number;
  /** Largest NAR file accepted in parts (default {@link DEFAULT_MAX_NAR_UPLOAD_BYTES}). */
  readonly maxPartedNarBytes?: number;
}

const decoder = new TextDecoder();

async function readAll(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  return readUploadBytes({ stream, length: undefined }, Number.MAX_SAFE_INTEGER);
}

/** The compression a NAR file's name says, from its extension. */
function compressionOfFile(file: string): string | undefined {
  return COMPRESSION_METHODS.find((m) => file.endsWith(`.nar${compressionExtension(m)}`));
}

/** `CacheBlobParts` failures (an unknown upload id, a missing part) as refused uploads. */
async function partsStep<V>(what: string, step: () => Promise<V>): Promise<V> {
  try {
    return await step();
  } catch (err) {
    if (isNixCompatError(err)) throw err;
    throw new CacheUploadError(
      "cache.upload-parts",
      `${what}: ${err instanceof Error ? err.message : String(err)}`,
      { cause: err },
    );
  }
}

/** NAR uploads in parts over `parts`, assembled at the NAR's staging key. */
function partUploads(
  blobs: CacheBlobs,
  parts: CacheBlobParts,
  maxNar: number,
  options: BlobCacheStoreOptions,
): CacheNarPartUploads {
  const partSize = Math.min(options.narPartSize ?? DEFAULT_NAR_PART_SIZE, maxNar);
  const maxFile = options.maxPartedNarBytes ?? DEFAULT_MAX_NAR_UPLOAD_BYTES;
  const nameHashOf = (file: string): string => {
    const nameHash = NAR_UPLOAD_NAME.exec(file)?.[1];
    if (nameHash === undefined) throw badNarNameError(file);
    return nameHash;
  };
  return {
    partSize,
    async begin(file) {
      nameHashOf(file);
      return partsStep(`nar/${file}`, () => parts.begin(stagedNar(file)));
    },
    async putPart(file, uploadId, partNumber, body) {
      nameHashOf(file);
      if (!Number.isInteger(partNumber) || partNumber < 1 || partNumber > MAX_NAR_PARTS) {
        await body.stream.cancel().catch(() => undefined);
        throw new CacheUploadError(
          "cache.upload-parts",
          `part numbers are 1 to ${MAX_NAR_PARTS}, not ${partNumber}`,
        );
      }
      if (partNumber * partSize > maxFile + partSize) {
        await body.stream.cancel().catch(() => undefined);
        throw new CacheUploadTooLargeError(
          "cache.upload-too-large",
          `part ${partNumber} of ${partSize} bytes goes past the ${maxFile} bytes accepted`,
        );
      }
      const bytes = await readUploadBytes(body, partSize);
      return partsStep(`part ${partNumber} of nar/${file}`, () =>
        parts.put(stagedNar(file), uploadId, partNumber, bytes),
      );
    },
    async complete(file, uploadId, tags) {
      const nameHash = nameHashOf(file);
      const key = stagedNar(file);
      await partsStep(`nar/${file}`, () => parts.complete(key, uploadId, tags));
      // the parts came in separate requests: hash the joined file once
      try {
        const stored = await blobs.get(key);
        if (stored === undefined) throw new Error(`nar/${file} vanished`);
        const measured = await measureStream(stored.open(), maxFile);
        if (nixbase32Encode(measured.sha256!) !== nameHash) throw wrongFileHash(file);
      } catch (err) {
        await blobs.delete(key);
        throw err;
      }
    },
    async abort(file, uploadId) {
      nameHashOf(file);
      await partsStep(`nar/${file}`, () => parts.abort(stagedNar(file), uploadId));
    },
  };
}

/** A readable and writable binary cache over `blobs`. */
export function createBlobCacheStore(
  blobs: CacheBlobs,
  options: BlobCacheStoreOptions = {},
): CacheStore & { readonly uploads: CacheUploads } {
  const maxNar = options.maxNarUploadBytes ?? DEFAULT_MAX_NAR_UPLOAD_BYTES;
  const cacheInfo = async (): Promise<CacheStoreInfo> => {
    const file = await blobs.get("nix-cache-info");
    const storeDir = options.storeDir ?? DEFAULT_STORE_DIR;
    if (file === undefined)
      return { storeDir, wantMassQuery: true, priority: DEFAULT_CACHE_PRIORITY };
    const info = parseCacheInfo(decoder.decode(await readAll(file.open())), {
      file: "nix-cache-info",
    });
    return {
      storeDir: info.storeDir ?? storeDir,
      wantMassQuery: info.wantMassQuery,
      priority: info.priority ?? DEFAULT_CACHE_PRIORITY,
    };
  };
  const narInfoText = async (hashPart: string): Promise<string | undefined> => {
    const file = await blobs.get(`${hashPart}.narinfo`);
    return file === undefined ? undefined : decoder.decode(await readAll(file.open()));
  };

  /** Deletes what an upload of `file` (and the listing of `hashPart`) left aside. */
  const discard = async (file: string | undefined, hashPart: string) => {
    if (file !== undefined) await blobs.delete(stagedNar(file));
    await blobs.delete(`${UPLOADS_PREFIX}${hashPart}.ls`);
  };

  /** Checks the NAR `info.url` names against `info`; returns the key it is at. */
  const checkNar = async (info: NarInfo, file: string): Promise<string> => {
    const staged = stagedNar(file);
    let key = staged;
    let stored = await blobs.get(staged);
    if (stored === undefined) {
      key = `nar/${file}`;
      stored = await blobs.get(key);
    }
    if (stored === undefined) {
      throw new CacheUploadError(
        "cache.upload-missing-nar",
        `the narinfo names ${info.url}, which was not uploaded`,
      );
    }
    const nameHash = NAR_UPLOAD_NAME.exec(file)?.[1];
    if (info.fileSize !== undefined && info.fileSize !== stored.size) {
      throw new CacheUploadError(
        "cache.upload-file-size",
        `FileSize is ${info.fileSize} but ${info.url} has ${stored.size} bytes`,
      );
    }
    if (info.fileHash !== undefined && formatDigest(info.fileHash, "nix32") !== nameHash) {
      throw new CacheUploadError(
        "cache.upload-file-hash",
        `FileHash does not match the hash of ${info.url}`,
      );
    }
    const method = info.compression ?? "bzip2";
    if (!isCompressionMethod(method) || !canRunCompression(method, "decompress")) {
      throw new CacheUploadError(
        "cache.upload-unknown-compression",
        `cannot check a NAR compressed with '${method}' (this runtime decompresses ${COMPRESSION_METHODS.filter((m) => canRunCompression(m, "decompress")).join(", ")})`,
      );
    }
    // a plain NAR is hashed as it is stored (no transform in between: piped to a native
    // digest where the runtime has one)
    const narStream =
      method === "none" ? stored.open() : stored.open().pipeThrough(decompressionStream(method));
    let nar: Measured;
    try {
      nar = await measureStream(narStream, info.narSize);
    } catch (err) {
      if (isNixCompatError(err) && err.code === "cache.upload-too-large") {
        throw new CacheUploadError(
          "cache.upload-nar-size",
          `NarSize is ${info.narSize} but the NAR is longer`,
        );
      }
      throw new CacheUploadError(
        "cache.upload-undecodable",
        `${info.url} does not decompress as ${method}: ${err instanceof Error ? err.message : String(err)}`,
        { cause: err },
      );
    }
    if (nar.size !== info.narSize) {
      throw new CacheUploadError(
        "cache.upload-nar-size",
        `NarSize is ${info.narSize} but the NAR has ${nar.size} bytes`,
      );
    }
    if (
      info.narHash.algorithm !== "sha256" ||
      nixbase32Encode(nar.sha256!) !== formatDigest(info.narHash, "nix32")
    ) {
      throw new CacheUploadError("cache.upload-nar-hash", `NarHash does not match the NAR's hash`);
    }
    return key;
  };

  const narParts = blobs.parts && partUploads(blobs, blobs.parts, maxNar, options);
  const uploads: CacheUploads = {
    ...(narParts && { narParts }),
    putNar: (file: string, body: UploadBody) => stageNarUpload(blobs, file, body, maxNar),

    async putListing(hashPart: string, body: UploadBody): Promise<void> {
      const bytes = await readUploadBytes(body, MAX_LISTING_UPLOAD_BYTES);
      await blobs.put(`${UPLOADS_PREFIX}${hashPart}.ls`, bytes);
    },

    async putNarInfo(hashPart: string, text: string): Promise<void> {
      const { storeDir } = await cacheInfo();
      let info: NarInfo;
      try {
        info = parseNarInfo(text, { storeDir, file: `${hashPart}.narinfo` });
      } catch (err) {
        await discard(undefined, hashPart);
        throw err;
      }
      const route = cacheRoute(`/${info.url}`);
      const file = route?.kind === "nar" ? route.file : undefined;
      try {
        if (info.storePath.hash !== hashPart) {
          throw new CacheUploadError(
            "cache.upload-narinfo-name",
            `${hashPart}.narinfo describes ${info.storePath.hash}-${info.storePath.name}`,
          );
        }
        if (file === undefined) {
          throw new CacheUploadError("cache.upload-nar-url", `URL ${info.url} is not nar/<file>`);
        }
        const key = await checkNar(info, file);
        if (key !== `nar/${file}`) await blobs.move(key, `nar/${file}`);
      } catch (err) {
        await discard(file, hashPart);
        throw err;
      }
      const listing = await blobs.get(`${UPLOADS_PREFIX}${hashPart}.ls`);
      if (listing !== undefined)
        await blobs.move(`${UPLOADS_PREFIX}${hashPart}.ls`, `${hashPart}.ls`);
      await blobs.put(`${hashPart}.narinfo`, new TextEncoder().encode(text));
    },
  };

  return {
    cacheInfo,
    narInfoText,
    async narInfo(hashPart) {
      const text = await narInfoText(hashPart);
      if (text === undefined) return undefined;
      return parseNarInfo(text, {
        storeDir: (await cacheInfo()).storeDir,
        file: `${hashPart}.narinfo`,
      });
    },
    async nar(file): Promise<StoredNar | undefined> {
      const compression = compressionOfFile(file);
      if (compression === undefined) return undefined;
      const stored = await blobs.get(`nar/${file}`);
      return stored === undefined ? undefined : { ...stored, compression };
    },
    listing: (hashPart) => blobs.get(`${hashPart}.ls`),
    uploads,
  };
}
