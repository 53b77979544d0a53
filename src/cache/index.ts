/**
 * Binary caches (`nix-compat/cache`). The client: `nix-cache-info`, narinfos, NARs checked
 * against their narinfo while they stream, `.ls` listings, signature checks, and the
 * decompression and compression of NAR files (`none`, `xz`, `zstd`, `bzip2`, `br`) as
 * async-iterable and Web-stream transforms. The server: one fetch-style handler over a store
 * (the daemon's, a folder's, memory, an R2 bucket), portable to Workers. Portable: `fetch` and
 * Web streams only; Node adapters (`node:http`, `file://` folders, `node:zlib` codecs) are in
 * `nix-compat/cache/node`.
 *
 * @module
 */
export {
  type BinaryCache,
  type BinaryCacheOptions,
  type CacheFetch,
  cacheFileUrl,
  type CacheNarListing,
  fetchCacheFile,
  fetchCacheInfo,
  fetchNarInfo,
  fetchNarListing,
  MAX_CACHE_TEXT_SIZE,
  openBinaryCache,
  requireTrustedSignature,
} from "./binary-cache.js";
export {
  type BlobCacheStoreOptions,
  createBlobCacheStore,
  DEFAULT_CACHE_PRIORITY,
  DEFAULT_MAX_NAR_UPLOAD_BYTES,
  DEFAULT_NAR_PART_SIZE,
  MAX_LISTING_UPLOAD_BYTES,
  MAX_NAR_PARTS,
} from "./blob-cache-store.js";
export { type CacheBlobParts, type CacheBlobs, MemoryCacheBlobs } from "./cache-blobs.js";
export {
  type CacheHandler,
  type CacheHandlerOptions,
  createCacheHandler,
  MAX_NARINFO_UPLOAD_BYTES,
  MAX_PART_LIST_BYTES,
} from "./cache-handler.js";
export { type CacheInfo, MAX_CACHE_INFO_SIZE, parseCacheInfo } from "./cache-info.js";
export {
  type CacheNarPartUploads,
  type CachePartTag,
  type CacheStore,
  type CacheStoreInfo,
  type CacheUploads,
  formatCacheInfo,
  type StoredFile,
  type StoredNar,
  type UploadBody,
} from "./cache-store.js";
export {
  type CacheUploadOptions,
  MAX_UPLOAD_PART_SIZE,
  type NarFileUpload,
  type UploadFetch,
  uploadNarFile,
  uploadNarInfo,
} from "./cache-upload-client.js";
export { checkNar, type CheckNarOptions, fetchNar, readCachedNar } from "./checked-nar.js";
export {
  type CompressionCodec,
  type CompressOptions,
  installedCompressionCodec,
  setCompressionCodec,
} from "./codec-registry.js";
export { installXzWasm } from "./codec-xz.js";
export {
  canRunCompression,
  compress,
  compressionCodec,
  decompress,
  type DecompressOptions,
} from "./compression.js";
export {
  COMPRESSION_METHODS,
  compressionExtension,
  type CompressionMethod,
  isCompressionMethod,
  parseCompressionMethod,
} from "./compression-method.js";
export { compressionStream, decompressionStream } from "./compression-streams.js";
export {
  createDaemonCacheStore,
  type DaemonCacheStoreOptions,
  type DaemonCacheUploadOptions,
  DEFAULT_DAEMON_CACHE_PRIORITY,
  DEFAULT_MAX_CACHED_PATH_INFOS,
  DEFAULT_PATH_INFO_TTL_MS,
} from "./daemon-cache-store.js";
export {
  CacheInfoError,
  CacheIntegrityError,
  CacheListingError,
  CacheResponseError,
  CompressedDataError,
  CompressedDataTruncatedError,
  CompressionUnsupportedError,
} from "./errors.js";
export {
  createR2CacheStore,
  R2_PART_SIZE,
  type R2BucketLike,
  r2CacheBlobs,
  type R2CacheStoreOptions,
  type R2MultipartUploadLike,
  type R2ObjectBodyLike,
  type R2ObjectLike,
  WORKERS_REQUEST_BODY_LIMIT,
} from "./r2-cache-store.js";
export { CacheUploadError, CacheUploadTooLargeError } from "./server-errors.js";
export type { ByteTransform } from "./web-streams.js";
