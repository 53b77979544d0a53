/**
 * The kind of a whole derivation, from the kinds of its outputs (Nix's `Derivation::type()`).
 *
 * ```text
 * all outputs inputAddressed (or none)        → inputAddressed
 * all outputs deferred                        → inputAddressed, deferred
 * exactly one output "out", caFixed           → fixed
 * all outputs caFloating, one method          → floating
 * all outputs impure                          → impure
 * anything else                               → error (mixed kinds, several fixed outputs ...)
 * ```
 *
 * @module
 */
import type { ContentAddressMethod } from "../core/content-address.js";
import { DerivationValidationError } from "./errors.js";
import type { CaFixedOutput, Derivation } from "./types.js";

/** What kind of derivation this is. */
export type DerivationKind =
  | { readonly kind: "inputAddressed"; readonly deferred: boolean }
  | { readonly kind: "fixed"; readonly output: CaFixedOutput }
  | { readonly kind: "floating"; readonly method: ContentAddressMethod }
  | { readonly kind: "impure" };

/**
 * Classifies a derivation as Nix does, throwing {@link DerivationValidationError} for
 * combinations Nix refuses (`derivation.mixed-output-kinds`, `derivation.fixed-output-name`).
 */
export function derivationKind(drv: Derivation): DerivationKind {
  let ia = 0;
  let deferred = 0;
  let fixed = 0;
  let floating = 0;
  let impure = 0;
  let method: ContentAddressMethod | undefined;
  let mixedMethods = false;
  for (const o of drv.outputs.values()) {
    switch (o.kind) {
      case "inputAddressed":
        ia++;
        break;
      case "deferred":
        deferred++;
        break;
      case "caFixed":
        fixed++;
        break;
      case "caFloating":
        floating++;
        if (method !== undefined && method !== o.method) mixedMethods = true;
        method = o.method;
        break;
      case "impure":
        impure++;
        break;
    }
  }
  const n = drv.outputs.size;
  if (ia === n) return { kind: "inputAddressed", deferred: false };
  if (deferred === n) return { kind: "inputAddressed", deferred: true };
  if (fixed > 0) {
    const out = drv.outputs.get("out");
    if (fixed !== n || n !== 1 || out === undefined || out.kind !== "caFixed") {
      throw new DerivationValidationError(
        "derivation.fixed-output-name",
        "a fixed-output derivation must have exactly one output, named 'out'",
        { rule: "outputs" },
      );
    }
    return { kind: "fixed", output: out };
  }
  if (floating === n) {
    if (mixedMethods) {
      throw new DerivationValidationError(
        "derivation.mixed-output-kinds",
        "all floating content-addressed outputs must use the same method",
        { rule: "outputs" },
      );
    }
    return { kind: "floating", method: method! };
  }
  if (impure === n) return { kind: "impure" };
  throw new DerivationValidationError(
    "derivation.mixed-output-kinds",
    "the derivation mixes output kinds (input-addressed, fixed, floating, impure)",
    { rule: "outputs" },
  );
}
