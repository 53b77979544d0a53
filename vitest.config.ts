import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // one seed for every property test (override: NIX_COMPAT_FC_SEED)
    setupFiles: ["test/support/fast-check-seed.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: "forks",
  },
});
