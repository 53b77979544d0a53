/**
 * `ByteReader.ensureSync`/`ensure` join only the head of the next chunk and read the rest in
 * place (held, then spliced back): whatever mix of ensures, reads and skips, over a source that
 * reuses one buffer for every chunk, the bytes read are the source's, in order.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ByteReader } from "../../src/codecs/byte-reader.js";

/** A chunk source giving `data` in chunks of the given sizes, all copied into one reused buffer. */
function reusingSource(data: Uint8Array, sizes: number[], sync: boolean) {
  const buf = new Uint8Array(Math.max(1, ...sizes));
  let at = 0;
  let i = 0;
  return {
    sync,
    next() {
      if (at >= data.length) return undefined;
      const n = Math.min(sizes[i++ % sizes.length]!, data.length - at);
      buf.set(data.subarray(at, at + n));
      at += n;
      const c = buf.subarray(0, n);
      return sync ? c : Promise.resolve(c);
    },
  };
}

const op = fc.oneof(
  fc.record({ kind: fc.constant("ensure" as const), n: fc.integer({ min: 1, max: 300 }) }),
  fc.record({ kind: fc.constant("read" as const), n: fc.integer({ min: 1, max: 40 }) }),
  fc.record({ kind: fc.constant("skip" as const), n: fc.integer({ min: 1, max: 120 }) }),
);

const input = fc.record({
  data: fc.uint8Array({ minLength: 0, maxLength: 2000, size: "max" }),
  sizes: fc.array(fc.integer({ min: 1, max: 200 }), { minLength: 1, maxLength: 8 }),
  ops: fc.array(op, { minLength: 1, maxLength: 60, size: "max" }),
});

describe("ByteReader ensure joins only what is asked", () => {
  it("joins anew what is before a held chunk when asked for more", () => {
    const data = Uint8Array.from({ length: 100 }, (_, i) => i);
    const reader = new ByteReader(reusingSource(data, [50], true));
    reader.readSync(45);
    reader.ensureSync(10);
    reader.readSync(2);
    reader.ensureSync(20);
    expect([...reader.readSync(53)!]).toEqual([...data.subarray(47)]);
  });

  it("reads the source's bytes in order (sync)", () => {
    fc.assert(
      fc.property(input, ({ data, sizes, ops }) => {
        const reader = new ByteReader(reusingSource(data, sizes, true));
        let at = 0;
        for (const o of ops) {
          if (o.kind === "ensure") {
            reader.ensureSync(o.n);
            expect(reader.available()).toBeGreaterThanOrEqual(Math.min(o.n, data.length - at));
            const seen = reader.peek(reader.available())!;
            expect([...seen]).toEqual([...data.subarray(at, at + seen.length)]);
          } else if (o.kind === "read") {
            const got = reader.readSync(Math.min(o.n, data.length - at));
            if (at < data.length)
              expect([...got!]).toEqual([...data.subarray(at, at + got!.length)]);
            at += got?.length ?? 0;
          } else {
            const n = Math.min(o.n, data.length - at);
            expect(reader.skipSync(n)).toBe(true);
            at += n;
          }
          expect(reader.offset).toBe(at);
        }
        const rest: number[] = [];
        for (
          let c = reader.readUpToSync(1 << 16);
          c !== undefined;
          c = reader.readUpToSync(1 << 16)
        )
          rest.push(...c);
        expect(rest).toEqual([...data.subarray(at)]);
      }),
      { numRuns: 300 },
    );
  });

  it("reads the source's bytes in order (async)", async () => {
    await fc.assert(
      fc.asyncProperty(input, async ({ data, sizes, ops }) => {
        const reader = new ByteReader(reusingSource(data, sizes, false));
        let at = 0;
        for (const o of ops) {
          if (o.kind === "ensure") {
            await reader.ensure(o.n);
            expect(reader.available()).toBeGreaterThanOrEqual(Math.min(o.n, data.length - at));
            const seen = reader.peek(reader.available())!;
            expect([...seen]).toEqual([...data.subarray(at, at + seen.length)]);
          } else if (o.kind === "read") {
            const got = await reader.read(Math.min(o.n, data.length - at));
            if (at < data.length)
              expect([...got!]).toEqual([...data.subarray(at, at + got!.length)]);
            at += got?.length ?? 0;
          } else {
            const n = Math.min(o.n, data.length - at);
            expect(await reader.skip(n)).toBe(true);
            at += n;
          }
          expect(reader.offset).toBe(at);
        }
        const rest: number[] = [];
        for (
          let c = await reader.readUpTo(1 << 16);
          c !== undefined;
          c = await reader.readUpTo(1 << 16)
        )
          rest.push(...c);
        expect(rest).toEqual([...data.subarray(at)]);
      }),
      { numRuns: 200 },
    );
  });
});
