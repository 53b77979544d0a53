/**
 * The public type of the library's text-grammar rules (ATerm, derivation, narinfo).
 *
 * The rules are Parsimmon parsers, but their public type is this one, so that a consumer's
 * type check needs neither `parsimmon`'s nor `@types/parsimmon`'s declarations. A rule is run
 * with its `parse` method (or `runATermParser` for ATerm rules, which turns failures into the
 * library's errors) and combined with the grammar's own combinators (`listOf`, `tupleOf`).
 * Code that uses Parsimmon directly can treat a rule as a `Parsimmon.Parser` of the same value.
 *
 * @module
 */

/** Where a grammar run stopped: character offset (a byte offset on binary strings), line and column from 1. */
export interface GrammarPosition {
  /** Zero-based character offset. */
  readonly offset: number;
  /** One-based line. */
  readonly line: number;
  /** One-based column. */
  readonly column: number;
}

/** The result of running a rule over a whole input. */
export type GrammarResult<T> =
  | { readonly status: true; readonly value: T }
  | {
      readonly status: false;
      /** What the grammar expected where it stopped. */
      readonly expected: readonly string[];
      /** Where it stopped. */
      readonly index: GrammarPosition;
    };

/** A rule of one of the library's text grammars, producing `T`. */
export interface GrammarRule<T> {
  /** Runs the rule over `input` from its start (what follows the match is not checked). */
  parse(input: string): GrammarResult<T>;
}
