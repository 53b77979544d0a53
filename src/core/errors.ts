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

/** Formats a JSON path the way jq and JSON Schema tools print it: `$.outputs.out.path`, `$.args[2]`. */
export function formatJsonPath(path: readonly (string | number)[]): string {
  let out = "$";
  for (const seg of path) {
    if (typeof seg === "number") out += `[${seg}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(seg)) out += `.${seg}`;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
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
    super(composeMessage(file, position, detail), cause === undefined ? undefined : { cause });
    this.name = new.target.name;
    this.code = code;
    this.detail = detail;
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
