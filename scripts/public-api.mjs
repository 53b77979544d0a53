// The public API of the package: for each entry of package.json "exports", the names its
// source module exports (values, then types), read with the TypeScript checker.
// `node scripts/public-api.mjs --write` rewrites test/unit/public-api.json, the pinned list
// `test/unit/public-api.test.ts` compares with: adding or removing an export is a decision,
// made by running this and committing the JSON beside the change.
import { readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

export const REPO_ROOT = resolve(fileURLToPath(import.meta.url), "..", "..");
export const PINNED_API = join(REPO_ROOT, "test", "unit", "public-api.json");

/** Each package entry ("." or "./nar"...) and its source file under src/. */
export function packageEntries() {
  const pkg = JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8"));
  const entries = {};
  for (const [name, target] of Object.entries(pkg.exports)) {
    const built = typeof target === "string" ? target : target.default;
    if (!built.startsWith("./dist/") || !built.endsWith(".js")) continue;
    entries[name] = join(REPO_ROOT, "src", built.slice("./dist/".length).replace(/\.js$/, ".ts"));
  }
  return entries;
}

/** `{ entry: { values: [...], types: [...] } }`, names sorted. */
export function publicApi() {
  const entries = packageEntries();
  const config = ts.getParsedCommandLineOfConfigFile(
    join(REPO_ROOT, "tsconfig.build.json"),
    {},
    { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => undefined },
  );
  const program = ts.createProgram(Object.values(entries), { ...config.options, noEmit: true });
  const checker = program.getTypeChecker();
  const api = {};
  for (const [name, file] of Object.entries(entries)) {
    const module = checker.getSymbolAtLocation(program.getSourceFile(file));
    const values = [];
    const types = [];
    for (const symbol of checker.getExportsOfModule(module)) {
      const target =
        symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
      (target.flags & ts.SymbolFlags.Value ? values : types).push(symbol.name);
    }
    api[name] = { values: values.sort(), types: types.sort() };
  }
  return api;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const api = publicApi();
  if (process.argv.includes("--write")) {
    writeFileSync(PINNED_API, `${JSON.stringify(api, null, 2)}\n`);
    console.log(`wrote ${PINNED_API}`);
  } else {
    for (const [name, { values, types }] of Object.entries(api))
      console.log(`${name}: ${values.length} values, ${types.length} types`);
  }
}
