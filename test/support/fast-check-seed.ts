/**
 * Every property test of `npm test` runs from one seed, so a run is reproducible and CI is
 * deterministic: `NIX_COMPAT_FC_SEED` (an integer) picks another, `NIX_COMPAT_FC_SEED=random`
 * a fresh one per run (printed, so a failure can be replayed). Tests that pass their own
 * `seed` keep it. Loaded by vitest (`setupFiles`) in every test file.
 */
import fc from "fast-check";

/** The default seed of the property tests. */
export const DEFAULT_FC_SEED = 20261207;

const asked = process.env.NIX_COMPAT_FC_SEED;
const seed =
  asked === "random"
    ? Math.floor(Math.random() * 2 ** 31)
    : asked !== undefined && /^-?\d+$/.test(asked)
      ? Number(asked)
      : DEFAULT_FC_SEED;
if (asked === "random") process.stderr.write(`fast-check seed: NIX_COMPAT_FC_SEED=${seed}\n`);
fc.configureGlobal({ ...fc.readConfigureGlobal(), seed });
