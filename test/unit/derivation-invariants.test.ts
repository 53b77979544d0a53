import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  type Derivation,
  DerivationValidationError,
  derivationToJson,
  fillInOutputPaths,
  readDerivationJson,
} from "../../src/derivation/index.js";
import { fixturePath } from "../support/fixtures.js";

const DIR = () => fixturePath("nix-upstream", "libstore", "derivation", "invariants");

function load(f: string): Derivation {
  return readDerivationJson(JSON.parse(readFileSync(join(DIR(), f), "utf8"))).entries[0]!.drv;
}

/** The CA (floating) dependency the depends-on-drv cases refer to. */
const dependency: Derivation = {
  name: "dependency",
  outputs: new Map([["out", { kind: "caFloating", method: "nar", algorithm: "sha256" }]]),
  inputDrvs: new Map(),
  inputSrcs: [],
  system: "x86_64-linux",
  builder: "/bin/sh",
  args: [],
  env: new Map(),
};
const lookup = () => dependency;

describe("Nix's derivation invariants (fill in output paths, check them)", () => {
  it("fills in deferred outputs (with and without the env variable) as Nix does", async () => {
    for (const n of ["filled-in-deferred-empty-env-var", "filled-in-deferred-no-env-var"]) {
      const filled = await fillInOutputPaths(load(`${n}-pre.json`));
      expect(derivationToJson(filled, { version: 4 })).toEqual(
        derivationToJson(load(`${n}-post.json`), { version: 4 }),
      );
    }
  });

  it("leaves a correct derivation unchanged, and deferred stays deferred with CA inputs", async () => {
    const ok = load("filled-in-idempotent.json");
    expect(derivationToJson(await fillInOutputPaths(ok), { version: 4 })).toEqual(
      derivationToJson(ok, { version: 4 }),
    );
    const dep = load("depends-on-drv-pre.json");
    const filled = await fillInOutputPaths(dep, { lookup });
    expect(filled.outputs.get("out")).toEqual({ kind: "deferred" });
  });

  it("rejects a wrong path, a wrong env variable, and input-addressing that should be deferred", async () => {
    const codes = async (f: string) => {
      try {
        await fillInOutputPaths(load(f), { lookup });
        return "accepted";
      } catch (err) {
        expect(err).toBeInstanceOf(DerivationValidationError);
        return (err as DerivationValidationError).code;
      }
    };
    expect(await codes("bad-path.json")).toBe("derivation.wrong-output-path");
    expect(await codes("bad-env-var.json")).toBe("derivation.wrong-env-var");
    expect(await codes("bad-depends-on-drv-pre.json")).toBe("derivation.should-be-deferred");
  });
});
