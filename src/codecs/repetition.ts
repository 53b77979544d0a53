/**
 * Repetition: counted lists (`u64 n` then `n` items), optional values (`u64 0|1` then the
 * value), items announced by a token until an end token (`entry ... entry ... )`), and record
 * items until one whose first field reads an end value (`path info path info ""`).
 *
 * @module
 */
import type { AnyCodec, Codec, ConstU64Node, Infer, Problem, TokenNode } from "./codec.js";
import { typed } from "./codec.js";
import { DEFAULT_MAX_ITEMS, limit } from "./limits.js";
import { constU64 } from "./primitives.js";
import { token } from "./strings.js";

/** A u64 count then that many items (count limited before anything is read). */
export function list<C extends AnyCodec>(
  rule: string,
  item: C,
  options: { max?: number; limitName?: string } = {},
): Codec<Infer<C>[]> {
  return typed({
    kind: "list",
    rule,
    item,
    limit: limit(options.limitName ?? rule, options.max ?? DEFAULT_MAX_ITEMS),
  });
}

/** A u64 flag (0 or 1) then, when 1, the value; `undefined` when absent. */
export function optional<C extends AnyCodec>(rule: string, item: C): Codec<Infer<C> | undefined> {
  return typed({ kind: "optional", rule, item });
}

/** Options of {@link repeatUntil}. */
export interface RepeatOptions<T, P = T> {
  /** Marker announcing one more item: a token (string) or a u64 literal (number). */
  readonly more: string | number;
  /** Marker ending the repetition (same kind as `more`). */
  readonly end: string | number;
  /**
   * A check on each pair of consecutive items (e.g. names strictly increasing); with `key`, on
   * the pair of their `key` fields, run as soon as the field is decoded (before the rest of
   * the item).
   */
  readonly pairwise?: (prev: P, next: P) => Problem | undefined;
  /** Field of the (record) items that `pairwise` compares. */
  readonly key?: T extends object ? keyof T & string : never;
  /**
   * Whether the streaming decoder keeps the items (default false: items reach the consumer
   * through events and the value is an empty array, so memory stays bounded).
   */
  readonly collectWhenStreaming?: boolean;
  /** Maximum number of items (default {@link DEFAULT_MAX_ITEMS}). */
  readonly max?: number;
}

function marker(m: string | number, rule: string): TokenNode | ConstU64Node {
  return (typeof m === "string" ? token(m, rule) : constU64(m, rule)) as unknown as
    TokenNode | ConstU64Node;
}

/**
 * Items, each preceded by the marker `more`, until the marker `end`: tokens
 * (`entry ... entry ... )` in NAR directories) or u64 literals (`1 ... 1 ... 0` in
 * `nix-store --export` streams).
 */
export function repeatUntil<C extends AnyCodec, P = Infer<C>>(
  rule: string,
  item: C,
  options: RepeatOptions<Infer<C>, P>,
): Codec<Infer<C>[]> {
  return typed({
    kind: "repeat",
    rule,
    item,
    more: marker(options.more, rule),
    end: marker(options.end, rule),
    pairwise: options.pairwise as ((a: unknown, b: unknown) => Problem | undefined) | undefined,
    key: options.key,
    collectWhenStreaming: options.collectWhenStreaming ?? false,
    limit: limit(rule, options.max ?? DEFAULT_MAX_ITEMS),
  });
}

/**
 * Record items one after another until the first field of one reads `end`: that field alone
 * ends the repetition (the serve protocol's `(path, info)` pairs closed by an empty path). The
 * items must be records (declared with `record`); an item whose first field is `end` cannot be
 * written. The streaming decoder keeps the items.
 */
export function repeatUntilHead<T>(
  rule: string,
  item: Codec<T>,
  options: { readonly end: unknown; readonly max?: number },
): Codec<T[]> {
  return typed({
    kind: "terminated",
    rule,
    item,
    end: options.end,
    limit: limit(rule, options.max ?? DEFAULT_MAX_ITEMS),
  });
}
