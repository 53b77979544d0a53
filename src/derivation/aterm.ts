/**
 * Reading `.drv` files: the fast scanner for the canonical form (`aterm-scanner.ts`), else
 * the Parsimmon grammar (`src/grammar/derivation-grammar.ts`) and the assembler
 * (`assemble.ts`), which are the one source of errors and read every rarer form. Both give
 * the same value for the same bytes.
 *
 * ```text
 * bytes ──UTF-8, canonical──► scanner ──────────────────────────► Derivation
 *   └──── anything else (or the scanner declines) ─► grammar ─► assembler ─┘
 * ```
 *
 * Parsing is byte-exact: `system`, `builder`, each argument and environment value that is not
 * valid UTF-8 comes out as a `Uint8Array` (see `DrvString`), each such environment name as a
 * string with lone surrogates for its stray bytes (`bytesToName`). Errors carry the byte
 * offset of the offending token (and, for syntax errors, the grammar rule, line and column).
 * Round trips are exact: see `aterm-print.ts` and `Derivation.spelling`.
 *
 * @module
 */
import { DEFAULT_STORE_DIR } from "../core/store-path.js";
import { decodeUtf8OrUndefined } from "../grammar/aterm-strings.js";
import type { GrammarRule } from "../grammar/grammar-rule.js";
import {
  type DerivationGrammarOptions,
  type DerivationTerms,
  derivationGrammarRule,
  parseDerivationTerms,
} from "../grammar/derivation-grammar.js";
import { assembleDerivation } from "./assemble.js";
import { scanCanonicalDerivation } from "./aterm-scanner.js";
import {
  ATermSyntaxError,
  ATermTruncatedError,
  DerivationFormatError,
  DerivationLimitError,
} from "./errors.js";
import { MAX_DYNAMIC_OUTPUT_DEPTH } from "./limits.js";
import type { Derivation } from "./types.js";

/** Options of the derivation parsers. */
export interface ParseDerivationOptions {
  /** Store directory the paths must be in (default `/nix/store`). */
  readonly storeDir?: string;
  /** File name for error messages. */
  readonly file?: string;
  /**
   * Refuse what Nix 2.8 reads but never writes (duplicates, unknown escapes, bytes after the
   * final `)`, see `DerivationQuirk`) instead of reading it as Nix does and recording it in
   * `quirks`. Default false.
   */
  readonly strict?: boolean;
  /** How deep dynamic outputs may nest (default {@link MAX_DYNAMIC_OUTPUT_DEPTH}). */
  readonly maxDynamicOutputDepth?: number;
}

/** The error for an output set nested deeper than `max` dynamic-output levels, opening at byte `offset`. */
function dynamicOutputsTooDeep(max: number, offset: number): DerivationLimitError {
  return new DerivationLimitError(
    "derivation.dynamic-outputs-too-deep",
    `dynamic outputs nest deeper than ${max} levels (the limit maxDynamicOutputDepth)`,
    { offset },
  );
}

function grammarOptions(options: ParseDerivationOptions): DerivationGrammarOptions {
  return {
    lenient: options.strict !== true,
    maxDynamicOutputDepth: options.maxDynamicOutputDepth ?? MAX_DYNAMIC_OUTPUT_DEPTH,
    tooDeep: dynamicOutputsTooDeep,
  };
}

/**
 * The derivation grammar (Parsimmon) as Nix writes `.drv` files (strict), producing the
 * terms as written; {@link parseDerivationWithGrammar} turns them into the model.
 */
export const derivationGrammar: GrammarRule<DerivationTerms> = derivationGrammarRule(
  grammarOptions({ strict: true }),
);

/** Adds the file name to the library's errors. */
function withFile<T>(options: ParseDerivationOptions, read: () => T): T {
  if (options.file === undefined) return read();
  try {
    return read();
  } catch (err) {
    if (
      err instanceof ATermSyntaxError ||
      err instanceof ATermTruncatedError ||
      err instanceof DerivationFormatError ||
      err instanceof DerivationLimitError
    ) {
      throw err.withContext({ file: options.file });
    }
    throw err;
  }
}

/**
 * Parses a derivation with the Parsimmon grammar and the assembler alone (what the fast
 * scanner falls back on). Same results and errors as {@link parseDerivationATerm}.
 */
export function parseDerivationWithGrammar(
  bytes: Uint8Array,
  options: ParseDerivationOptions = {},
): Derivation {
  return withFile(options, () =>
    assembleDerivation(parseDerivationTerms(bytes, grammarOptions(options)), bytes, {
      storeDir: options.storeDir ?? DEFAULT_STORE_DIR,
      strict: options.strict === true,
    }),
  );
}

/**
 * Parses a derivation from the bytes of a `.drv` file. Throws `ATermSyntaxError`,
 * `ATermTruncatedError`, `DerivationFormatError` or `DerivationLimitError`.
 */
export function parseDerivationATerm(
  bytes: Uint8Array,
  options: ParseDerivationOptions = {},
): Derivation {
  const text = decodeUtf8OrUndefined(bytes);
  if (text !== undefined) {
    const drv = scanCanonicalDerivation(text, options.storeDir ?? DEFAULT_STORE_DIR);
    if (drv !== undefined) return drv;
  }
  return parseDerivationWithGrammar(bytes, options);
}

const encoder = new TextEncoder();

/**
 * Parses a derivation from a JS string (text already decoded). Offsets in errors are byte
 * offsets of the UTF-8 encoding.
 */
export function parseDerivationATermString(
  text: string,
  options: ParseDerivationOptions = {},
): Derivation {
  return (
    scanCanonicalDerivation(text, options.storeDir ?? DEFAULT_STORE_DIR) ??
    parseDerivationWithGrammar(encoder.encode(text), options)
  );
}
