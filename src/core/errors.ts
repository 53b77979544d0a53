/**
 * Errors of the whole library.
 *
 * Every failure the library reports on bad input is a {@link NixCompatError}: a class with a
 * stable machine-readable `code`, a {@link ErrorPosition} saying where in the input it was
 * found (byte offset, line/column, JSON path, grammar rule), and a human message that says
 * what was expected. Two subclasses tell apart the two reasons input can be refused:
 *
 * - {@link MalformedInputError}: the bytes or text present are wrong (bad token, bad
 *   alphabet, names out of order, a limit exceeded ...). More input would not help.
 * - {@link TruncatedInputError}: what is present is a valid prefix, but the input ended
 *   before the value was complete. A streaming caller may wait for more data.
 *
 * Area-specific errors (hashes, store paths, NAR, derivations, ...) extend one of those two,
 * so `err instanceof TruncatedInputError` works whatever the format.
 *
 * @module
 */

/** Where in the input a problem was found. Every field is optional: set what is known. */
export interface ErrorPosition {
  /** Byte offset from the start of the input (binary formats, byte-exact text parsing). */
  readonly offset?: number;
  /** 1-based line number (text formats). */
  readonly line?: number;
  /** 1-based column number (text formats). */
  readonly column?: number;
  /** JSON path, e.g. `["outputs", "out", "path"]` (JSON documents). */
  readonly path?: readonly (string | number)[];
  /** Name of the grammar rule that was being decoded, e.g. `nar.directory.entry`. */
  readonly rule?: string;
  /** Position within a string value (e.g. the character index in a hash digest). */
  readonly index?: number;
}

/** Options accepted by every error constructor of the library. */
export interface NixCompatErrorOptions extends ErrorPosition {
  /** The file (or other source name) the input came from. */
  readonly file?: string;
  /** The underlying error, if any. */
  readonly cause?: unknown;
}

/**
 * Characters of input an error message quotes at most ({@link quoteInput}); the rest is
 * summarised by its length. Error messages stay one readable line whatever the input.
 */
export const MAX_QUOTED_INPUT = 100;

/**
 * Characters of detail an error message keeps at most: a backstop for details built from
 * input without {@link quoteInput} (their end is cut, with the number of characters cut).
 */
export const MAX_ERROR_DETAIL = 4096;

/**
 * Quotes a piece of input for an error message: `'text'`, or when longer than `max`
 * characters its start, `...` and its length (`'abc...' (1048576 characters)`). Control
 * characters are shown escaped (`\n`, `\u0000`), so the message stays on one line. Every
 * error that repeats input quotes it with this, so a 1 MB field never makes a 1 MB message.
 */
export function quoteInput(text: string, max: number = MAX_QUOTED_INPUT): string {
  if (text.length <= max) return `'${escapeControls(text)}'`;
  return `'${escapeControls(text.slice(0, Math.max(0, max - 3)))}...' (${text.length} characters)`;
}

/**
 * {@link quoteInput} without the quotes, for messages that other code wrote around input
 * (zod's issues): `text`, or its start, `...` and its length, control characters escaped.
 */
export function clipInput(text: string, max: number = MAX_QUOTED_INPUT): string {
  if (text.length <= max) return escapeControls(text);
  return `${escapeControls(text.slice(0, Math.max(0, max - 3)))}... (${text.length} characters)`;
}

function escapeControls(text: string): string {
  return text.replace(CONTROL_CHARS, escapeControl);
}

const CONTROL_CHARS = /[\x00-\x1f\x7f]/g;

function escapeControl(c: string): string {
  if (c === "\n") return "\\n";
  if (c === "\r") return "\\r";
  if (c === "\t") return "\\t";
  return `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`;
}

function boundDetail(detail: string): string {
  if (detail.length <= MAX_ERROR_DETAIL) return detail;
  return `${detail.slice(0, MAX_ERROR_DETAIL)}... (${detail.length - MAX_ERROR_DETAIL} more characters)`;
}

/** Formats a position as a short human prefix such as `byte 120`, `line 3:7` or `$.outputs.out`. */
export function formatPosition(pos: ErrorPosition): string {
  const parts: string[] = [];
  if (pos.line !== undefined) {
    parts.push(pos.column !== undefined ? `line ${pos.line}:${pos.column}` : `line ${pos.line}`);
  }
  if (pos.offset !== undefined) parts.push(`byte ${pos.offset}`);
  if (pos.path !== undefined) parts.push(formatJsonPath(pos.path));
  if (pos.index !== undefined && pos.offset === undefined) parts.push(`character ${pos.index}`);
  if (pos.rule !== undefined) parts.push(`in ${pos.rule}`);
  return parts.join(", ");
}

/** Segments of a JSON path printed at most; a deeper path is printed with its middle elided. */
export const MAX_PRINTED_PATH_SEGMENTS = 16;

/**
 * Formats a JSON path the way jq and JSON Schema tools print it: `$.outputs.out.path`,
 * `$.args[2]`. Long keys are cut as {@link quoteInput} cuts input, and a path deeper than
 * {@link MAX_PRINTED_PATH_SEGMENTS} keeps its start and end (`$.a.b...(480 more).x.y`).
 */
export function formatJsonPath(path: readonly (string | number)[]): string {
  const seg = (s: string | number): string => {
    if (typeof s === "number") return `[${s}]`;
    if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(s) && s.length <= MAX_QUOTED_INPUT) return `.${s}`;
    const cut = s.length <= MAX_QUOTED_INPUT ? s : `${s.slice(0, MAX_QUOTED_INPUT - 3)}...`;
    return `[${JSON.stringify(cut)}]`;
  };
  if (path.length <= MAX_PRINTED_PATH_SEGMENTS) return `$${path.map(seg).join("")}`;
  const head = Math.ceil(MAX_PRINTED_PATH_SEGMENTS / 2);
  const tail = MAX_PRINTED_PATH_SEGMENTS - head;
  const skipped = path.length - head - tail;
  return `$${path.slice(0, head).map(seg).join("")}...(${skipped} more)${path.slice(-tail).map(seg).join("")}`;
}

/**
 * Base class of every error the library throws on purpose.
 *
 * `message` is the full human text (`file: position: detail`); `detail` is the part without
 * the location, `code` is stable across versions and meant for programs.
 */
export class NixCompatError extends Error {
  /** Stable machine-readable code, e.g. `hash.invalid-length` or `nar.unsorted-entries`. */
  readonly code: string;
  /** What went wrong, without the location prefix. */
  readonly detail: string;
  /** Where it went wrong. */
  readonly position: ErrorPosition;
  /** The file or source the input came from, if the caller said. */
  readonly file: string | undefined;

  constructor(code: string, detail: string, options: NixCompatErrorOptions = {}) {
    const { file, cause, ...position } = options;
    const bounded = boundDetail(detail);
    super(composeMessage(file, position, bounded), cause === undefined ? undefined : { cause });
    this.name = new.target.name;
    this.code = code;
    this.detail = bounded;
    this.position = position;
    this.file = file;
  }

  /** True when the input ended early rather than being wrong. */
  get truncated(): boolean {
    return false;
  }

  /**
   * Returns a copy of this error that names `file` (and, optionally, adds to the position).
   * Used by callers that know which file they were reading when a lower layer failed.
   *
   * The copy is made without calling the subclass's constructor (subclasses take whatever
   * arguments suit them): a real `Error` with this error's prototype, its own fields copied
   * over and the message composed again from the new file and position.
   */
  withContext(context: NixCompatErrorOptions): this {
    const { file: newFile, cause: _cause, ...extra } = context;
    const file = newFile ?? this.file;
    const position: ErrorPosition = { ...this.position, ...extra };
    const message = composeMessage(file, position, this.detail);
    const copy = Reflect.construct(
      Error,
      this.cause === undefined ? [message] : [message, { cause: this.cause }],
      this.constructor,
    ) as this;
    const fields: Record<string, unknown> = { ...(this as object) };
    delete fields.message;
    delete fields.stack;
    Object.assign(copy, fields);
    Object.assign(copy, { name: this.name, position, file });
    return copy;
  }
}

/**
 * `text` cut to at most `max` characters (plus a note of how many were left out): for input
 * of any size quoted in an error message.
 */
export function truncateText(text: string, max: number): string {
  if (text.length <= max) return text;
  return `${text.slice(0, max)}… (${text.length - max} more characters)`;
}

function composeMessage(file: string | undefined, pos: ErrorPosition, detail: string): string {
  const where = formatPosition(pos);
  const prefix = [file, where].filter((s) => s !== undefined && s !== "").join(": ");
  return prefix === "" ? detail : `${prefix}: ${detail}`;
}

/** The input is wrong: more input would not make it valid. */
export class MalformedInputError extends NixCompatError {}

/** The input ended before the value was complete (it may be a valid prefix). */
export class TruncatedInputError extends NixCompatError {
  override get truncated(): boolean {
    return true;
  }
}

/** A configured limit (length, depth, size) was exceeded; the input may be hostile. */
export class LimitExceededError extends MalformedInputError {}

/** A value is well-formed but breaks a semantic rule (e.g. a derivation invariant). */
export class ValidationError extends MalformedInputError {}

/** The caller passed an argument that makes no sense (not an input problem). */
export class UsageError extends NixCompatError {}

/** True if `err` is any error thrown on purpose by this library. */
export function isNixCompatError(err: unknown): err is NixCompatError {
  return err instanceof NixCompatError;
}
