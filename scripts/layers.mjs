// The layer order of src/ (written down in docs/CONTRIBUTING.md, "Layers"), in one place for
// eslint.config.js (per-folder no-restricted-imports) and test/unit/layers.test.ts (the same
// rule over the whole import graph, dynamic imports included, and no file cycles).
//
// A folder imports only from folders of lower layers; folders of one layer do not import each
// other. src/index.ts (the root entry) may import any portable folder.

/** Bottom to top; each entry is one layer (folders under src/). */
export const LAYERS = [
  ["core"],
  ["codecs", "signing"],
  ["grammar"],
  ["nar"],
  ["narinfo"],
  ["schemas"],
  ["derivation"],
  ["daemon"],
  ["export", "serve", "cache"],
  ["node"],
  ["cli", "testing"],
];

/**
 * Modules that are no folder's to import but their own (byte tools belong in core/codecs).
 * @type {{ module: string, owner: string }[]}
 */
export const PRIVATE_MODULES = [];

/**
 * Layer violations allowed for now, each with who removes it in `by` (none today: issue 18
 * removed them all). `test/unit/layers.test.ts` fails on an
 * entry that is no longer needed, so the list only shrinks. `imports` is a folder, or a
 * private module of PRIVATE_MODULES.
 */
export const LAYER_EXCEPTIONS = [];

/** Today's import cycles between files (each a set of files), tagged like LAYER_EXCEPTIONS. */
export const FILE_CYCLE_EXCEPTIONS = /** @type {{ files: string[], by: string }[]} */ ([]);

/** The layer index of each folder. */
export function layerOf(folder) {
  const i = LAYERS.findIndex((layer) => layer.includes(folder));
  if (i < 0) throw new Error(`src/${folder} is in no layer of scripts/layers.mjs`);
  return i;
}

/** The folders `folder` may not import (its own layer's others and every layer above). */
export function forbiddenFolders(folder) {
  const own = layerOf(folder);
  return LAYERS.flatMap((layer, i) =>
    i > own || i === own ? layer.filter((f) => f !== folder) : [],
  );
}

/** The private modules `folder` may not import. */
export function forbiddenModules(folder) {
  return PRIVATE_MODULES.filter((p) => p.owner !== folder).map((p) => p.module);
}
