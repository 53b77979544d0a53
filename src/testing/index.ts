/**
 * `nix-compat/testing`: fast-check arbitraries for every value this library models (hashes,
 * store paths, content addresses, NAR trees, derivations, narinfos, wire and serve-protocol messages), so you can
 * property-test your own code against ours. Requires `fast-check` (a peer dependency).
 *
 * @module
 */
export {
  arbContentAddress,
  arbHash,
  arbHashAlgorithm,
  arbHashEncoding,
  arbNix28HashAlgorithm,
  arbStorePath,
  arbStorePathHash,
  arbStorePathName,
} from "./core.js";
export {
  arbAbsoluteStorePath,
  arbDerivation,
  arbDerivationAttrs,
  type ArbDerivationOptions,
  arbDrvString,
  arbDrvText,
  arbOutputName,
  arbRawBytes,
  arbRawNixText,
  type DerivationAttrs,
  derivationAttrsSource,
  derivationAttrsToNix,
  nixStringLiteral,
} from "./derivation.js";
export {
  arbNarBytes,
  arbNarContents,
  arbNarName,
  arbNarTarget,
  arbNarTree,
  type NarTreeOptions,
  sortNarEntries,
} from "./nar.js";
export {
  arbKeyName,
  arbNarInfo,
  type ArbNarInfoOptions,
  arbNarInfoStorePath,
  arbNarInfoUnknownField,
  arbSignature,
} from "./narinfo.js";
export {
  arbServeBuildOptions,
  arbServeBuildResult,
  arbServePathInfo,
  arbServeVersion,
} from "./serve.js";
export {
  arbTextMutation,
  type ArbTextMutationOptions,
  mutateText,
  NARINFO_MUTATION_TOKENS,
  type TextMutation,
} from "./text-mutation.js";
export {
  arbBuildResult,
  arbClientSettings,
  arbDerivedPath,
  arbExportEntry,
  arbPathInfo,
  arbProtocolVersion,
  arbStderrMessage,
  arbStorePathString,
  arbWireText,
} from "./wire.js";
