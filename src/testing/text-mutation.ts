/**
 * Mutations of line-based text formats (narinfo, `Key: value` files): fast-check arbitraries
 * for small edits — delete or insert a few characters, duplicate, drop or swap whole lines —
 * and the function that applies them. Parsers must answer every mutated text with a value or
 * one of the library's typed errors.
 *
 * @module
 */
import fc from "fast-check";

/** One edit of a text: characters at an offset, or whole lines by index (taken modulo). */
export type TextMutation =
  | { readonly kind: "delete"; readonly at: number; readonly len: number }
  | { readonly kind: "insert"; readonly at: number; readonly s: string }
  | { readonly kind: "dupline"; readonly at: number }
  | { readonly kind: "dropline"; readonly at: number }
  | { readonly kind: "swaplines"; readonly at: number; readonly to: number };

/** Options of {@link arbTextMutation}. */
export interface ArbTextMutationOptions {
  /** Pieces inserted more often than random text: the format's separators and keywords. */
  readonly tokens?: readonly string[];
  /** The longest deletion (default 4). */
  readonly maxDelete?: number;
  /** The longest random insertion (default 3). */
  readonly maxInsert?: number;
}

/** Separators and keywords that make interesting insertions in a narinfo. */
export const NARINFO_MUTATION_TOKENS: readonly string[] = [
  "\n",
  ":",
  " ",
  "\r",
  "-",
  ".",
  "e",
  "0",
  "1",
  "9",
  "A",
  "=",
  "/",
  "é",
  "sha256:",
  "Sig: ",
  "CA: ",
  "\n\n",
  "0000000000000000",
];

/** An arbitrary {@link TextMutation}. */
export function arbTextMutation(options: ArbTextMutationOptions = {}): fc.Arbitrary<TextMutation> {
  const tokens = options.tokens ?? NARINFO_MUTATION_TOKENS;
  const inserted =
    tokens.length > 0
      ? fc.oneof(fc.constantFrom(...tokens), fc.string({ maxLength: options.maxInsert ?? 3 }))
      : fc.string({ maxLength: options.maxInsert ?? 3 });
  return fc.oneof(
    fc.record({
      kind: fc.constant("delete" as const),
      at: fc.nat(),
      len: fc.integer({ min: 1, max: options.maxDelete ?? 4 }),
    }),
    fc.record({ kind: fc.constant("insert" as const), at: fc.nat(), s: inserted }),
    fc.record({ kind: fc.constant("dupline" as const), at: fc.nat() }),
    fc.record({ kind: fc.constant("dropline" as const), at: fc.nat() }),
    fc.record({ kind: fc.constant("swaplines" as const), at: fc.nat(), to: fc.nat() }),
  );
}

/** Applies `mutations` to `text` in order (offsets and line indexes taken modulo). */
export function mutateText(text: string, mutations: readonly TextMutation[]): string {
  for (const m of mutations) {
    const lines = text.split("\n");
    switch (m.kind) {
      case "delete": {
        const at = m.at % (text.length + 1);
        text = text.slice(0, at) + text.slice(at + m.len);
        break;
      }
      case "insert": {
        const at = m.at % (text.length + 1);
        text = text.slice(0, at) + m.s + text.slice(at);
        break;
      }
      case "dupline": {
        const i = m.at % lines.length;
        lines.splice(i, 0, lines[i]!);
        text = lines.join("\n");
        break;
      }
      case "dropline":
        lines.splice(m.at % lines.length, 1);
        text = lines.join("\n");
        break;
      case "swaplines": {
        const i = m.at % lines.length;
        const j = m.to % lines.length;
        [lines[i], lines[j]] = [lines[j]!, lines[i]!];
        text = lines.join("\n");
        break;
      }
    }
  }
  return text;
}
