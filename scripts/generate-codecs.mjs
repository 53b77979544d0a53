// Writes the generated code of the library's declarations (GENERATED_CODECS) into checked-in
// `*.generated.ts` modules, so the library runs compiled codecs without eval. Reads the built
// declarations: run `npm run build` first (`npm run generate` does both).
import { writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { GENERATED_CODECS, GENERATED_RESUMABLE, GENERATED_WRITERS } from "./generated-codecs.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const { generateCodec, generatedModule } = await import(
  join(root, "dist/codecs/compile-source.js")
);
const { DEFAULT_MAX_DEPTH } = await import(join(root, "dist/codecs/limits.js"));

for (const target of GENERATED_CODECS) {
  const mod = await import(join(root, "dist", `${target.module}.js`));
  const { source } = generateCodec(mod[target.name], DEFAULT_MAX_DEPTH);
  const out = join(root, "src", target.out);
  const from = `./${relative(dirname(out), join(root, "src", `${target.module}.ts`))}`;
  writeFileSync(out, generatedModule(target.name, from, source));
  console.log(`wrote ${relative(root, out)}`);
}

// event writers (src/codecs/compile-writer-source.ts)
const { generateWriter, generatedWriterModule } = await import(
  join(root, "dist/codecs/compile-writer-source.js")
);
const { writerPlan } = await import(join(root, "dist/codecs/writer-plan.js"));
for (const target of GENERATED_WRITERS) {
  const mod = await import(join(root, "dist", `${target.module}.js`));
  const { source } = generateWriter(writerPlan(mod[target.name]));
  const out = join(root, "src", target.out);
  const from = `./${relative(dirname(out), join(root, "src", `${target.module}.ts`))}`;
  writeFileSync(out, generatedWriterModule(target.name, from, source));
  console.log(`wrote ${relative(root, out)}`);
}

// resumable (streaming) decoders (src/codecs/compile-resumable-source.ts)
const resumable = await import(join(root, "dist/codecs/compile-resumable-source.js"));
for (const target of GENERATED_RESUMABLE) {
  const mod = await import(join(root, "dist", `${target.module}.js`));
  const { source } = resumable.generateResumable(mod[target.name]);
  const out = join(root, "src", target.out);
  const from = `./${relative(dirname(out), join(root, "src", `${target.module}.ts`))}`;
  writeFileSync(out, resumable.generatedResumableModule(target.name, from, source));
  console.log(`wrote ${relative(root, out)}`);
}
