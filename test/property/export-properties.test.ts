/**
 * The `nix-store --export` format: the declared grammar, the step-by-step codec and the
 * streaming reader agree; hostile streams give typed errors.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decode } from "../../src/codecs/decode.js";
import { encode } from "../../src/codecs/encode.js";
import { u64Bytes } from "../../src/codecs/wire-bytes.js";
import { MalformedInputError, NixCompatError, TruncatedInputError } from "../../src/core/errors.js";
import { computeHash } from "../../src/core/hash.js";
import { decodeExport, encodeExport, exportStream, readExport } from "../../src/export/index.js";
import { encodeNar } from "../../src/nar/writer.js";
import { arbExportEntry } from "../../src/testing/wire.js";

async function readAll(input: Iterable<Uint8Array> | Uint8Array) {
  const out = [];
  for await (const p of readExport(input)) out.push(p);
  return out;
}

function chunked(bytes: Uint8Array, size: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i += size) out.push(bytes.subarray(i, i + size));
  return out;
}

describe("export format", () => {
  it("encodes and decodes entries; the declared stream gives the same bytes", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(arbExportEntry, { maxLength: 4 }),
        fc.integer({ min: 1, max: 97 }),
        async (entries, size) => {
          const bytes = encodeExport(entries);
          expect(encode(exportStream, entries)).toEqual(bytes);
          expect(decodeExport(bytes)).toEqual(entries);
          expect(decode(exportStream, bytes)).toEqual(entries);
          const streamed = await readAll(chunked(bytes, size));
          expect(streamed.map((p) => p.path)).toEqual(entries.map((e) => e.path));
          streamed.forEach((p, i) => {
            const nar = encodeNar(entries[i]!.nar);
            expect(p.narSize).toBe(nar.length);
            expect(p.narHash).toEqual(computeHash("sha256", nar));
            expect(p.references).toEqual(entries[i]!.references);
            expect(p.deriver).toEqual(entries[i]!.deriver);
          });
        },
      ),
      { numRuns: 40 },
    );
  });

  it("truncated and damaged streams give typed errors", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(arbExportEntry, { minLength: 1, maxLength: 2 }),
        fc.nat(),
        fc.integer({ min: 0, max: 255 }),
        async (entries, at, byte) => {
          const bytes = encodeExport(entries);
          const cut = bytes.subarray(0, at % bytes.length);
          expect(() => decodeExport(cut)).toThrow(TruncatedInputError);
          await expect(readAll([cut])).rejects.toBeInstanceOf(TruncatedInputError);
          const bad = bytes.slice();
          bad[at % bad.length] = byte;
          try {
            decodeExport(bad);
          } catch (err) {
            expect(err).toBeInstanceOf(NixCompatError);
          }
          await readAll([bad]).catch((err: unknown) => expect(err).toBeInstanceOf(NixCompatError));
        },
      ),
      { numRuns: 60 },
    );
  });

  it("a bad marker or magic is malformed", async () => {
    expect(() => decodeExport(u64Bytes(2))).toThrow(MalformedInputError);
    await expect(readAll([u64Bytes(7)])).rejects.toBeInstanceOf(MalformedInputError);
    const entry = encodeExport([
      {
        nar: { type: "symlink", target: "x" },
        path: `/nix/store/${"a".repeat(32)}-x`,
        references: [],
        deriver: undefined,
      },
    ]);
    const magicAt = entry.indexOf(0x4e); // "NIXE" little-endian starts with 'N'
    const bad = entry.slice();
    bad[magicAt] = 0;
    expect(() => decodeExport(bad)).toThrow(MalformedInputError);
  });
});
