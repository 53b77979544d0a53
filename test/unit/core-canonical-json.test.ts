import { describe, expect, it } from "vitest";
import { canonicalJson } from "../../src/core/index.js";

describe("canonicalJson (nlohmann::json dump order)", () => {
  it("sorts keys by UTF-8 bytes, even integer-like ones JavaScript would reorder", () => {
    expect(canonicalJson({ b: 1, "10": 2, "9": 3, a: [{ z: null, y: true }] })).toBe(
      '{"10":2,"9":3,"a":[{"y":true,"z":null}],"b":1}',
    );
  });
  it("orders characters above U+FFFF after U+E000..U+FFFF, as bytes do", () => {
    expect(canonicalJson({ "\u{1F600}": 1, "\uFF21": 2 })).toBe('{"Ａ":2,"😀":1}');
  });
  it("drops undefined members and escapes like JSON.stringify", () => {
    expect(canonicalJson({ a: undefined, 'q"': "x\ny" })).toBe('{"q\\"":"x\\ny"}');
  });
});
