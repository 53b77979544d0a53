/**
 * The checked-in generated code (`*.generated.ts`) is what the generator makes of today's
 * declarations (decoders and encoders, and event writers): change a declaration, run
 * `npm run generate`.
 */
import { readFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { generateCodec, generatedModule } from "../../src/codecs/compile-source.js";
import { DEFAULT_MAX_DEPTH } from "../../src/codecs/limits.js";
import { generatedWriterModule, generateWriter } from "../../src/codecs/compile-writer-source.js";
import { writerPlan } from "../../src/codecs/writer-plan.js";
import {
  generatedResumableModule,
  generateResumable,
} from "../../src/codecs/compile-resumable-source.js";
import {
  GENERATED_CODECS,
  GENERATED_RESUMABLE,
  GENERATED_WRITERS,
} from "../../scripts/generated-codecs.mjs";

const src = join(dirname(fileURLToPath(import.meta.url)), "../../src");

describe("generated codecs are up to date with their declarations", () => {
  for (const target of GENERATED_CODECS) {
    it(`${target.out} (run npm run generate if this fails)`, async () => {
      const mod = (await import(join(src, `${target.module}.ts`))) as Record<string, unknown>;
      const { source } = generateCodec(mod[target.name] as never, DEFAULT_MAX_DEPTH);
      const out = join(src, target.out);
      const from = `./${relative(dirname(out), join(src, `${target.module}.ts`))}`;
      expect(readFileSync(out, "utf8")).toBe(generatedModule(target.name, from, source));
    });
  }
});

describe("generated event writers are up to date with their declarations", () => {
  for (const target of GENERATED_WRITERS) {
    it(`${target.out} (run npm run generate if this fails)`, async () => {
      const mod = (await import(join(src, `${target.module}.ts`))) as Record<string, unknown>;
      const { source } = generateWriter(writerPlan(mod[target.name] as never));
      const out = join(src, target.out);
      const from = `./${relative(dirname(out), join(src, `${target.module}.ts`))}`;
      expect(readFileSync(out, "utf8")).toBe(generatedWriterModule(target.name, from, source));
    });
  }
});

describe("generated resumable decoders are up to date with their declarations", () => {
  for (const target of GENERATED_RESUMABLE) {
    it(`${target.out} (run npm run generate if this fails)`, async () => {
      const mod = (await import(join(src, `${target.module}.ts`))) as Record<string, unknown>;
      const { source } = generateResumable(mod[target.name] as never);
      const out = join(src, target.out);
      const from = `./${relative(dirname(out), join(src, `${target.module}.ts`))}`;
      expect(readFileSync(out, "utf8")).toBe(generatedResumableModule(target.name, from, source));
    });
  }
});
