/**
 * `nix-compat/core`: portable basics — errors, encodings, hashes, content addresses, store
 * paths and their computation. No `node:` imports.
 *
 * @module
 */
export { Base16Error, base16Decode, base16Encode } from "./base16.js";
export {
  Base64Error,
  base64Decode,
  base64DecodeAsNix,
  base64EncodedLength,
  base64Encode,
} from "./base64.js";
export { isBytes } from "./bytes.js";
export {
  byteChunks,
  type ByteSourceInput,
  type ByteStreamInput,
  type ChunkSource,
  type WebByteStream,
  type WebByteStreamReader,
} from "./byte-stream.js";
export { canonicalJson } from "./canonical-json.js";
export {
  type ContentAddress,
  ContentAddressError,
  type ContentAddressMethod,
  formatContentAddress,
  formatMethodAlgo,
  type MethodAlgo,
  parseContentAddress,
  parseMethodAlgo,
} from "./content-address.js";
export {
  type ErrorPosition,
  isNixCompatError,
  LimitExceededError,
  MalformedInputError,
  NixCompatError,
  type NixCompatErrorOptions,
  TruncatedInputError,
  UsageError,
  ValidationError,
} from "./errors.js";
export {
  decodeGitTree,
  encodeGitBlob,
  encodeGitTree,
  type GitEntryMode,
  type GitHashAlgorithm,
  GIT_MODES,
  GitObjectError,
  gitObjectHash,
  GitObjectTruncatedError,
  type GitTreeEntry,
  isGitHashAlgorithm,
} from "./git.js";
export {
  computeHash,
  formatDigest,
  formatHash,
  type Hash,
  HASH_ENCODINGS,
  type HashEncoding,
  hashEquals,
  HashError,
  makeHash,
  parseDigest,
  parseHash,
  type ParseHashOptions,
} from "./hash.js";
export {
  HASH_ALGORITHMS,
  HASH_SIZES,
  type HashAlgorithm,
  isHashAlgorithm,
  NIX_2_8_HASH_ALGORITHMS,
  parseHashAlgorithm,
  UnknownHashAlgorithmError,
} from "./hash-algorithm.js";
export {
  createHasher,
  getHashBackend,
  type HashBackend,
  hashBytes,
  type Hasher,
  hashStream,
  nobleHashBackend,
  setHashBackend,
} from "./hasher.js";
export {
  isNixbase32,
  NIXBASE32_ALPHABET,
  Nixbase32Error,
  nixbase32Decode,
  nixbase32DecodedLength,
  nixbase32Encode,
  nixbase32EncodedLength,
} from "./nixbase32.js";
export {
  compareStorePaths,
  DEFAULT_STORE_DIR,
  isStorePath,
  isValidStorePathName,
  MAX_STORE_PATH_NAME_LENGTH,
  parseStorePath,
  parseStorePathBaseName,
  parseStorePathLenient,
  STORE_PATH_DIGEST_SIZE,
  STORE_PATH_HASH_LENGTH,
  type StorePath,
  storePathBaseName,
  storePathDigest,
  storePathEquals,
  StorePathError,
  type StorePathNameRules,
  type StorePathOptions,
  storePathToAbsolute,
  validateStoreDir,
  validateStorePathName,
} from "./store-path.js";
export {
  compressHash,
  downstreamPlaceholder,
  type FixedOutputPathOptions,
  hashPlaceholder,
  makeFixedOutputPath,
  makeOutputPath,
  makeStorePath,
  makeTextPath,
  outputPathName,
  StorePathComputeError,
  type StorePathLike,
} from "./store-path-compute.js";
