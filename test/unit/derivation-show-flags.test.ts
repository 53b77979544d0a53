import { spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  SHOW_TURBOFAN_FROM_FILES,
  SHOW_V8_FLAGS_FROM_FILES,
  showV8Flags,
  V8_WITH_MAGLEV,
} from "../../src/cli/commands/derivation.js";
import { CLI_PATH } from "../support/cli.js";
import { REPO_ROOT } from "../support/fixtures.js";

describe("derivation show's V8 flags", () => {
  it("keep the young generation at its starting size, whatever the input", () => {
    for (const files of [SHOW_V8_FLAGS_FROM_FILES, SHOW_TURBOFAN_FROM_FILES, 100_000])
      for (const v8 of [V8_WITH_MAGLEV - 1, V8_WITH_MAGLEV, 13])
        expect(showV8Flags(files, v8)).toContain("--semi-space-growth-factor=1");
    expect(showV8Flags(1, V8_WITH_MAGLEV - 1)).toContain("--semi-space-growth-factor=1");
  });
  it("none for a few files where Maglev is there (node:v8 would cost more than they save)", () => {
    expect(showV8Flags(SHOW_V8_FLAGS_FROM_FILES - 1, V8_WITH_MAGLEV)).toEqual([]);
    expect(showV8Flags(1, 13)).toEqual([]);
  });
  it("turn TurboFan off at any size where Maglev is there, on Node 20 only below the threshold", () => {
    expect(showV8Flags(100_000, V8_WITH_MAGLEV)).toContain("--no-opt");
    expect(showV8Flags(SHOW_TURBOFAN_FROM_FILES - 1, V8_WITH_MAGLEV - 1)).toContain("--no-opt");
    expect(showV8Flags(SHOW_TURBOFAN_FROM_FILES, V8_WITH_MAGLEV - 1)).not.toContain("--no-opt");
  });
});

describe("derivation show sets its flags before it looks at its arguments", () => {
  it("no TurboFan compilation (on the stack or not) where the flags turn it off", () => {
    const dir = mkdtempSync(join(tmpdir(), "show-flags-"));
    try {
      const drv = join(dir, "9wqb07v8sra7i0vdp3zb6ypaw7bwl1f6-hello.drv");
      copyFileSync(join(REPO_ROOT, "examples", "hello.drv"), drv);
      const v8 = Number.parseInt(process.versions.v8, 10);
      // thousands of arguments: a loop over them run before the flags got TurboFan (OSR)
      const files = v8 >= V8_WITH_MAGLEV ? 8000 : SHOW_TURBOFAN_FROM_FILES - 1;
      const r = spawnSync(
        process.execPath,
        ["--trace-opt", CLI_PATH, "derivation", "show", ...Array<string>(files).fill(drv)],
        { env: { ...process.env, NIX_COMPAT_IO_THREADS: "0" }, maxBuffer: 1 << 26 },
      );
      expect(r.status).toBe(0);
      expect(r.stdout.toString("latin1")).not.toContain("TURBOFAN");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
