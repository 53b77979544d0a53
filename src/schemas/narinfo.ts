/**
 * JSON for a parsed narinfo: what `nix-compat narinfo show` prints, and reads back losslessly.
 *
 * ```text
 * {
 *   "storePath":   "/nix/store/<hash>-<name>",
 *   "url":         "nar/....nar.xz",
 *   "compression": "xz" | null,                   null: no Compression line (Nix reads bzip2)
 *   "fileHash":    "sha256:<digest>" | null,      as written (nix32, base16, base64 or SRI)
 *   "fileSize":    123 | null,
 *   "narHash":     "sha256:<digest>",             as written
 *   "narSize":     456,
 *   "references":  ["<hash>-<name>", ...],         base names, in file order
 *   "deriver":     "<hash>-<name>.drv" | null,
 *   "system":      "x86_64-linux" | null,
 *   "signatures":  ["<key-name>:<base64>", ...],
 *   "ca":          "fixed:r:sha256:<digest>" | null,
 *   "unknownFields": [{"key": "...", "value": "..."}],
 *   "quirks":      {"referencesAbsent": false, "unknownDeriver": false, "fieldOrder": null | [keys]},
 *   "flags":       ["compression-absent", ...]     informational (narInfoQuirks), ignored on input
 * }
 * ```
 *
 * {@link narInfoToJson} and {@link narInfoFromJson} are inverse: the JSON keeps everything
 * needed to print the original file byte for byte.
 *
 * @module
 */
import * as z from "zod";
import { ValidationError } from "../core/errors.js";
import { NarInfoError } from "../narinfo/narinfo-error.js";
import type { NarInfoJsonOptions, NarInfoJsonValue } from "../narinfo/json.js";
import { parseNarInfo } from "../narinfo/parse.js";
import { printNarInfo } from "../narinfo/print.js";
import type { NarInfo } from "../narinfo/types.js";
import { parseWithSchema } from "./validate.js";

const noLineBreak = (what: string) =>
  z.string().regex(/^[^\r\n]*$/, `${what} must not contain line breaks`);

/** The JSON printed by `narinfo show` (see the module documentation). */
export const NarInfoJson = z
  .strictObject({
    storePath: noLineBreak("storePath").min(1),
    url: noLineBreak("url").min(1),
    compression: noLineBreak("compression").min(1).nullable(),
    fileHash: noLineBreak("fileHash").min(1).nullable(),
    fileSize: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER).nullable(),
    narHash: noLineBreak("narHash").min(1),
    narSize: z.number().int().positive().max(Number.MAX_SAFE_INTEGER),
    references: z.array(z.string().regex(/^[^\s]+$/, "a reference is a store path base name")),
    deriver: noLineBreak("deriver").min(1).nullable(),
    system: noLineBreak("system").min(1).nullable(),
    signatures: z.array(noLineBreak("a signature").min(1)),
    ca: noLineBreak("ca").min(1).nullable(),
    unknownFields: z.array(
      z.strictObject({
        key: z
          .string()
          .regex(/^[\x21-\x39\x3b-\x7e]+$/, "a field name is printable ASCII without ':'"),
        value: noLineBreak("value"),
      }),
    ),
    quirks: z.strictObject({
      referencesAbsent: z.boolean(),
      unknownDeriver: z.boolean(),
      fieldOrder: z.array(z.string()).nullable(),
    }),
    flags: z.array(z.string()).optional(),
  })
  .describe("A parsed narinfo (nix-compat narinfo show)") satisfies z.ZodType<NarInfoJsonValue>;

export { type NarInfoJsonOptions, type NarInfoJsonValue, narInfoToJson } from "../narinfo/json.js";

/**
 * Reads `narinfo show` JSON back into a narinfo, validating every field as the narinfo
 * parser does. Throws `JsonValidationError` / `ValidationError` with the JSON path.
 */
export function narInfoFromJson(
  json: unknown,
  options: NarInfoJsonOptions & { file?: string } = {},
): NarInfo {
  const v = parseWithSchema(NarInfoJson, json, { file: options.file });
  // Write the fields as canonical narinfo text, remembering which JSON path each line is.
  const lines: string[] = [];
  const paths: (string | number)[][] = [];
  const add = (key: string, value: string, path: (string | number)[]) => {
    lines.push(`${key}: ${value}`);
    paths.push(path);
  };
  add("StorePath", v.storePath, ["storePath"]);
  add("URL", v.url, ["url"]);
  if (v.compression !== null) add("Compression", v.compression, ["compression"]);
  if (v.fileHash !== null) add("FileHash", v.fileHash, ["fileHash"]);
  if (v.fileSize !== null) add("FileSize", String(v.fileSize), ["fileSize"]);
  add("NarHash", v.narHash, ["narHash"]);
  add("NarSize", String(v.narSize), ["narSize"]);
  if (!(v.quirks.referencesAbsent && v.references.length === 0)) {
    add("References", v.references.join(" "), ["references"]);
  }
  if (v.deriver !== null) add("Deriver", v.deriver, ["deriver"]);
  else if (v.quirks.unknownDeriver) add("Deriver", "unknown-deriver", ["quirks", "unknownDeriver"]);
  if (v.system !== null) add("System", v.system, ["system"]);
  v.signatures.forEach((s, i) => {
    add("Sig", s, ["signatures", i]);
  });
  if (v.ca !== null) add("CA", v.ca, ["ca"]);
  v.unknownFields.forEach((f, i) => {
    add(f.key, f.value, ["unknownFields", i]);
  });
  let info: NarInfo;
  try {
    info = parseNarInfo(`${lines.join("\n")}\n`, { storeDir: options.storeDir });
  } catch (err) {
    if (err instanceof NarInfoError) {
      const line = err.position.line;
      throw new ValidationError(err.code, err.detail, {
        file: options.file,
        path: line === undefined ? [] : (paths[line - 1] ?? []),
      });
    }
    throw err;
  }
  if (v.quirks.fieldOrder === null) return info;
  const withOrder: NarInfo = {
    ...info,
    quirks: { ...info.quirks, fieldOrder: v.quirks.fieldOrder },
  };
  const text = printNarInfo(withOrder, { storeDir: options.storeDir });
  const reparsed = parseNarInfo(text, { storeDir: options.storeDir });
  const got = reparsed.quirks.fieldOrder;
  const want = v.quirks.fieldOrder;
  if (got === undefined || got.length !== want.length || got.some((k, i) => k !== want[i])) {
    throw new ValidationError(
      "narinfo.bad-field-order",
      "fieldOrder must list the key of every line exactly once, in a non-canonical order",
      { file: options.file, path: ["quirks", "fieldOrder"] },
    );
  }
  return reparsed;
}
