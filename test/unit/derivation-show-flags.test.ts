import { describe, expect, it } from "vitest";
import {
  SHOW_TURBOFAN_FROM_FILES,
  showV8Flags,
  V8_WITH_MAGLEV,
} from "../../src/cli/commands/derivation.js";

describe("derivation show's V8 flags", () => {
  it("keep the young generation at its starting size, whatever the input", () => {
    for (const files of [1, SHOW_TURBOFAN_FROM_FILES, 100_000])
      for (const v8 of [V8_WITH_MAGLEV - 1, V8_WITH_MAGLEV, 13])
        expect(showV8Flags(files, v8)).toContain("--semi-space-growth-factor=1");
  });
  it("turn TurboFan off at any size where Maglev is there, on Node 20 only below the threshold", () => {
    expect(showV8Flags(100_000, V8_WITH_MAGLEV)).toContain("--no-opt");
    expect(showV8Flags(SHOW_TURBOFAN_FROM_FILES - 1, V8_WITH_MAGLEV - 1)).toContain("--no-opt");
    expect(showV8Flags(SHOW_TURBOFAN_FROM_FILES, V8_WITH_MAGLEV - 1)).not.toContain("--no-opt");
  });
});
