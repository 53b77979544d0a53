/**
 * Derivations: the model, ATerm parsing and printing, JSON in every version, hashing (drv
 * path, `hashDerivationModulo`, output paths) and Nix's rules.
 *
 * ```ts
 * import { parseDerivationATerm, derivationPath, computeOutputPathsSync } from "nix-compat/derivation";
 * const drv = parseDerivationATerm(bytes);
 * derivationPath(drv);                 // "/nix/store/...-hello.drv"
 * ```
 *
 * @module
 */
// The ATerm grammar (Parsimmon rules anyone may reuse) and the derivation grammar.
export {
  type ATerm,
  type ATermAppl,
  atermAppl,
  type ATermList,
  atermList,
  type ATermString,
  atermString,
  atermStringLenient,
  atermTerm,
  type ATermTuple,
  atermTuple,
  type GrammarPosition,
  type GrammarResult,
  type GrammarRule,
  listOf,
  parseATerm,
  printATerm,
  runATermParser,
  tupleOf,
} from "../grammar/aterm.js";
export { bytesToName, nameToBytes } from "../grammar/aterm-strings.js";
export {
  derivationGrammar,
  parseDerivationATerm,
  parseDerivationATermString,
  type ParseDerivationOptions,
  parseDerivationWithGrammar,
} from "./aterm.js";
export {
  canonicalPrintUnlessSame,
  DYN_DRV_VERSION,
  printDerivationATerm,
  printDerivationATermString,
  type PrintDerivationOptions,
} from "./aterm-print.js";
export {
  type DerivationGrammarOptions,
  derivationGrammarRule,
  type DerivationStringTerm,
  type DerivationTerms,
  type OutputSetTerm,
  parseDerivationTerms,
} from "../grammar/derivation-grammar.js";
export {
  ATermSyntaxError,
  ATermTruncatedError,
  DerivationFormatError,
  DerivationLimitError,
  DerivationValidationError,
} from "./errors.js";
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
} from "./hash.js";
// Derivation JSON (validated by the zod schemas of src/schemas: importing it loads zod).
export {
  assertDerivationJson,
  type DerivationJsonDocument,
  type DerivationJsonEntry,
  type DerivationJsonOptions,
  type DerivationJsonProblem,
  type DerivationJsonShape,
  type DerivationJsonVersion,
  DerivationJsonSyntaxError,
  DerivationJsonTruncatedError,
  derivationFromJson,
  derivationJsonProblems,
  derivationsToJsonV4,
  derivationToJson,
  type DerivationToJsonOptions,
  detectDerivationJson,
  parseDerivationJsonBytes,
  parseDerivationJsonText,
  readDerivationJson,
  readDerivationJsonBytes,
} from "./json.js";
export type { DerivationJsonDepthProblem, DerivationJsonLimits } from "./json-limits.js";
export { MAX_DYNAMIC_OUTPUT_DEPTH, MAX_JSON_DEPTH } from "./limits.js";
export { printShowDerivationJson, showDerivationJsonChunks, transcodeShowEntry } from "./show.js";
export { type DerivationKind, derivationKind } from "./kind.js";
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
  drvStringEquals,
  drvStringToDisplay,
  type ImpureOutput,
  type InputAddressedOutput,
  outputSet,
  type OutputSet,
} from "./types.js";
export {
  type ConsistencyOptions,
  derivationConsistencyProblems,
  derivationProblems,
  type FillInOptions,
  fillInOutputPaths,
  validateDerivation,
  type ValidateOptions,
} from "./validate.js";
