/**
 * Compiled event writers: a declaration's event writer as generated code (see
 * `compile-writer-source.ts`), run with `new Function` where the platform allows it, else the
 * plan walked by `event-writer.ts` (same bytes, same errors, no `eval`). The library's own
 * formats carry their generated writers checked in (`*.generated.ts`), bound with
 * {@link fromGeneratedWriter}.
 *
 * @module
 */
import type { Codec } from "./codec.js";
import { generateWriter } from "./compile-writer-source.js";
import {
  bindWriters,
  type EventWriterFactory,
  type GeneratedWriterFactory,
  interpretedWriters,
} from "./event-writer.js";
import { writerPlan } from "./writer-plan.js";

/**
 * The event writers of `codec` (see `EventWriter`), generated and run with `new Function`;
 * with `{ eval: false }`, or where `eval` is forbidden, the plan is walked instead
 * (`mode: "interpreter"`). Throws an `Error` for declarations an event writer cannot take
 * (see `writer-plan.ts`).
 */
export function compileWriter<T>(
  codec: Codec<T>,
  options: { readonly eval?: boolean } = {},
): EventWriterFactory {
  const plan = writerPlan(codec);
  if (options.eval === false) return interpretedWriters(plan);
  const { source, constants } = generateWriter(plan);
  let factory: GeneratedWriterFactory;
  try {
    // looked up at call time: a platform (or a test) may forbid it
    const MakeFunction = globalThis.Function;
    factory = new MakeFunction("k", "rt", source) as GeneratedWriterFactory;
  } catch {
    return interpretedWriters(plan);
  }
  return bindWriters(plan, constants, factory, "eval");
}

/**
 * @internal Binds a checked-in generated writer (written by `scripts/generate-codecs.mjs`) to
 * its declaration, on first use; a test keeps the checked-in code up to date.
 */
export function fromGeneratedWriter<T>(
  codec: Codec<T>,
  factory: GeneratedWriterFactory,
): () => EventWriterFactory {
  let bound: EventWriterFactory | undefined;
  return () => {
    if (bound === undefined) {
      const plan = writerPlan(codec);
      bound = bindWriters(plan, generateWriter(plan).constants, factory, "generated");
    }
    return bound;
  };
}
