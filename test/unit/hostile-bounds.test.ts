/**
 * Issue 14: error messages are bounded whatever the input (one quoting helper, a cut on any
 * detail, elided JSON paths), and `derivation output-paths` streams the same JSON it printed
 * as one object.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  formatJsonPath,
  MAX_ERROR_DETAIL,
  MAX_PRINTED_PATH_SEGMENTS,
  MAX_QUOTED_INPUT,
  NixCompatError,
  quoteInput,
} from "../../src/core/errors.js";
import { parseHash } from "../../src/core/hash.js";
import { nixbase32Encode } from "../../src/core/nixbase32.js";
import { parseStorePath } from "../../src/core/store-path.js";
import { computeOutputPathsSync, parseDerivationATerm } from "../../src/derivation/index.js";
import { parseNarInfo } from "../../src/narinfo/index.js";
import { runCliInProcess } from "../support/cli-inprocess.js";
import { withTempDirAsync } from "../support/nix.js";

const HUGE = "a".repeat(1 << 20);

function messageOf(f: () => unknown): string {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(NixCompatError);
    return (err as Error).message;
  }
  throw new Error("expected an error");
}

describe("bounded error messages", () => {
  it("quoteInput: short input whole, long input cut with its length, control characters escaped", () => {
    expect(quoteInput("abc")).toBe("'abc'");
    expect(quoteInput("a\nb\u0000")).toBe("'a\\nb\\u0000'");
    const q = quoteInput(HUGE);
    expect(q.length).toBeLessThan(MAX_QUOTED_INPUT + 40);
    expect(q).toContain(`(${HUGE.length} characters)`);
  });

  it("a 1 MB digest, store path, narinfo value or detail gives a short message", () => {
    const messages = [
      messageOf(() => parseHash(`sha256:${HUGE}`)),
      messageOf(() => parseHash(HUGE)),
      messageOf(() => parseStorePath(`/nix/store/${HUGE}`)),
      messageOf(() => parseStorePath(`/nix/store/0a3yijp35sygmy51cnrrz11vimwapz7c-${HUGE}`)),
      messageOf(() => parseNarInfo(`StorePath: ${HUGE}\n`)),
      messageOf(() => parseNarInfo(`${HUGE}: x\n`)),
      new NixCompatError("x.y", HUGE).message,
    ];
    for (const m of messages)
      expect(m.length, m.slice(0, 200)).toBeLessThanOrEqual(MAX_ERROR_DETAIL + 100);
    for (const m of messages.slice(0, -1)) expect(m.length, m.slice(0, 200)).toBeLessThan(500);
  });

  it("a JSON path deeper than the printed maximum keeps its start and end", () => {
    const path = Array.from({ length: 1000 }, (_, i) => (i % 2 === 0 ? "dynamicOutputs" : i));
    const shown = formatJsonPath(path);
    expect(shown.startsWith("$.dynamicOutputs[1].dynamicOutputs")).toBe(true);
    expect(shown).toContain(`...(${1000 - MAX_PRINTED_PATH_SEGMENTS} more)`);
    expect(shown.endsWith("[999]")).toBe(true);
    expect(formatJsonPath([HUGE]).length).toBeLessThan(MAX_QUOTED_INPUT + 10);
  });
});

describe("derivation output-paths at scale", () => {
  it("streams exactly the JSON of the object (array-index output names first, as an object orders them)", async () => {
    const outputs = ["out", "10", "2", "dev", "0", "4294967295", "01"];
    const env = [...outputs.map((o) => [o, ""]), ["name", "x"]].sort((a, b) =>
      a[0]! < b[0]! ? -1 : 1,
    );
    const aterm = `Derive([${[...outputs]
      .sort()
      .map((o) => `("${o}","","","")`)
      .join(",")}],[],[],"x","b",[],[${env.map(([k, v]) => `("${k}","${v}")`).join(",")}])`;
    const drv = parseDerivationATerm(new TextEncoder().encode(aterm));
    const expected = `${JSON.stringify(
      Object.fromEntries([...computeOutputPathsSync(drv)].map(([k, v]) => [k, v ?? null])),
      null,
      2,
    )}\n`;
    await withTempDirAsync(async (dir) => {
      const f = join(dir, "x.drv");
      writeFileSync(f, aterm);
      const r = await runCliInProcess(["derivation", "output-paths", f]);
      expect(r.stderr).toBe("");
      expect(r.stdout.toString()).toBe(expected);
    });
  });

  it("nixbase32 hashes are flat strings equal to the character-by-character encoding", () => {
    const bytes = Uint8Array.from({ length: 5000 }, (_, i) => (i * 31 + 7) & 0xff);
    for (const n of [0, 1, 20, 32, 64, 5000]) {
      const b = bytes.subarray(0, n);
      let ref = "";
      const len = Math.ceil((n * 8) / 5);
      for (let k = len - 1; k >= 0; k--) {
        const i = (k * 5) >>> 3;
        const j = (k * 5) & 7;
        ref += "0123456789abcdfghijklmnpqrsvwxyz"[
          ((b[i]! >>> j) | (i + 1 < n ? b[i + 1]! << (8 - j) : 0)) & 0x1f
        ];
      }
      expect(nixbase32Encode(b)).toBe(ref);
    }
  });
});
