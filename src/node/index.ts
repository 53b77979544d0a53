/**
 * `nix-compat/node`: Node-only adapters — native hashing (`node:crypto`), file hashing, NAR
 * dump/restore of filesystem paths, store paths of filesystem paths, and conversions between
 * async iterables of bytes and Node/Web streams. The worker-protocol socket client is
 * `nix-compat/daemon/node`.
 *
 * @module
 */
export { hashFileSync } from "./file-hash.js";
export { installNodeHashing, nodeHashBackend } from "./hash-backend.js";
export {
  type DumpOptions,
  dumpPath,
  dumpPathChunks,
  dumpPathToBytes,
  fdChunkSource,
  type FdChunkSource,
  fileChunkSource,
  fromNodeReadable,
  fromWebStream,
  hashPath,
  type IoFault,
  IO_THREADS,
  ioPool,
  IoPool,
  type IoPoolOptions,
  type IoTicket,
  IoWorkerLostError,
  narHashAndSize,
  NarRestoreError,
  nodeWritableSink,
  restoreNar,
  type RestoreOptions,
  SOURCE_CHUNK_SIZE,
  storePathOfPath,
  type StorePathOfPathOptions,
  toNodeReadable,
  toWebStream,
} from "./nar.js";
