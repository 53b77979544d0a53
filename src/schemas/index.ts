/**
 * `nix-compat/schemas`: zod schemas for Nix's JSON documents — hashes, content addresses,
 * store paths, derivations (every version Nix has printed), narinfo, path-info, closures for
 * `exportReferencesGraph`, NAR listings — and the validation helpers that report every issue
 * with its JSON path.
 *
 * @module
 */
export {
  ClosureEntryJson,
  ClosureJson,
  type ClosureJsonValue,
  type ClosureObject,
  makeClosureJson,
  parseClosureJson,
} from "./closure.js";
export {
  contentAddressFromJson,
  ContentAddressJson,
  ContentAddressMethodJson,
  contentAddressToJson,
  hashFromJson,
  HashJson,
  hashToJson,
  storePathFromJson,
  StorePathJson,
  storePathToJson,
} from "./core.js";
export {
  absoluteDrvPath,
  absoluteStorePath,
  argsJson,
  baseDrvPath,
  baseStorePath,
  caMethod,
  type DerivationSchemaOptions,
  derivationTailJson,
  envJson,
  hashAlgorithm,
  hexDigest,
  inputDrvOutputsJson,
  methodAlgo,
  outputSetJson,
  type OutputSetJson,
  sriHash,
  structuredAttrsJson,
  uniqueItems,
} from "./derivation-common.js";
export { derivationJsonSchema, type DerivationJsonSchemaName } from "./derivation-json-schema.js";
export {
  type DerivationOutputV1,
  derivationOutputV1Schema,
  type DerivationV1,
  derivationV1KeyedSchema,
  derivationV1Schema,
  makeDerivationOutputV1Schema,
  makeDerivationV1KeyedSchema,
  makeDerivationV1Schema,
} from "./derivation-v1.js";
export {
  type DerivationV2,
  derivationV2Schema,
  makeDerivationOutputV2Schema,
  makeDerivationV2Schema,
} from "./derivation-v2.js";
export {
  derivationOutputV3Schema,
  type DerivationV3,
  derivationV3Schema,
} from "./derivation-v3.js";
export {
  type DerivationOutputV4,
  derivationOutputV4Schema,
  type DerivationV4,
  derivationV4DocumentSchema,
  derivationV4Schema,
} from "./derivation-v4.js";
export {
  NarListingJson,
  NarListingNodeJson,
  NarListingRegularJson,
  NarListingSymlinkJson,
} from "./nar-listing.js";
export {
  narInfoFromJson,
  NarInfoJson,
  type NarInfoJsonOptions,
  type NarInfoJsonValue,
  narInfoToJson,
} from "./narinfo.js";
export {
  AbsoluteStorePathJson,
  AnyHashJson,
  ContentAddressStringJson,
  narInfoToNix28PathInfoJson,
  narInfoToStoreObjectInfoJson,
  Nix28PathInfoJson,
  Nix28PathInfoListJson,
  type Nix28PathInfoOptions,
  parseStoreObjectInfoJson,
  SignatureObjectJson,
  SignatureStringJson,
  StoreObjectInfoJson,
  StoreObjectInfoV1Json,
  StoreObjectInfoV2Json,
  StoreObjectInfoV3Json,
} from "./path-info.js";
export {
  checkWithSchema,
  type JsonIssue,
  JsonValidationError,
  parseWithSchema,
  toJsonIssues,
} from "./validate.js";
