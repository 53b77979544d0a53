/**
 * nix-compat: every format Nix speaks, byte for byte as C++ Nix does. This root entry point is
 * portable (no `node:` imports); Node adapters are in `nix-compat/node` and
 * `nix-compat/daemon/node`, fast-check arbitraries in `nix-compat/testing`.
 *
 * The root holds the text formats and their basics: hashes and store paths, derivations in
 * ATerm, narinfo and signing keys, with their errors. Each name is chosen here (the list is
 * pinned by `test/unit/public-api.test.ts` against `test/unit/public-api.json`): adding one
 * is a decision. Everything else of an area is in its subpath: `nix-compat/core`, `/codecs`
 * (the binary grammar language), `/nar` (NAR), `/derivation` (also derivation JSON),
 * `/narinfo`, `/signing`, `/schemas` (zod schemas of Nix's JSON documents), `/daemon`,
 * `/serve`, `/export`.
 *
 * The root is cheap to import (`bench/import.bench.mjs`: at most 2× `nix-compat/core`): it
 * loads no zod (validating JSON is `nix-compat/derivation` / `nix-compat/schemas`), and not
 * the binary codecs NAR is read with (`nix-compat/nar`, as cheap as `nix-compat/core` on its
 * own). Derivation and signing names come from their files, not from their folder's index
 * (`./derivation/index.js` carries the JSON functions and so zod).
 *
 * @module
 */

// Errors of every area (the classes to test with `instanceof`, and their common base).
export {
  Base16Error,
  Base64Error,
  ContentAddressError,
  type ErrorPosition,
  GitObjectError,
  GitObjectTruncatedError,
  HashError,
  isNixCompatError,
  LimitExceededError,
  MalformedInputError,
  NixCompatError,
  type NixCompatErrorOptions,
  Nixbase32Error,
  StorePathComputeError,
  StorePathError,
  TruncatedInputError,
  UnknownHashAlgorithmError,
  UsageError,
  ValidationError,
} from "./core/index.js";

// Hashes, encodings, store paths, content addresses (`nix-compat/core` has the rest).
export {
  base16Decode,
  base16Encode,
  base64Decode,
  base64Encode,
  type ByteSourceInput,
  type ByteStreamInput,
  compareStorePaths,
  compressHash,
  computeHash,
  type ContentAddress,
  type ContentAddressMethod,
  createHasher,
  DEFAULT_STORE_DIR,
  downstreamPlaceholder,
  type FixedOutputPathOptions,
  formatContentAddress,
  formatDigest,
  formatHash,
  formatMethodAlgo,
  HASH_ALGORITHMS,
  HASH_ENCODINGS,
  HASH_SIZES,
  type Hash,
  type HashAlgorithm,
  type HashBackend,
  hashBytes,
  type HashEncoding,
  hashEquals,
  type Hasher,
  hashPlaceholder,
  hashStream,
  isHashAlgorithm,
  isNixbase32,
  isStorePath,
  isValidStorePathName,
  makeFixedOutputPath,
  makeHash,
  makeOutputPath,
  makeStorePath,
  makeTextPath,
  type MethodAlgo,
  nixbase32Decode,
  nixbase32Encode,
  outputPathName,
  parseContentAddress,
  parseDigest,
  parseHash,
  parseHashAlgorithm,
  type ParseHashOptions,
  parseMethodAlgo,
  parseStorePath,
  parseStorePathBaseName,
  setHashBackend,
  type StorePath,
  storePathBaseName,
  storePathDigest,
  storePathEquals,
  type StorePathLike,
  type StorePathOptions,
  storePathToAbsolute,
  validateStorePathName,
} from "./core/index.js";

// Derivations: the model, ATerm, hashes and output paths, Nix's rules.
export {
  ATermSyntaxError,
  ATermTruncatedError,
  DerivationFormatError,
  DerivationLimitError,
  DerivationValidationError,
} from "./derivation/errors.js";
export {
  type CaFixedOutput,
  type CaFloatingOutput,
  type DeferredOutput,
  type Derivation,
  type DerivationOutput,
  type DerivationQuirk,
  type DerivationSpelling,
  derivationName,
  derivationStructuredAttrs,
  type DrvString,
  type ImpureOutput,
  type InputAddressedOutput,
  type OutputSet,
} from "./derivation/types.js";
export {
  computeOutputPaths,
  computeOutputPathsSync,
  type DerivationHashOptions,
  type DerivationLookup,
  type DerivationLookupSync,
  derivationPath,
  type DerivationPathOptions,
  derivationStorePath,
  type DrvHash,
  type DrvHashCache,
  drvHashHex,
  hashDerivationModulo,
  hashDerivationModuloSync,
  type HashModuloOptions,
  type HashModuloSyncOptions,
  type OutputPaths,
} from "./derivation/hash.js";
export {
  type FillInOptions,
  fillInOutputPaths,
  derivationProblems,
  validateDerivation,
  type ValidateOptions,
} from "./derivation/validate.js";
export {
  parseDerivationATerm,
  parseDerivationATermString,
  type ParseDerivationOptions,
} from "./derivation/aterm.js";
export {
  printDerivationATerm,
  printDerivationATermString,
  type PrintDerivationOptions,
} from "./derivation/aterm-print.js";
export { bytesToName, nameToBytes } from "./grammar/aterm-strings.js";

// narinfo: parse, print, fingerprint, sign, verify.
export {
  checkNarInfoSignatures,
  type FingerprintOptions,
  type NarInfo,
  NarInfoError,
  narInfoFingerprint,
  type NarInfoQuirk,
  narInfoQuirks,
  type NarInfoQuirks,
  type NarInfoUnknownField,
  normaliseNarInfo,
  type NormaliseOptions,
  parseNarInfo,
  type ParseNarInfoOptions,
  printNarInfo,
  type PrintNarInfoOptions,
  type SignatureCheck,
  signNarInfo,
  verifyNarInfo,
} from "./narinfo/index.js";

// Signing keys and detached signatures (the Ed25519 backend is chosen in `nix-compat/signing`).
export {
  formatPublicKey,
  formatSecretKey,
  formatSignature,
  generateSecretKey,
  parsePublicKey,
  parseSecretKey,
  parseSignature,
  type PublicKey,
  publicKeyOf,
  type SecretKey,
  type Signature,
  signDetached,
  SigningError,
  verifyDetached,
} from "./signing/keys.js";
