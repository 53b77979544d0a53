/**
 * The derivation ATerm as a Parsimmon grammar: the one declaration of the `.drv` syntax, and
 * the only source of its syntax errors (code, rule, byte offset, line and column). It runs on
 * a binary string (one char per byte, see `bytesToBinary`), so every offset is a byte offset
 * and every string term comes out as the binary string of its unescaped bytes; the
 * derivation layer (`src/derivation/assemble.ts`) turns the terms into the model.
 *
 * ```text
 * drv       = "Derive(" body ")"
 *           | "DrvWithVersion(" version "," body ")"
 * body      = "[" output,* "]" "," "[" inputDrv,* "]" "," "[" path,* "]" ","
 *             system "," builder "," "[" arg,* "]" "," "[" envPair,* "]"
 * output    = "(" name "," path "," hashAlgo "," hash ")"
 * inputDrv  = "(" drvPath "," outputs ")"
 * outputs   = "[" name,* "]"
 *           | "(" "[" name,* "]" "," "[" ( "(" name "," outputs ")" ),* "]" ")"   (dynamic outputs)
 * envPair   = "(" key "," value ")"
 * every terminal is a string term (see aterm.ts), no whitespace anywhere
 * ```
 *
 * Read leniently (as Nix 2.8 reads it), an escape ATerm does not have is the character itself
 * (the term lists it in `unknownEscapes`) and bytes after the final `)` are ignored (`trailing`
 * is their offset). Dynamic outputs nest at most `maxDynamicOutputDepth` levels: deeper, the
 * grammar throws the caller's `tooDeep` error where the too-deep output set opens (the
 * grammar is finite for a given limit, and Parsimmon recurses once per level).
 *
 * @module
 */
import P from "parsimmon";
import { NixCompatError } from "../core/errors.js";
import { ATermSyntaxError, ATermTruncatedError } from "./aterm-errors.js";
import {
  type ATermString,
  atermOffset,
  atermString,
  atermStringLenient,
  bytesToBinary,
  listOf,
} from "./aterm.js";
import type { GrammarRule } from "./grammar-rule.js";
import { parsimmonOf } from "./parsimmon-rule.js";

/** A string term of a `.drv`; `unknownEscapes` when read leniently (see `atermStringLenient`). */
export type DerivationStringTerm = ATermString & {
  readonly unknownEscapes?: readonly { char: string; offset: number }[];
};

/** The output set of an input derivation as written: names, and dynamic outputs if any. */
export interface OutputSetTerm {
  readonly outputs: readonly DerivationStringTerm[];
  /** The `(name, outputs)` pairs of the dynamic form; undefined for the plain `[...]` form. */
  readonly dynamicOutputs: readonly (readonly [DerivationStringTerm, OutputSetTerm])[] | undefined;
  /** Byte offset where the set opens. */
  readonly offset: number;
}

/** A `.drv` file as the grammar reads it: every term as written, with its byte offset. */
export interface DerivationTerms {
  /** The `DrvWithVersion` version; undefined for `Derive`. */
  readonly version: DerivationStringTerm | undefined;
  readonly outputs: readonly (readonly [
    DerivationStringTerm,
    DerivationStringTerm,
    DerivationStringTerm,
    DerivationStringTerm,
  ])[];
  readonly inputDrvs: readonly (readonly [DerivationStringTerm, OutputSetTerm])[];
  readonly inputSrcs: readonly DerivationStringTerm[];
  readonly system: DerivationStringTerm;
  readonly builder: DerivationStringTerm;
  readonly args: readonly DerivationStringTerm[];
  readonly env: readonly (readonly [DerivationStringTerm, DerivationStringTerm])[];
  /** Read leniently: the byte offset of what follows the final `)`, when anything does. */
  readonly trailing?: number;
}

/** How the derivation grammar reads. */
export interface DerivationGrammarOptions {
  /** As Nix 2.8 reads (unknown escapes, trailing bytes) rather than the canonical form only. */
  readonly lenient: boolean;
  /** How deep dynamic outputs may nest (0: none). */
  readonly maxDynamicOutputDepth: number;
  /** The error for an output set nested deeper than the limit, opening at byte `offset`. */
  readonly tooDeep: (max: number, offset: number) => Error;
}

type Str = DerivationStringTerm;

/** What Parsimmon's parse functions return (with the furthest failure merged in). */
interface Reply<T> {
  readonly status: boolean;
  readonly index: number;
  readonly value: T;
  readonly furthest: number;
  readonly expected: string[];
}

/**
 * Which rule the furthest failure of a run happened in: {@link inRule} notes, innermost
 * first, the rule of each failure that gets further than the one before. Reset per run (the
 * grammar runs synchronously, one input at a time).
 */
const furthest = { offset: -1, rule: "" };

/**
 * `p`, named `rule` in the errors of the failures inside it (see {@link furthest}) and in
 * the errors its terms throw (a bad escape, a string cut short), innermost rule first.
 */
function inRule<T>(rule: string, p: P.Parser<T>): P.Parser<T> {
  const run = (p as unknown as { _: (input: string, i: number) => Reply<T> })._;
  return P((input, i) => {
    let r: Reply<T>;
    try {
      r = run(input, i);
    } catch (err) {
      if (err instanceof NixCompatError && err.position.rule === undefined) {
        throw err.withContext({ rule });
      }
      throw err;
    }
    if (r.furthest > furthest.offset) {
      furthest.offset = r.furthest;
      furthest.rule = rule;
    }
    return r as unknown as P.Reply<T>;
  });
}

const comma = P.string(",");
const atOffset = parsimmonOf(atermOffset);

function tuple<T extends unknown[]>(...ps: { [K in keyof T]: P.Parser<T[K]> }): P.Parser<T> {
  let acc: P.Parser<unknown[]> = P.string("(").then((ps[0] as P.Parser<unknown>).map((v) => [v]));
  for (let i = 1; i < ps.length; i++) {
    const next = ps[i] as P.Parser<unknown>;
    acc = P.seqMap(acc.skip(comma), next, (xs, x) => [...xs, x]);
  }
  return acc.skip(P.string(")")) as unknown as P.Parser<T>;
}

const list = <T>(p: P.Parser<T>): P.Parser<T[]> => parsimmonOf(listOf(p));

/**
 * The output set of an input derivation, `depth` dynamic-output levels down; `levels`
 * memoises one rule per depth.
 */
function outputSetAt(
  str: P.Parser<Str>,
  depth: number,
  options: DerivationGrammarOptions,
  levels: P.Parser<OutputSetTerm>[],
): P.Parser<OutputSetTerm> {
  const known = levels[depth];
  if (known !== undefined) return known;
  const max = options.maxDynamicOutputDepth;
  const child = P.lazy(() => outputSetAt(str, depth + 1, options, levels));
  const set: P.Parser<OutputSetTerm> =
    depth > max
      ? P((_input, i) => {
          throw options.tooDeep(max, i);
        })
      : P.alt(
          P.seqMap(atOffset, list(str), (start, outputs) => ({
            outputs,
            dynamicOutputs: undefined,
            offset: start,
          })),
          P.seqMap(
            atOffset,
            P.string("(").then(list(str)).skip(comma),
            list(
              inRule(
                "derivation.inputDrvs.dynamicOutputs",
                tuple<[Str, OutputSetTerm]>(str, child),
              ),
            ).skip(P.string(")")),
            (start, outputs, dynamicOutputs) => ({ outputs, dynamicOutputs, offset: start }),
          ),
        );
  levels[depth] = set;
  return set;
}

function makeGrammar(options: DerivationGrammarOptions): P.Parser<DerivationTerms> {
  const str = parsimmonOf<Str>(options.lenient ? atermStringLenient : atermString);
  const outputSet = outputSetAt(str, 0, options, []);
  const body = P.seqMap(
    inRule("derivation.outputs", list(tuple<[Str, Str, Str, Str]>(str, str, str, str)).skip(comma)),
    inRule("derivation.inputDrvs", list(tuple<[Str, OutputSetTerm]>(str, outputSet)).skip(comma)),
    inRule("derivation.inputSrcs", list(str).skip(comma)),
    inRule("derivation.system", str.skip(comma)),
    inRule("derivation.builder", str.skip(comma)),
    inRule("derivation.args", list(str).skip(comma)),
    inRule("derivation.env", list(tuple<[Str, Str]>(str, str))),
    (outputs, inputDrvs, inputSrcs, system, builder, args, env) => ({
      outputs,
      inputDrvs,
      inputSrcs,
      system,
      builder,
      args,
      env,
    }),
  );
  const drv = P.alt(
    P.string("Derive(")
      .then(body)
      .map((b): DerivationTerms => ({ version: undefined, ...b })),
    P.seqMap(
      P.string("DrvWithVersion("),
      inRule("derivation.version", str.skip(comma)),
      body,
      (_open, version, b): DerivationTerms => ({ version, ...b }),
    ),
  ).skip(P.string(")"));
  if (!options.lenient) return drv;
  return P.seqMap(drv, atOffset, P.all, (d, start, rest) =>
    rest.length === 0 ? d : { ...d, trailing: start },
  );
}

/** Grammars by `tooDeep` error, then by reading mode and limit. */
const grammars = new WeakMap<object, Map<string, P.Parser<DerivationTerms>>>();

function grammarFor(options: DerivationGrammarOptions): P.Parser<DerivationTerms> {
  let byMode = grammars.get(options.tooDeep);
  if (byMode === undefined) grammars.set(options.tooDeep, (byMode = new Map()));
  const key = `${options.lenient}:${options.maxDynamicOutputDepth}`;
  let grammar = byMode.get(key);
  if (grammar === undefined) byMode.set(key, (grammar = makeGrammar(options)));
  return grammar;
}

/** The derivation grammar as a rule (memoised per reading mode, limit and `tooDeep`). */
export function derivationGrammarRule(
  options: DerivationGrammarOptions,
): GrammarRule<DerivationTerms> {
  return grammarFor(options);
}

/** Line and column (from 1, in bytes) of byte `offset` of a binary string. */
function lineAndColumn(binary: string, offset: number): { line: number; column: number } {
  let line = 1;
  let start = 0;
  for (let i = binary.indexOf("\n"); i >= 0 && i < offset; i = binary.indexOf("\n", i + 1)) {
    line++;
    start = i + 1;
  }
  return { line, column: offset - start + 1 };
}

/**
 * Reads the terms of a `.drv` with the grammar. Throws {@link ATermTruncatedError} when the
 * input ends early, {@link ATermSyntaxError} (`aterm.unexpected`, `aterm.bad-escape`,
 * `aterm.trailing-bytes`) where it is wrong, each with the rule, byte offset, line and
 * column; and the `tooDeep` error of `options`.
 */
export function parseDerivationTerms(
  bytes: Uint8Array,
  options: DerivationGrammarOptions,
): DerivationTerms {
  const binary = bytesToBinary(bytes);
  const position = (offset: number, rule: string | undefined) => ({
    offset,
    ...lineAndColumn(binary, offset),
    ...(rule === undefined || rule === "" ? {} : { rule }),
  });
  if (
    binary.length < 15 &&
    ("Derive(".startsWith(binary) || "DrvWithVersion(".startsWith(binary))
  ) {
    throw new ATermTruncatedError(
      "aterm.truncated",
      "unexpected end of input, expected 'Derive(' or 'DrvWithVersion('",
      position(binary.length, "derivation"),
    );
  }
  furthest.offset = -1;
  furthest.rule = "";
  let r: P.Result<DerivationTerms>;
  try {
    r = grammarFor(options).skip(P.eof).parse(binary);
  } catch (err) {
    // a term's own error (a bad escape, a string cut short): add its line and column
    if (err instanceof ATermSyntaxError || err instanceof ATermTruncatedError) {
      throw err.withContext(lineAndColumn(binary, err.position.offset ?? 0));
    }
    throw err;
  }
  if (r.status) return r.value;
  const at = r.index.offset;
  const rule = furthest.offset === at ? furthest.rule : undefined;
  const expected = r.expected.join(" or ");
  if (at >= binary.length) {
    throw new ATermTruncatedError(
      "aterm.truncated",
      `unexpected end of input, expected ${expected}`,
      position(at, rule),
    );
  }
  if (r.expected.length === 1 && r.expected[0] === "EOF") {
    throw new ATermSyntaxError(
      "aterm.trailing-bytes",
      `unexpected bytes after the end of the derivation (${binary.length - at} bytes)`,
      position(at, "derivation"),
    );
  }
  throw new ATermSyntaxError(
    "aterm.unexpected",
    `unexpected ${JSON.stringify(binary.charAt(at))}, expected ${expected}`,
    position(at, rule ?? "derivation"),
  );
}
