/**
 * The NAR adapters of `nix-compat/node` in one import: dump, restore, path hashing, chunk
 * sources over file descriptors, stream adapters, and the I/O pool their pipelines share.
 *
 * @module
 */
export {
  fdChunkSource,
  type FdChunkSource,
  fileChunkSource,
  SOURCE_CHUNK_SIZE,
} from "./byte-sources.js";
export {
  type IoFault,
  IO_THREADS,
  ioPool,
  IoPool,
  type IoPoolOptions,
  type IoTicket,
  IoWorkerLostError,
} from "./io-pool.js";
export {
  type DumpOptions,
  dumpPath,
  dumpPathChunks,
  dumpPathToBytes,
  hashPath,
  narHashAndSize,
} from "./nar-dump.js";
export { NarRestoreError, restoreNar, type RestoreOptions } from "./nar-restore.js";
export { storePathOfPath, type StorePathOfPathOptions } from "./nar-store-path.js";
export {
  fromNodeReadable,
  fromWebStream,
  nodeWritableSink,
  toNodeReadable,
  toWebStream,
} from "./streams.js";
