/**
 * Loads Nix's own JSON Schemas (YAML, in `fixtures/nix-upstream/schema/`) into ajv,
 * so tests can check that our zod schemas accept and reject the same documents.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Ajv, type ValidateFunction } from "ajv";
import { parse as parseYaml } from "yaml";
import { fixturePath } from "./fixtures.js";

const SCHEMA_DIR = fixturePath("nix-upstream", "schema");

let ajv: Ajv | undefined;

function loadAll(): Ajv {
  if (ajv) return ajv;
  ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
  for (const file of readdirSync(SCHEMA_DIR).filter((f) => f.endsWith(".yaml"))) {
    const schema = parseYaml(readFileSync(join(SCHEMA_DIR, file), "utf8")) as Record<
      string,
      unknown
    >;
    delete schema.$schema; // draft-04 / draft-07 markers: ajv's default dialect validates both here
    // Relative refs like "./hash-v1.yaml" resolve against $id; register under the file name too.
    const id = String(schema.$id ?? file);
    ajv.addSchema({ ...schema, $id: id.replace(/\.json$/, ".yaml") }, file);
  }
  return ajv;
}

/** A validator for the upstream schema in `file` (e.g. `hash-v1.yaml`). */
export function upstreamValidator(file: string): ValidateFunction {
  const v = loadAll().getSchema(file);
  if (!v) throw new Error(`no upstream schema ${file}`);
  return v;
}

/** The `examples` listed in an upstream schema file. */
export function upstreamExamples(file: string): unknown[] {
  const schema = parseYaml(readFileSync(join(SCHEMA_DIR, file), "utf8")) as {
    examples?: unknown[];
  };
  return schema.examples ?? [];
}
