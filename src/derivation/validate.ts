/**
 * Derivation rules: the checks of the Rust nix-compat crate's `Derivation::validate`, Nix's
 * output-kind rules (`Derivation::type()`), and Nix's `checkInvariants` / filling in of
 * deferred output paths.
 *
 * | rule | code |
 * |---|---|
 * | at least one output | `derivation.no-outputs` |
 * | output names non-empty, not `drv`, valid store path names | `derivation.invalid-output-name` |
 * | a fixed-output derivation has exactly one output, `out` | `derivation.fixed-output-name` |
 * | output kinds not mixed | `derivation.mixed-output-kinds` |
 * | fixed output path = the path computed from name, method and hash | `derivation.fixed-output-path` |
 * | input derivations end in `.drv` | `derivation.input-drv-not-drv` |
 * | input derivations name at least one output, each a valid output name | `derivation.input-drv-no-outputs`, `derivation.invalid-input-drv-output-name` |
 * | `system` non-empty | `derivation.empty-system` |
 * | `builder` non-empty | `derivation.empty-builder` |
 *
 * Environment names may be empty (`nix-instantiate` writes `derivation { "" = "x"; }` so).
 *
 * @module
 */

import { NixCompatError, quoteInput } from "../core/errors.js";
import {
  DEFAULT_STORE_DIR,
  isValidStorePathName,
  storePathToAbsolute,
} from "../core/store-path.js";
import { makeOutputPath } from "../core/store-path-compute.js";
import { DerivationValidationError } from "./errors.js";
import {
  type DerivationHashOptions,
  type DerivationLookup,
  type DrvHashCache,
  derivationPath,
  fixedOutputStorePath,
  hashDerivationModulo,
} from "./hash.js";
import { derivationKind } from "./kind.js";
import {
  compareNames,
  type Derivation,
  type DerivationOutput,
  type DrvString,
  derivationName,
} from "./types.js";

/** Options of {@link validateDerivation}. */
export interface ValidateOptions {
  readonly storeDir?: string;
  /** The derivation's name (else from `drv.name`, env `name` or `__json`): enables the fixed-output path check. */
  readonly name?: string;
}

function isOutputName(name: string): boolean {
  return name !== "" && name !== "drv" && isValidStorePathName(name);
}

function problem(
  code: string,
  detail: string,
  path: (string | number)[],
): DerivationValidationError {
  return new DerivationValidationError(code, detail, {
    path,
    rule: code.slice("derivation.".length),
  });
}

/** Every rule broken by `drv`, in order (empty when valid). JSON paths follow Nix 2.8's JSON. */
export function derivationProblems(
  drv: Derivation,
  options: ValidateOptions = {},
): DerivationValidationError[] {
  const problems: DerivationValidationError[] = [];
  if (drv.outputs.size === 0)
    problems.push(problem("derivation.no-outputs", "the derivation has no outputs", ["outputs"]));
  for (const [name, o] of drv.outputs) {
    if (!isOutputName(name)) {
      problems.push(
        problem(
          "derivation.invalid-output-name",
          `invalid output name ${quoteInput(name)} (must be a non-empty store path name other than 'drv')`,
          ["outputs", name],
        ),
      );
    }
    if (o.kind === "caFixed" && (drv.outputs.size !== 1 || name !== "out")) {
      problems.push(
        problem(
          "derivation.fixed-output-name",
          `fixed output ${quoteInput(name)}: a fixed-output derivation must have exactly one output, named 'out'`,
          ["outputs", name],
        ),
      );
    }
  }
  try {
    derivationKind(drv);
  } catch (err) {
    if (err instanceof DerivationValidationError && err.code === "derivation.mixed-output-kinds") {
      problems.push(problem(err.code, err.detail, ["outputs"]));
    } else if (!(err instanceof DerivationValidationError)) throw err;
  }
  const name = options.name ?? derivationName(drv);
  if (name !== undefined) {
    for (const [oname, o] of drv.outputs) {
      if (o.kind !== "caFixed" || o.path === undefined || !isOutputName(oname)) continue;
      let expected: string | undefined;
      try {
        expected = fixedOutputStorePath(name, oname, o, options.storeDir ?? DEFAULT_STORE_DIR);
      } catch (err) {
        if (!(err instanceof NixCompatError)) throw err;
        problems.push(
          problem(
            "derivation.fixed-output-path",
            `fixed output ${quoteInput(oname)}: ${err.detail}`,
            ["outputs", oname, "path"],
          ),
        );
        continue;
      }
      if (expected !== o.path) {
        problems.push(
          problem(
            "derivation.fixed-output-path",
            `fixed output ${quoteInput(oname)} has path ${quoteInput(o.path)}, but its name, method and hash give ${quoteInput(expected)}`,
            ["outputs", oname, "path"],
          ),
        );
      }
    }
  }
  for (const [path, set] of drv.inputDrvs) {
    if (!path.endsWith(".drv")) {
      problems.push(
        problem(
          "derivation.input-drv-not-drv",
          `input derivation ${quoteInput(path)} does not end in .drv`,
          ["inputDrvs", path],
        ),
      );
    }
    if (set.outputs.length === 0 && set.dynamicOutputs.size === 0) {
      problems.push(
        problem(
          "derivation.input-drv-no-outputs",
          `input derivation ${quoteInput(path)} names no outputs`,
          ["inputDrvs", path],
        ),
      );
    }
    set.outputs.forEach((o, i) => {
      if (!isOutputName(o)) {
        problems.push(
          problem(
            "derivation.invalid-input-drv-output-name",
            `input derivation ${quoteInput(path)}: invalid output name ${quoteInput(o)}`,
            ["inputDrvs", path, i],
          ),
        );
      }
    });
  }
  if (drv.system === "")
    problems.push(problem("derivation.empty-system", "system is empty", ["system"]));
  if (drv.builder === "")
    problems.push(problem("derivation.empty-builder", "builder is empty", ["builder"]));
  // An empty environment name is valid: `derivation { "" = ...; }` makes one.
  return problems;
}

/** Throws the first {@link DerivationValidationError} of {@link derivationProblems}. */
export function validateDerivation(drv: Derivation, options: ValidateOptions = {}): void {
  const problems = derivationProblems(drv, options);
  if (problems.length > 0) throw problems[0];
}

/** Options of {@link fillInOutputPaths}. */
export interface FillInOptions extends DerivationHashOptions {
  readonly lookup?: DerivationLookup;
  readonly cache?: DrvHashCache;
}

function envHasPath(env: ReadonlyMap<string, DrvString>, key: string, path: string): boolean {
  return env.get(key) === path;
}

/** What {@link checkOutputPaths} found: the completed maps and every broken invariant. */
interface OutputCheck {
  readonly outputs: Map<string, DerivationOutput>;
  readonly env: Map<string, DrvString>;
  readonly problems: DerivationValidationError[];
}

/**
 * Nix's invariants on output paths, every broken one collected: input-addressed outputs must
 * have the path computed from the hash modulo, and each output's env variable must be its
 * path (fixed outputs too). With `fill`, deferred outputs whose path is now known get it (and
 * an empty or missing env variable), as Nix's `fillInOutputPaths` does; without, they are left
 * alone, as `checkInvariants` (`nix derivation add`) does.
 */
async function checkOutputPaths(
  drv: Derivation,
  options: FillInOptions,
  fill: boolean,
): Promise<OutputCheck> {
  const storeDir = options.storeDir ?? DEFAULT_STORE_DIR;
  const name = options.name ?? derivationName(drv);
  if (name === undefined) {
    throw new DerivationValidationError("derivation.missing-name", "the derivation has no name");
  }
  const kind = derivationKind(drv);
  const outputs = new Map<string, DerivationOutput>(drv.outputs);
  const env = new Map<string, DrvString>(drv.env);
  const problems: DerivationValidationError[] = [];
  if (kind.kind === "inputAddressed") {
    const h = await hashDerivationModulo(drv, { ...options, name, maskOutputs: true });
    for (const [o, spec] of drv.outputs) {
      const digest = h.hashes.get(o)!;
      if (spec.kind === "inputAddressed" && h.kind === "deferred") {
        problems.push(
          new DerivationValidationError(
            "derivation.should-be-deferred",
            `output ${quoteInput(o)} is input-addressed, but the derivation depends on content-addressed derivations: it should be deferred`,
            { path: ["outputs", o] },
          ),
        );
        continue;
      }
      if (h.kind === "deferred" || (!fill && spec.kind === "deferred")) continue;
      const path = storePathToAbsolute(makeOutputPath(o, digest, name, { storeDir }), storeDir);
      if (spec.kind === "inputAddressed" && spec.path !== path) {
        problems.push(
          new DerivationValidationError(
            "derivation.wrong-output-path",
            `output ${quoteInput(o)} has path ${quoteInput(spec.path)}, should be ${quoteInput(path)}`,
            { path: ["outputs", o, "path"] },
          ),
        );
      }
      const cur = env.get(o);
      if (spec.kind === "deferred" && (cur === undefined || cur === "")) env.set(o, path);
      else if (!envHasPath(env, o, path)) {
        problems.push(
          new DerivationValidationError(
            "derivation.wrong-env-var",
            `environment variable ${quoteInput(o)} should be ${quoteInput(path)}`,
            { path: ["env", o] },
          ),
        );
      }
      outputs.set(o, { kind: "inputAddressed", path });
    }
  } else if (kind.kind === "fixed") {
    const path = fixedOutputStorePath(name, "out", kind.output, storeDir);
    if (!envHasPath(env, "out", path)) {
      problems.push(
        new DerivationValidationError(
          "derivation.wrong-env-var",
          `environment variable 'out' should be ${quoteInput(path)}`,
          { path: ["env", "out"] },
        ),
      );
    }
  }
  return { outputs, env, problems };
}

/**
 * Nix's filling in of output paths, with its invariant checks: deferred outputs get their
 * input-addressed path (and env variable) when the hash modulo is final; input-addressed
 * outputs must already have the right path; every output's env variable, when set, must
 * be its path. Returns the completed derivation; throws {@link DerivationValidationError}
 * (`derivation.wrong-output-path`, `derivation.wrong-env-var`, `derivation.should-be-deferred`).
 */
export async function fillInOutputPaths(
  drv: Derivation,
  options: FillInOptions = {},
): Promise<Derivation> {
  const { outputs, env, problems } = await checkOutputPaths(drv, options, true);
  if (problems.length > 0) throw problems[0];
  return { ...drv, outputs: sortedOutputs(outputs), env: sortedEnv(env) };
}

/** Options of {@link derivationConsistencyProblems}. */
export interface ConsistencyOptions extends FillInOptions {
  /** The drv path the document gives (a keyed JSON document's key): checked against the computed one. */
  readonly drvPath?: string;
}

/**
 * What `nix derivation add` checks before it writes a derivation (`checkInvariants`), every
 * problem at once: output paths and their environment variables are the ones Nix computes
 * (input derivations come from `lookup`), and the drv path, when given, is the one the
 * derivation hashes to. Empty when consistent.
 */
export async function derivationConsistencyProblems(
  drv: Derivation,
  options: ConsistencyOptions = {},
): Promise<DerivationValidationError[]> {
  const problems = [...(await checkOutputPaths(drv, options, false)).problems];
  if (options.drvPath !== undefined) {
    const computed = derivationPath(drv, { storeDir: options.storeDir, name: options.name });
    if (computed !== options.drvPath) {
      problems.push(
        new DerivationValidationError(
          "derivation.wrong-drv-path",
          `the derivation is keyed ${quoteInput(options.drvPath)}, but it hashes to ${quoteInput(computed)}`,
          { path: [] },
        ),
      );
    }
  }
  return problems;
}

function sortedOutputs(m: Map<string, DerivationOutput>): Map<string, DerivationOutput> {
  return m;
}

function sortedEnv(m: Map<string, DrvString>): Map<string, DrvString> {
  return new Map([...m.entries()].sort((a, b) => compareNames(a[0], b[0])));
}
