// The library's declarations whose generated code is checked in (see src/codecs/compile.ts):
// the declaration's module and export, relative to src/, and the generated module it gets.
// Read by scripts/generate-codecs.mjs and by test/unit/codecs-generated.test.ts.
export const GENERATED_CODECS = [
  { module: "nar/nar-grammar", name: "narGrammar", out: "nar/nar-grammar.generated.ts" },
  { module: "export/index", name: "exportStream", out: "export/export-stream.generated.ts" },
];

// The library's declarations whose generated event writer (src/codecs/compile-writer-source.ts)
// is checked in: read by scripts/generate-codecs.mjs and test/unit/codecs-generated.test.ts.
export const GENERATED_WRITERS = [
  { module: "nar/nar-grammar", name: "narGrammar", out: "nar/nar-writer.generated.ts" },
];

// The declarations whose resumable (streaming) decoder is checked in (see
// src/codecs/compile-resumable-source.ts).
export const GENERATED_RESUMABLE = [
  { module: "nar/nar-grammar", name: "narGrammar", out: "nar/nar-grammar.resumable.generated.ts" },
];
