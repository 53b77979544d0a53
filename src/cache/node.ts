/**
 * Node adapters of `nix-compat/cache` (Node only): `node:zlib` and native codecs, a `fetch`
 * that reads `file://` caches, `node:http` serving a cache handler, `file://` cache folders as
 * a store.
 *
 * @module
 */
export {
  DEFAULT_BROTLI_QUALITY,
  DEFAULT_XZ_PRESET,
  DEFAULT_ZSTD_LEVEL,
  installNodeCompression,
  nodeBrotliCodec,
  nodeXzCodec,
  nodeZstdCodec,
} from "./node-compression.js";
export {
  createFileCacheStore,
  DEFAULT_STALE_UPLOAD_AGE_MS,
  fileCacheBlobs,
  removeStaleUploads,
  type RemoveStaleUploadsOptions,
} from "./node-file-blobs.js";
export { fileFetch } from "./node-file-fetch.js";
export {
  DEFAULT_KEEP_ALIVE_TIMEOUT_MS,
  DEFAULT_MAX_HEADER_BYTES,
  DEFAULT_SHUTDOWN_GRACE_MS,
  type NodeCacheServer,
  serveWithNode,
  type ServeWithNodeOptions,
} from "./node-http-server.js";
