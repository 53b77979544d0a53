/**
 * Recursion: a reference to a codec declared later (or to itself), resolved on first use.
 * Each level counts towards the depth limit ({@link DEFAULT_MAX_DEPTH}, option
 * `limits["codec.depth"]`).
 *
 * @module
 */
import { type AnyCodec, type Codec, typed } from "./codec.js";

/** A codec resolved when first needed: `const node = lazy("nar.node", () => nodeDecl)`. */
export function lazy<T>(rule: string, get: () => Codec<T>): Codec<T> {
  let resolved: AnyCodec | undefined;
  return typed({
    kind: "lazy",
    rule,
    get: () => {
      resolved ??= get();
      return resolved;
    },
  });
}
