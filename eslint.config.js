// ESLint: the TypeScript recommended rules, and portable code kept free of `node:` imports.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

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
  {
    files: ["src/**/*.ts"],
    ignores: [
      "src/node/**",
      "src/cli/**",
      "src/daemon/node.ts",
      "src/daemon/node-*.ts",
      "src/serve/node.ts",
      "src/cache/node.ts",
      "src/cache/node-*.ts",
    ],
    rules: {
      "no-restricted-imports": [
        "error",
        { patterns: [{ group: ["node:*"], message: "portable code must not import from node:" }] },
      ],
    },
  },
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
