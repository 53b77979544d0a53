/**
 * Recursion: a reference to a codec declared later (or to itself), resolved on first use.
 * Each level counts towards the depth limit ({@link DEFAULT_MAX_DEPTH}, option
 * `limits["codec.depth"]`).
 *
 * @module
 */
import { type AnyCodec, type Codec, typed } from "./codec.js";
import { DEPTH_LIMIT_NAME, limit } from "./limits.js";

/**
 * A codec resolved when first needed: `const node = lazy("nar.node", () => nodeDecl)`.
 * `options.maxDepth` sets this rule's own default depth limit (still overridden by
 * `limits["codec.depth"]`); the interpreters keep pending recursive rules on a stack of their
 * own, so any depth within the limit decodes and encodes without deep JavaScript recursion.
 */
export function lazy<T>(
  rule: string,
  get: () => Codec<T>,
  options: { maxDepth?: number } = {},
): Codec<T> {
  let resolved: AnyCodec | undefined;
  return typed({
    kind: "lazy",
    rule,
    limit: options.maxDepth === undefined ? undefined : limit(DEPTH_LIMIT_NAME, options.maxDepth),
    get: () => {
      resolved ??= get();
      return resolved;
    },
  });
}
