/**
 * Events: marks a rule whose value a streaming consumer wants as soon as it is decoded.
 *
 * The streaming decoder (`decodeEvents`) yields `{ name, value, data, offset }` for each event
 * rule it completes, pausing until the consumer asks for the next one — so a payload inside an
 * event can be read before decoding goes on. The synchronous decoder calls the optional
 * `onEvent` callback instead. Events change nothing in the bytes.
 *
 * @module
 */
import { type Codec, typed } from "./codec.js";

/** An event met while decoding. */
export interface DecodeEvent<V = unknown, D = unknown> {
  /** The event name given in the declaration. */
  readonly name: string;
  /** The decoded value of the marked rule. */
  readonly value: V;
  /** The constant data attached in the declaration. */
  readonly data: D;
  /** Offset of the first byte of the marked rule. */
  readonly offset: number;
}

/** Marks `inner` as an event named `name`, with optional constant `data`. */
export function event<T>(name: string, inner: Codec<T>, data?: unknown): Codec<T> {
  return typed({ kind: "event", rule: inner.rule, name, inner, data });
}
