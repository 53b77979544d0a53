// The `nix-store --export` format declared in the codec DSL, with the NAR grammar embedded:
// a check that the DSL composes (u64 markers, strings, lists of strings, optional values, an
// embedded NAR streamed through events) on real Nix output.
import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { expect, it } from "vitest";
import {
  constU64,
  decodeAsync,
  decodeEvents,
  encode,
  list,
  optional,
  type PayloadHandle,
  record,
  repeatUntil,
  utf8,
} from "../../src/codecs/index.js";
import { narGrammar } from "../../src/nar/index.js";
import { describeWithNix, runNix, runNixBytes, withTempDirAsync } from "../support/nix.js";

/** One path of an export stream: its NAR, then its metadata. */
const exportedPath = record("export.path", {
  nar: narGrammar,
  magic: constU64(0x4558494e, "export.magic"),
  path: utf8("export.store-path"),
  references: list("export.references", utf8("export.reference")),
  deriver: utf8("export.deriver"),
  legacySignature: optional("export.signature", utf8("export.signature")),
});

/** `nix-store --export PATH...`: `1, path` for each path, then `0`. */
const exportStream = repeatUntil("export", exportedPath, {
  more: 1,
  end: 0,
  collectWhenStreaming: true,
});

describeWithNix("the nix-store --export format, declared in the DSL", () => {
  it("decodes real exports (buffered and streaming) and re-encodes them byte for byte", async () => {
    await withTempDirAsync(async (dir) => {
      writeFileSync(join(dir, "file.txt"), "exported by nix\n");
      mkdirSync(join(dir, "tree"));
      writeFileSync(join(dir, "tree", "a"), "a");
      writeFileSync(join(dir, "tree", "b"), "bb");
      const paths = [
        runNix("nix-store", ["--add", join(dir, "file.txt")]),
        runNix("nix-store", ["--add", join(dir, "tree")]),
      ];
      const drv = readdirSync("/nix/store").find((f) => f.endsWith(".drv"));
      if (drv) paths.push(`/nix/store/${drv}`);
      const bytes = new Uint8Array(runNixBytes("nix-store", ["--export", ...paths]));

      const decoded = await decodeAsync(exportStream, [bytes]);
      expect(decoded.map((p) => p.path).sort()).toEqual([...paths].sort()); // Nix orders them topologically
      for (const p of decoded) {
        expect(encode(narGrammar, p.nar)).toEqual(
          new Uint8Array(runNixBytes("nix-store", ["--dump", p.path])),
        );
        const refs = runNix("nix-store", ["-q", "--references", p.path])
          .split("\n")
          .filter((l) => l !== "");
        expect([...p.references].sort()).toEqual(refs.sort());
      }
      expect(encode(exportStream, decoded)).toEqual(bytes);

      // streaming: file contents arrive as payload events, in order, never buffered whole
      const contents: string[] = [];
      for await (const ev of decodeEvents(exportStream, [bytes])) {
        if (ev.name !== "regular") continue;
        let text = "";
        for await (const c of (ev.value as PayloadHandle).stream)
          text += new TextDecoder().decode(c);
        contents.push(text);
      }
      expect(contents).toEqual(expect.arrayContaining(["exported by nix\n", "a", "bb"]));
    });
  });
});
