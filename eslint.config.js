// ESLint: the TypeScript recommended rules, the layer order of src/ (scripts/layers.mjs), and
// portable code kept free of `node:` imports.
import js from "@eslint/js";
import tseslint from "typescript-eslint";
import { forbiddenFolders, forbiddenModules, LAYER_EXCEPTIONS, LAYERS } from "./scripts/layers.mjs";

/** Node-only files of src: the only ones that may import from `node:`. */
const NODE_ONLY = [
  "src/node/**",
  "src/cli/**",
  "src/daemon/node.ts",
  "src/daemon/node-*.ts",
  "src/serve/node.ts",
  "src/cache/node.ts",
  "src/cache/node-*.ts",
];
const NODE_IMPORTS = { regex: "^node:", message: "portable code must not import from node:" };

/** An import pattern that matches `target` (a folder or a module of src) from a file of src. */
function importOf(target, fromFolder, why) {
  const escaped = target.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
  // From src/index.ts the folders are ./NAME, from src/FOLDER/.../file.ts ../(../)*NAME.
  const prefix = fromFolder === undefined ? "^\\./" : "^(\\.\\./)+";
  return { regex: `${prefix}${escaped}(/|\\.js$|$)`, message: why };
}

/**
 * The layer order of scripts/layers.mjs (docs/CONTRIBUTING.md, "Layers") as per-folder
 * `no-restricted-imports` rules, with `node:` kept out of portable code. ESLint replaces a
 * rule's options per file rather than merging them, so each block carries both.
 */
function layerRules() {
  const rule = (folder, file, nodeAllowed) => {
    const allowed = new Set(LAYER_EXCEPTIONS.filter((e) => e.file === file).map((e) => e.imports));
    const patterns = [
      ...forbiddenFolders(folder)
        .filter((f) => !allowed.has(f))
        .map((f) =>
          importOf(
            f,
            folder,
            `layers (docs/CONTRIBUTING.md): src/${folder} may not import src/${f}`,
          ),
        ),
      ...forbiddenModules(folder)
        .filter((m) => !allowed.has(m))
        .map((m) => importOf(m, folder, `src/${m} is private to its folder`)),
      ...(nodeAllowed ? [] : [NODE_IMPORTS]),
    ];
    return { "no-restricted-imports": ["error", { patterns }] };
  };
  const blocks = [
    {
      files: ["src/index.ts"],
      rules: {
        "no-restricted-imports": [
          "error",
          {
            patterns: [
              ...["node", "cli", "testing"].map((f) =>
                importOf(f, undefined, `the root entry is portable: src/${f} is not for it`),
              ),
              NODE_IMPORTS,
            ],
          },
        ],
      },
    },
  ];
  for (const folder of LAYERS.flat()) {
    blocks.push({
      files: [`src/${folder}/**/*.ts`],
      ignores: NODE_ONLY,
      rules: rule(folder, undefined, false),
    });
    const nodeFiles = NODE_ONLY.filter((g) => g.startsWith(`src/${folder}/`));
    if (nodeFiles.length > 0)
      blocks.push({ files: nodeFiles, rules: rule(folder, undefined, true) });
  }
  // Today's exceptions, file by file (after the folder blocks, which they override; none is
  // a Node-only file).
  for (const file of new Set(LAYER_EXCEPTIONS.map((e) => e.file))) {
    const folder = file.split("/")[1];
    blocks.push({ files: [file], ignores: NODE_ONLY, rules: rule(folder, file, false) });
  }
  return blocks;
}

export default tseslint.config(
  { ignores: ["dist/**", "dist-check/**", "node_modules/**", "bench/.work/**", "coverage/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrors: "none" },
      ],
      "no-control-regex": "off",
    },
  },
  ...layerRules(),
  {
    // The portable suite runs in browsers and workers as well as Node: web globals only.
    files: ["test/runtimes/suite.mjs"],
    languageOptions: {
      globals: {
        fetch: "readonly",
        Request: "readonly",
        Response: "readonly",
        URL: "readonly",
        TextEncoder: "readonly",
        structuredClone: "readonly",
      },
    },
  },
  {
    files: ["bench/**/*.mjs", "scripts/**/*.mjs", "*.js"],
    languageOptions: {
      globals: {
        process: "readonly",
        console: "readonly",
        Buffer: "readonly",
        URL: "readonly",
        setTimeout: "readonly",
      },
    },
  },
);
