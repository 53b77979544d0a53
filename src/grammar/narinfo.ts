/**
 * The line grammar of `.narinfo` files (the text a binary cache serves as `<hash>.narinfo`).
 *
 * ```text
 * narinfo = field*                     the text ends right after the last field's "\n"
 * field   = key ": " value "\n"
 * key     = [\x21-\x39\x3b-\x7e]+      printable ASCII except ":" (and no spaces)
 * value   = [^\r\n]*                   may be empty ("References: ")
 * ```
 *
 * This layer only splits a file into `(key, value, line)` triples; what each known key means
 * (StorePath, URL, NarHash, Sig, ...) is checked by `parseNarInfo` in `src/narinfo`.
 *
 * Two implementations give the same result: {@link narinfoGrammar}, a Parsimmon grammar that
 * states the format, and {@link scanNarInfoFields}, a hand-written scanner (`indexOf` over the
 * lines, no per-character combinators) used on the hot path. A property test pins the scanner
 * to the grammar on arbitrary text: same fields on success, failure on the same line.
 *
 * @module
 */
import P from "parsimmon";
import { MalformedInputError, type NixCompatErrorOptions, quoteInput } from "../core/errors.js";
import type { GrammarRule } from "./grammar-rule.js";

/** One `Key: value` line of a narinfo, as written. */
export interface NarInfoRawField {
  /** The key, e.g. `StorePath` (case-sensitive, as written). */
  readonly key: string;
  /** Everything after `": "` up to the newline (may be empty). */
  readonly value: string;
  /** 1-based line number. */
  readonly line: number;
}

/** Every error a narinfo (syntax or meaning) is refused with; `code` starts with `narinfo.`. */
export class NarInfoError extends MalformedInputError {
  constructor(code: string, detail: string, options: NixCompatErrorOptions = {}) {
    super(code, detail, { rule: "narinfo", ...options });
  }
}

/** Key characters: printable ASCII except `:`. */
export const NARINFO_KEY_REGEX: RegExp = /^[\x21-\x39\x3b-\x7e]+$/;

const keyParser = P.regexp(/[\x21-\x39\x3b-\x7e]+/).desc("a field name");
const valueParser = P.regexp(/[^\r\n]*/);

const fieldLine = P.seqMap(
  P.index,
  keyParser,
  P.string(": "),
  valueParser,
  P.string("\n"),
  (index, key, _sep, value): NarInfoRawField => ({ key, value, line: index.line }),
);

/** One field line, with its line number. */
export const narinfoFieldGrammar: GrammarRule<NarInfoRawField> = fieldLine;

/** The whole file: any number of field lines, then the end of the text. */
export const narinfoGrammar: GrammarRule<NarInfoRawField[]> = fieldLine.many().skip(P.eof);

/**
 * Parses with the Parsimmon grammar. On failure throws {@link NarInfoError}
 * (`narinfo.malformed-line`) with the line of the failure.
 */
export function parseNarInfoFieldsWithGrammar(text: string): NarInfoRawField[] {
  const r = narinfoGrammar.parse(text);
  if (r.status) return r.value;
  const line = lineOfIndex(text, r.index.offset);
  throw new NarInfoError(
    "narinfo.malformed-line",
    `malformed line, expected 'Key: value' ending in a newline (${r.expected.join(", ")})`,
    { line },
  );
}

function lineOfIndex(text: string, offset: number): number {
  let line = 1;
  for (let i = text.indexOf("\n"); i >= 0 && i < offset; i = text.indexOf("\n", i + 1)) line++;
  return line;
}

/**
 * Splits a narinfo into its field lines: the fast scanner, equivalent to
 * {@link narinfoGrammar}. Throws {@link NarInfoError} with the line number:
 * `narinfo.malformed-line` (no `": "`, bad key, carriage return) or
 * `narinfo.missing-final-newline` (the last line does not end in `\n`).
 */
export function scanNarInfoFields(text: string): NarInfoRawField[] {
  const out: NarInfoRawField[] = [];
  forEachNarInfoField(text, (key, value, line) => {
    out.push({ key, value, line });
  });
  return out;
}

/**
 * Calls `visit(key, value, line)` for each field line, in order, without building an array.
 * Same checks and errors as {@link scanNarInfoFields}; a line is only visited once it is
 * known to be well-formed.
 */
export function forEachNarInfoField(
  text: string,
  visit: (key: string, value: string, line: number) => void,
): void {
  const cursor = new NarInfoCursor(text);
  while (cursor.next()) visit(cursor.key, cursor.value, cursor.line);
}

/**
 * A cursor over the field lines of a narinfo (the hot path of `parseNarInfo`): each
 * {@link NarInfoCursor.next} reads one line into `key`, `value` and `line`, with the checks
 * and errors of {@link scanNarInfoFields}, and returns false at the end of the text.
 */
export class NarInfoCursor {
  /** Key of the current line. */
  key = "";
  /** Value of the current line. */
  value = "";
  /** 1-based number of the current line (0 before the first). */
  line = 0;
  private pos = 0;
  // the first carriage return, if any: lines before it cannot contain one
  private readonly firstCr: number;

  constructor(private readonly text: string) {
    this.firstCr = text.indexOf("\r");
  }

  /** Reads the next line; false at the end of the text. Throws {@link NarInfoError}. */
  next(): boolean {
    const text = this.text;
    const len = text.length;
    const pos = this.pos;
    if (pos >= len) return false;
    const line = this.line + 1;
    this.line = line;
    let eol = text.indexOf("\n", pos);
    const complete = eol >= 0;
    if (!complete) eol = len;
    const colon = text.indexOf(":", pos);
    if (colon < 0 || colon >= eol) {
      throw new NarInfoError(
        "narinfo.malformed-line",
        `malformed line ${JSON.stringify(text.slice(pos, Math.min(eol, pos + 60)))}, expected 'Key: value'`,
        { line },
      );
    }
    const key = text.slice(pos, colon);
    if (!isKnownKey(key) && !NARINFO_KEY_REGEX.test(key)) {
      throw new NarInfoError(
        "narinfo.malformed-line",
        `malformed field name ${quoteInput(key)}, expected printable characters without spaces before ': '`,
        { line },
      );
    }
    if (colon + 1 >= eol || text.charCodeAt(colon + 1) !== 32) {
      throw new NarInfoError(
        "narinfo.malformed-line",
        `field ${quoteInput(key)} lacks the space after ':', expected ${quoteInput(`${key}: value`)}`,
        { line },
      );
    }
    if (this.firstCr >= 0 && this.firstCr < eol) {
      throw new NarInfoError(
        "narinfo.malformed-line",
        `carriage return in the value of ${quoteInput(key)} (CRLF line endings are not allowed)`,
        { line },
      );
    }
    if (!complete) {
      throw new NarInfoError(
        "narinfo.missing-final-newline",
        `the last line (${quoteInput(`${key}: ...`)}) does not end in a newline`,
        { line },
      );
    }
    this.key = key;
    this.value = text.slice(colon + 2, eol);
    this.pos = eol + 1;
    return true;
  }
}

function isKnownKey(key: string): boolean {
  switch (key) {
    case "StorePath":
    case "URL":
    case "Compression":
    case "FileHash":
    case "FileSize":
    case "NarHash":
    case "NarSize":
    case "References":
    case "Deriver":
    case "System":
    case "Sig":
    case "CA":
      return true;
    default:
      return false;
  }
}
