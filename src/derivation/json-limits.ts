/**
 * The depth limits of derivation JSON ({@link MAX_JSON_DEPTH}, {@link MAX_DYNAMIC_OUTPUT_DEPTH}),
 * checked before anything recursive (zod, the converters, canonical JSON) sees the document.
 * The walk is iterative, so a document of any depth is measured without using the call stack.
 *
 * @module
 */
import { MAX_DYNAMIC_OUTPUT_DEPTH, MAX_JSON_DEPTH } from "./limits.js";

/** Options of {@link derivationJsonDepthProblem}. */
export interface DerivationJsonLimits {
  /** How deep arrays and objects may nest (default {@link MAX_JSON_DEPTH}). */
  readonly maxJsonDepth?: number;
  /** How deep `dynamicOutputs` may nest (default {@link MAX_DYNAMIC_OUTPUT_DEPTH}). */
  readonly maxDynamicOutputDepth?: number;
}

/** A depth limit a document goes beyond, with the JSON path where it does. */
export interface DerivationJsonDepthProblem {
  readonly path: (string | number)[];
  readonly message: string;
  readonly code: "derivation-json.too-deep" | "derivation-json.dynamic-outputs-too-deep";
}

interface Pending {
  readonly value: unknown;
  /** The container holding this value and its key there (the path is rebuilt from these). */
  readonly parent: Pending | undefined;
  readonly key: string | number;
  readonly depth: number;
  /** Dynamic-output levels above this value. */
  readonly dyn: number;
}

function pathOf(p: Pending): (string | number)[] {
  const path: (string | number)[] = [];
  for (let at: Pending | undefined = p; at?.parent !== undefined; at = at.parent) path.push(at.key);
  return path.reverse();
}

/**
 * The first place where `value` nests deeper than the limits allow, or `undefined`. Every
 * `dynamicOutputs` object adds a dynamic-output level to the output sets it holds.
 */
export function derivationJsonDepthProblem(
  value: unknown,
  limits: DerivationJsonLimits = {},
): DerivationJsonDepthProblem | undefined {
  const maxJson = limits.maxJsonDepth ?? MAX_JSON_DEPTH;
  const maxDyn = limits.maxDynamicOutputDepth ?? MAX_DYNAMIC_OUTPUT_DEPTH;
  const stack: Pending[] = [{ value, parent: undefined, key: "", depth: 0, dyn: 0 }];
  while (stack.length > 0) {
    const at = stack.pop()!;
    const v = at.value;
    if (v === null || typeof v !== "object") continue;
    if (at.depth >= maxJson) {
      return {
        path: pathOf(at),
        message: `arrays and objects nest deeper than ${maxJson} levels (the limit maxJsonDepth)`,
        code: "derivation-json.too-deep",
      };
    }
    const depth = at.depth + 1;
    if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) {
        stack.push({ value: v[i], parent: at, key: i, depth, dyn: at.dyn });
      }
      continue;
    }
    const keys = Object.keys(v);
    const dyn = at.key === "dynamicOutputs" && at.parent !== undefined ? at.dyn + 1 : at.dyn;
    if (dyn > maxDyn && keys.length > 0) {
      return {
        path: [...pathOf(at), keys[0]!],
        message: `dynamic outputs nest deeper than ${maxDyn} levels (the limit maxDynamicOutputDepth)`,
        code: "derivation-json.dynamic-outputs-too-deep",
      };
    }
    for (let i = keys.length - 1; i >= 0; i--) {
      const k = keys[i]!;
      stack.push({ value: (v as Record<string, unknown>)[k], parent: at, key: k, depth, dyn });
    }
  }
  return undefined;
}
