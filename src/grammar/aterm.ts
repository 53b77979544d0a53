/**
 * A general ATerm grammar (Parsimmon), as Nix writes `.drv` files.
 *
 * ```text
 * term   = string | list | tuple | appl
 * string = '"' ( char | '\' escape )* '"'      char: any byte but '"' and '\'
 * escape = '\' | '"' | 'n' | 'r' | 't'          (anything else is an error here; Nix itself
 *                                                 reads '\x' as 'x': atermStringLenient)
 * list   = '[' [ term ( ',' term )* ] ']'
 * tuple  = '(' [ term ( ',' term )* ] ')'
 * appl   = ident '(' [ term ( ',' term )* ] ')'  ident = [A-Za-z][A-Za-z0-9_]*
 * ```
 *
 * No whitespace is allowed anywhere (Nix writes none). Strings are bytes: the grammar runs on
 * a *binary string* (one JS char per input byte, see {@link bytesToBinary}), so every index
 * Parsimmon reports is a byte offset, and string values come out as binary strings too;
 * {@link binaryToDrvString} turns one into text (valid UTF-8) or raw bytes.
 *
 * The grammar is exported piece by piece for reuse (`atermString`, `atermList`, `atermTuple`,
 * `atermAppl`, `atermTerm`, `listOf`, `tupleOf`); the derivation grammar is built from them.
 * The hot path of derivation parsing is a fast scanner of the canonical form, pinned to this grammar by a
 * property test (see `src/derivation/aterm-scanner.ts`).
 *
 * @module
 */
import P from "parsimmon";
import { binaryStringBytes } from "../core/bytes.js";
import { ATermSyntaxError, ATermTruncatedError } from "./aterm-errors.js";
import {
  type ATerm,
  type ATermAppl,
  type ATermList,
  type ATermString,
  type ATermTuple,
  bytesToBinary,
  quoteATermString,
  unescapeATermBody,
} from "./aterm-strings.js";
import type { GrammarRule } from "./grammar-rule.js";
import { parsimmonOf } from "./parsimmon-rule.js";

export * from "./aterm-strings.js";

/** The byte offset where a rule stands (for rules that record where their terms are). */
export const atermOffset: GrammarRule<number> = P((_input, i) => P.makeSuccess(i, i));
export type * from "./grammar-rule.js";

// --- Parsimmon pieces -------------------------------------------------------------------

/** A complete string token, as one regex (an unrolled loop: no per-character combinators). */
const STRING_TOKEN = /"[^"\\]*(?:\\[\s\S][^"\\]*)*"/y;
/** A string that runs to the end of input: the input is truncated. */
const UNTERMINATED = /"[^"\\]*(?:\\[\s\S][^"\\]*)*\\?$/y;

/**
 * The byte offset where the parse stands. (`P.index` also works out line and column, which
 * costs a scan of the input before it at every use.)
 */
const atOffset: P.Parser<number> = parsimmonOf(atermOffset);

/**
 * The match of the sticky regex `re` where the parse stands. (`P.regexp` matches on the rest
 * of the input sliced off, which costs the length of that rest at every token.)
 */
function tokenAt(re: RegExp, expected: string): P.Parser<string> {
  return P((input, i) => {
    re.lastIndex = i;
    const m = re.exec(input);
    return m === null ? P.makeFailure(i, expected) : P.makeSuccess(i + m[0].length, m[0]);
  });
}

/** A string token; the value is the unescaped binary string. Bad escapes throw {@link ATermSyntaxError}. */
export const atermString: GrammarRule<ATermString> = P.alt(
  P.seqMap(atOffset, tokenAt(STRING_TOKEN, "'\"'"), (start, tok) => ({
    type: "string" as const,
    value: unescapeATermBody(tok.slice(1, -1), start + 1),
    offset: start,
  })),
  P.seqMap(tokenAt(UNTERMINATED, "'\"'"), atOffset, (_tok, end): ATermString => {
    throw new ATermTruncatedError("aterm.truncated", "input ends inside a string", {
      offset: end,
    });
  }),
);

/**
 * A string token read as Nix reads it: an escape other than `\\ \" \n \r \t` is the
 * character itself (`\x` is `x`); `unknownEscapes` lists them with their byte offsets (absent
 * when none).
 */
export const atermStringLenient: GrammarRule<
  ATermString & { unknownEscapes?: readonly { char: string; offset: number }[] }
> = P.alt(
  P.seqMap(atOffset, tokenAt(STRING_TOKEN, "'\"'"), (start, tok) => {
    const unknown: { char: string; offset: number }[] = [];
    const value = unescapeATermBody(tok.slice(1, -1), start + 1, (char, offset) => {
      unknown.push({ char, offset });
    });
    return unknown.length === 0
      ? { type: "string" as const, value, offset: start }
      : { type: "string" as const, value, offset: start, unknownEscapes: unknown };
  }),
  parsimmonOf(atermString),
);

/** `[` p (`,` p)* `]` */
export function listOf<T>(p: GrammarRule<T>): GrammarRule<T[]> {
  return P.string("[")
    .then(P.sepBy(parsimmonOf(p), P.string(",")))
    .skip(P.string("]"));
}

/** `(` a `,` b ... `)` with exactly the given parsers. */
export function tupleOf<T extends unknown[]>(
  ...parsers: { [K in keyof T]: GrammarRule<T[K]> }
): GrammarRule<T> {
  const seq: P.Parser<unknown>[] = [];
  parsers.forEach((p, i) => {
    if (i > 0) seq.push(P.string(","));
    seq.push(parsimmonOf(p as GrammarRule<unknown>));
  });
  return P.string("(")
    .then(P.seq(...seq))
    .skip(P.string(")"))
    .map((vals) => vals.filter((_, i) => i % 2 === 0) as T);
}

const termRef: P.Parser<ATerm> = P.lazy(() => parsimmonOf(atermTerm));

/** A list term. */
export const atermList: GrammarRule<ATermList> = P.seqMap(
  atOffset,
  parsimmonOf(listOf(termRef)),
  (start, items) => ({ type: "list" as const, items, offset: start }),
);

/** A tuple term. */
export const atermTuple: GrammarRule<ATermTuple> = P.seqMap(
  atOffset,
  P.string("(")
    .then(P.sepBy(termRef, P.string(",")))
    .skip(P.string(")")),
  (start, items) => ({ type: "tuple" as const, items, offset: start }),
);

/** A constructor application `Name(args)`. */
export const atermAppl: GrammarRule<ATermAppl> = P.seqMap(
  atOffset,
  P.regexp(/[A-Za-z][A-Za-z0-9_]*/),
  P.string("(")
    .then(P.sepBy(termRef, P.string(",")))
    .skip(P.string(")")),
  (start, name, args) => ({ type: "appl" as const, name, args, offset: start }),
);

/** Any term. */
export const atermTerm: GrammarRule<ATerm> = P.alt<ATerm>(
  parsimmonOf(atermString),
  parsimmonOf(atermList),
  parsimmonOf(atermTuple),
  parsimmonOf(atermAppl),
);

/**
 * Runs a grammar rule over a whole binary string and turns failures into the library's
 * errors: {@link ATermTruncatedError} when the failure is at the end of the input,
 * {@link ATermSyntaxError} (`aterm.unexpected` or `aterm.trailing-bytes`) otherwise.
 */
export function runATermParser<T>(parser: GrammarRule<T>, binary: string): T {
  const r = parsimmonOf(parser).skip(P.eof).parse(binary);
  if (r.status) return r.value;
  const at = r.index.offset;
  if (at >= binary.length) {
    throw new ATermTruncatedError(
      "aterm.truncated",
      `unexpected end of input, expected ${r.expected.join(" or ")}`,
      {
        offset: at,
      },
    );
  }
  if (r.expected.length === 1 && r.expected[0] === "EOF") {
    throw new ATermSyntaxError(
      "aterm.trailing-bytes",
      "unexpected bytes after the end of the term",
      {
        offset: at,
      },
    );
  }
  throw new ATermSyntaxError(
    "aterm.unexpected",
    `unexpected ${JSON.stringify(binary.charAt(at))}, expected ${r.expected.join(" or ")}`,
    { offset: at },
  );
}

/** Parses any ATerm from bytes with the Parsimmon grammar. */
export function parseATerm(bytes: Uint8Array): ATerm {
  return runATermParser(atermTerm, bytesToBinary(bytes));
}

/** Prints an ATerm back to bytes (strings escaped as Nix does). */
export function printATerm(term: ATerm): Uint8Array {
  return binaryStringBytes(printBinary(term));
}

function printBinary(term: ATerm): string {
  switch (term.type) {
    case "string":
      return quoteATermString(term.value);
    case "list":
      return `[${term.items.map(printBinary).join(",")}]`;
    case "tuple":
      return `(${term.items.map(printBinary).join(",")})`;
    case "appl":
      return `${term.name}(${term.args.map(printBinary).join(",")})`;
  }
}
