/**
 * The Parsimmon parser behind a {@link GrammarRule}: grammar modules build with Parsimmon and
 * publish their rules as `GrammarRule`s; this module (never named in a public declaration)
 * goes back the other way.
 *
 * @module
 */
import P from "parsimmon";
import { UsageError } from "../core/errors.js";
import type { GrammarRule } from "./grammar-rule.js";

/**
 * Returns the Parsimmon parser that is `rule`. Rules come from the library's grammars or from
 * Parsimmon itself; anything else is refused with a {@link UsageError} (`grammar.not-a-rule`).
 */
export function parsimmonOf<T>(rule: GrammarRule<T>): P.Parser<T> {
  if (!P.isParser(rule)) {
    throw new UsageError("grammar.not-a-rule", "expected a grammar rule (a Parsimmon parser)");
  }
  return rule as unknown as P.Parser<T>;
}
