import { describe, expect, it } from "vitest";
import {
  bool,
  byteReader,
  bytes,
  constU64,
  decode,
  decodeAsync,
  decodeEvents,
  encode,
  encodeTo,
  event,
  lazy,
  list,
  map,
  optional,
  type PayloadHandle,
  payload,
  record,
  refine,
  repeatUntil,
  repeatUntilHead,
  token,
  tokenChoice,
  u64,
  u64Bytes,
  u64Choice,
  u64n,
  utf8,
} from "../../src/codecs/index.js";
import {
  LimitExceededError,
  MalformedInputError,
  TruncatedInputError,
  ValidationError,
} from "../../src/core/errors.js";

const str = (s: string) => {
  const b = new TextEncoder().encode(s);
  const out = new Uint8Array(8 + b.length + ((8 - (b.length % 8)) % 8));
  out.set(u64Bytes(b.length));
  out.set(b, 8);
  return out;
};
const cat = (...parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};
function thrown(fn: () => unknown): MalformedInputError | TruncatedInputError {
  try {
    fn();
  } catch (e) {
    return e as MalformedInputError;
  }
  throw new Error("did not throw");
}

describe("primitives", () => {
  it("u64 as bigint and as a safe number", () => {
    expect(decode(u64(), u64Bytes(2n ** 64n - 1n))).toBe(2n ** 64n - 1n);
    expect(decode(u64n(), u64Bytes(12345))).toBe(12345);
    const e = thrown(() => decode(u64n("demo.n"), u64Bytes(2n ** 60n)));
    expect(e).toBeInstanceOf(LimitExceededError);
    expect(e.code).toBe("demo.limit-exceeded");
    expect(decode(u64n("demo.n", { max: 10 }), u64Bytes(10))).toBe(10);
    expect(() => decode(u64n("demo.n", { max: 10 }), u64Bytes(11))).toThrow(LimitExceededError);
    expect(decode(u64n("demo.n", { max: 10 }), u64Bytes(11), { limits: { "demo.n": 11 } })).toBe(
      11,
    );
  });

  it("bool accepts 0 and 1 only", () => {
    expect(decode(bool(), u64Bytes(1))).toBe(true);
    expect(decode(bool(), u64Bytes(0))).toBe(false);
    expect(thrown(() => decode(bool("demo.flag"), u64Bytes(2))).code).toBe("demo.invalid-bool");
  });

  it("byte strings: padding, zero padding checked, limit checked before reading", () => {
    expect(new TextDecoder().decode(decode(bytes(), str("hello")))).toBe("hello");
    expect(decode(utf8(), str("héllo"))).toBe("héllo");
    const bad = str("hello");
    bad[15] = 1;
    const e = thrown(() => decode(utf8("demo.s"), bad));
    expect(e.code).toBe("demo.nonzero-padding");
    expect(e.position.offset).toBe(13);
    // a huge announced length is refused as a limit, not as a truncation, and nothing is allocated
    const huge = thrown(() => decode(bytes("demo.s", { max: 100 }), u64Bytes(2 ** 40)));
    expect(huge).toBeInstanceOf(LimitExceededError);
    expect(huge.position).toMatchObject({ offset: 0, rule: "demo.s" });
    expect(thrown(() => decode(bytes("demo.s", { max: 4 }), str("hello")))).toBeInstanceOf(
      LimitExceededError,
    );
    expect(decode(utf8("demo.s", { max: 4 }), str("hello"), { limits: { "demo.s": 5 } })).toBe(
      "hello",
    );
  });

  it("tokens are asserted exactly", () => {
    expect(decode(token("("), str("("))).toBeUndefined();
    const e = thrown(() => decode(token("type", "demo.t"), str("tipe")));
    expect(e).toBeInstanceOf(MalformedInputError);
    expect(e.code).toBe("demo.unexpected-token");
    expect(e.message).toContain("expected 'type', got 'tipe'");
    expect(thrown(() => decode(token("type", "demo.t"), str("types"))).code).toBe(
      "demo.unexpected-token",
    );
  });

  it("constU64 asserts magic numbers", () => {
    expect(decode(constU64(0x4558494e), u64Bytes(0x4558494e))).toBeUndefined();
    expect(thrown(() => decode(constU64(0x4558494e, "demo.magic"), u64Bytes(1))).code).toBe(
      "demo.unexpected-value",
    );
  });
});

describe("structure", () => {
  const msg = record("demo.msg", {
    magic: token("hello", "demo.msg"),
    name: utf8("demo.name", { max: 64 }),
    ages: list("demo.ages", u64n("demo.age")),
    nick: optional("demo.nick", utf8("demo.nick")),
    kind: u64Choice("demo.kind", { 1: utf8("demo.kind.one"), 2: u64n("demo.kind.two") }),
  });

  it("records, lists, optionals and u64-tagged alternatives round-trip", () => {
    const v = { name: "nix", ages: [1, 2, 3], nick: "n", kind: { tag: 2 as const, value: 7 } };
    const b = encode(msg, v);
    expect(decode(msg, b)).toEqual(v);
    const w = { name: "x", ages: [], kind: { tag: 1 as const, value: "one" } };
    expect(decode(msg, encode(msg, w))).toEqual(w);
    const bad = cat(str("hello"), str("x"), u64Bytes(0), u64Bytes(0), u64Bytes(3));
    expect(thrown(() => decode(msg, bad)).code).toBe("demo.unknown-tag");
  });

  it("errors say where: offset, rule, truncation vs malformed, trailing bytes", () => {
    const b = encode(msg, { name: "nix", ages: [1], kind: { tag: 2, value: 1 } });
    for (let cut = 0; cut < b.length; cut++) {
      const e = thrown(() => decode(msg, b.subarray(0, cut)));
      expect(e).toBeInstanceOf(TruncatedInputError);
      expect(e.code).toBe("demo.truncated");
      expect(e.position.offset).toBeLessThanOrEqual(cut);
    }
    const t = thrown(() => decode(msg, cat(b, new Uint8Array(8))));
    expect(t.code).toBe("demo.trailing-data");
    expect(t.position.offset).toBe(b.length);
    expect(decode(msg, cat(b, new Uint8Array(8)), { allowTrailing: true }).name).toBe("nix");
  });

  it("list counts are limited before reading items", () => {
    const l = list("demo.l", u64n(), { max: 3 });
    expect(thrown(() => decode(l, u64Bytes(2 ** 50)))).toBeInstanceOf(LimitExceededError);
  });

  it("token alternatives, repetition until a terminator, refinements and recursion", () => {
    type Tree = { tag: "leaf"; value: { n: number } } | { tag: "node"; value: { kids: Tree[] } };
    const tree: ReturnType<typeof lazy<Tree>> = lazy(
      "demo.tree",
      () =>
        tokenChoice("demo.tree", {
          leaf: record("demo.leaf", { n: u64n("demo.n") }),
          node: record("demo.node", {
            kids: repeatUntil("demo.kids", tree, {
              more: "kid",
              end: "end",
              collectWhenStreaming: true,
              pairwise: (a, b) =>
                JSON.stringify(a) === JSON.stringify(b)
                  ? { code: "demo.dup", detail: "duplicate" }
                  : undefined,
            }),
          }),
        }) as never,
    );
    const v: Tree = {
      tag: "node",
      value: {
        kids: [
          { tag: "leaf", value: { n: 1 } },
          { tag: "node", value: { kids: [] } },
        ],
      },
    };
    const b = encode(tree, v);
    expect(decode(tree, b)).toEqual(v);
    const dup: Tree = {
      tag: "node",
      value: {
        kids: [
          { tag: "leaf", value: { n: 1 } },
          { tag: "leaf", value: { n: 1 } },
        ],
      },
    };
    expect(() => encode(tree, dup)).toThrow(ValidationError);
    // depth limit
    let deep: Tree = { tag: "leaf", value: { n: 0 } };
    for (let i = 0; i < 20; i++) deep = { tag: "node", value: { kids: [deep] } };
    const db = encode(tree, deep);
    expect(decode(tree, db)).toEqual(deep);
    expect(thrown(() => decode(tree, db, { limits: { "codec.depth": 10 } }))).toBeInstanceOf(
      LimitExceededError,
    );
  });

  it("repetition with u64 markers (as in nix-store --export)", () => {
    const r = repeatUntil("demo.items", utf8("demo.item"), { more: 1, end: 0 });
    const b = encode(r, ["a", "bc"]);
    expect(b).toEqual(cat(u64Bytes(1), str("a"), u64Bytes(1), str("bc"), u64Bytes(0)));
    expect(decode(r, b)).toEqual(["a", "bc"]);
    const e = thrown(() => decode(r, cat(u64Bytes(2), str("a"))));
    expect(e.code).toBe("demo.unexpected-value");
    expect(e.position.offset).toBe(0);
  });

  it("repetition until an item's first field reads the end value (as in serve replies)", () => {
    const r = repeatUntilHead(
      "demo.pairs",
      record("demo.pair", { key: utf8("demo.key"), n: u64n("demo.n") }),
      { end: "", max: 2 },
    );
    const b = encode(r, [
      { key: "a", n: 1 },
      { key: "bc", n: 2 },
    ]);
    expect(b).toEqual(cat(str("a"), u64Bytes(1), str("bc"), u64Bytes(2), str("")));
    expect(decode(r, b)).toEqual([
      { key: "a", n: 1 },
      { key: "bc", n: 2 },
    ]);
    expect(decode(r, str(""))).toEqual([]);
    // The end alone: no fields after it.
    expect(thrown(() => decode(r, cat(str("a"), u64Bytes(1))))).toBeInstanceOf(TruncatedInputError);
    const over = thrown(() => decode(r, cat(b.subarray(0, b.length - 8), str("d"), u64Bytes(3))));
    expect(over).toBeInstanceOf(LimitExceededError);
    expect(over.position.offset).toBe(b.length - 8);
    expect(() => encode(r, [{ key: "", n: 1 }])).toThrow(ValidationError);
  });

  it("a terminated repetition streams like the synchronous decoder", async () => {
    const r = repeatUntilHead("demo.pairs", record("demo.pair", { key: utf8("demo.key") }), {
      end: "",
    });
    const b = encode(r, [{ key: "x" }, { key: "yz" }]);
    const chunks = Array.from({ length: b.length }, (_, i) => b.subarray(i, i + 1));
    expect(await decodeAsync(r, chunks)).toEqual([{ key: "x" }, { key: "yz" }]);
  });

  it("refine reports the problem at the value's offset; map converts both ways", () => {
    const even = refine("demo.even", u64n("demo.even"), (n) =>
      n % 2 === 0 ? undefined : `${n} is odd`,
    );
    const e = thrown(() =>
      decode(record("demo.r", { a: u64n(), b: even }), cat(u64Bytes(1), u64Bytes(3))),
    );
    expect(e.code).toBe("demo.invalid-value");
    expect(e.position).toMatchObject({ offset: 8, rule: "demo.even" });
    const upper = map(
      utf8("demo.up"),
      (s) => s.toUpperCase(),
      (s: string) => s.toLowerCase(),
    );
    expect(decode(upper, encode(upper, "ABC"))).toBe("ABC");
    expect(encode(upper, "ABC")).toEqual(str("abc"));
  });
});

describe("streaming", () => {
  const framed = record("demo.file", {
    name: event("name", utf8("demo.name")),
    data: event("data", payload("demo.data", { max: 1 << 30 })),
    after: utf8("demo.after"),
  });
  const value = { name: "f", data: new Uint8Array(1000).map((_, i) => i & 0xff), after: "end" };

  it("payloads are handed out as streams in chunks of any size", async () => {
    const b = encode(framed, value);
    for (const size of [1, 3, 8, 100, b.length]) {
      const chunks: Uint8Array[] = [];
      for (let i = 0; i < b.length; i += size) chunks.push(b.subarray(i, i + size));
      const got: Uint8Array[] = [];
      const gen = decodeEvents(framed, chunks);
      const names: string[] = [];
      for (;;) {
        const r = await gen.next();
        if (r.done) {
          expect(r.value.after).toBe("end");
          break;
        }
        names.push(r.value.name);
        if (r.value.name === "data")
          for await (const c of (r.value.value as PayloadHandle).stream)
            got.push(new Uint8Array(c));
      }
      expect(names).toEqual(["name", "data"]);
      expect(cat(...got)).toEqual(value.data);
    }
  });

  it("unread payloads are skipped; decodeAsync buffers them", async () => {
    const b = encode(framed, value);
    let n = 0;
    for await (const _ of decodeEvents(framed, [b])) n++;
    expect(n).toBe(2);
    expect(await decodeAsync(framed, [b])).toEqual(value);
  });

  it("several messages in turn from one reader; truncation is typed", async () => {
    const m = record("demo.m", { a: u64n("demo.a"), s: utf8("demo.s") });
    const r = byteReader([cat(encode(m, { a: 1, s: "x" }), encode(m, { a: 2, s: "yy" }))]);
    expect(await decodeAsync(m, r, { allowTrailing: true })).toEqual({ a: 1, s: "x" });
    expect(await decodeAsync(m, r, { allowTrailing: true })).toEqual({ a: 2, s: "yy" });
    const b = encode(framed, value);
    await expect(decodeAsync(framed, [b.subarray(0, 500)])).rejects.toBeInstanceOf(
      TruncatedInputError,
    );
  });

  it("decodeAsync limits buffered payloads and never trusts their length", async () => {
    const p = payload("demo.blob");
    await expect(decodeAsync(p, [u64Bytes(2 ** 40)])).rejects.toBeInstanceOf(LimitExceededError);
    await expect(decodeAsync(p, [u64Bytes(200 << 20), new Uint8Array(10)])).rejects.toBeInstanceOf(
      TruncatedInputError,
    );
    await expect(
      decodeAsync(p, [u64Bytes(9), new Uint8Array(16)], { maxBufferedPayload: 8 }),
    ).rejects.toMatchObject({
      code: "demo.limit-exceeded",
    });
    expect(await decodeAsync(p, [u64Bytes(9), new Uint8Array(16)])).toEqual(new Uint8Array(9));
  });

  it("encodeTo streams async payloads and checks their size", async () => {
    const parts: Uint8Array[] = [];
    async function* chunks() {
      yield value.data.subarray(0, 10);
      yield value.data.subarray(10);
    }
    await encodeTo(framed, { ...value, data: { size: 1000, stream: chunks() } } as never, {
      write: (c) => void parts.push(new Uint8Array(c)),
    });
    expect(cat(...parts)).toEqual(encode(framed, value));
    await expect(
      encodeTo(framed, { ...value, data: { size: 999, stream: chunks() } } as never, {
        write: () => {},
      }),
    ).rejects.toBeInstanceOf(ValidationError);
  });
});
