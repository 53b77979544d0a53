/**
 * A NAR upload kept aside until its narinfo arrives (`nix copy --to http://...` sends the NAR
 * first): streamed to `.uploads/nar/<file>` of some {@link CacheBlobs} while its sha256 is
 * computed, and refused (nothing kept) when it is not the hash its name says, when it ends
 * before its `Content-Length`, or when it runs over the size allowed.
 *
 * @module
 */
import { nixbase32Encode } from "../core/nixbase32.js";
import type { CacheBlobs } from "./cache-blobs.js";
import type { UploadBody } from "./cache-store.js";
import { CacheUploadError } from "./server-errors.js";
import { checkDeclaredLength, measuringStream } from "./upload-body.js";

/** Where uploads wait for their narinfo. */
export const UPLOADS_PREFIX = ".uploads/";

/** A NAR file name as Nix writes it: the nix32 sha256 of the file, `.nar`, the extension. */
export const NAR_UPLOAD_NAME = /^([0-9a-df-np-sv-z]{52})\.nar(\.[a-z0-9]+)?$/;

/** The key a NAR upload of `file` waits at. */
export function stagedNarKey(file: string): string {
  return `${UPLOADS_PREFIX}nar/${file}`;
}

/** Streams the upload of `nar/<file>` to {@link stagedNarKey} in `blobs`, checked. */
export async function stageNarUpload(
  blobs: CacheBlobs,
  file: string,
  body: UploadBody,
  maxBytes: number,
): Promise<void> {
  const nameHash = NAR_UPLOAD_NAME.exec(file)?.[1];
  if (nameHash === undefined) {
    await body.stream.cancel().catch(() => undefined);
    throw badNarNameError(file);
  }
  checkDeclaredLength(body, maxBytes);
  const key = stagedNarKey(file);
  const measured = measuringStream(body.stream, maxBytes);
  try {
    await blobs.put(key, measured.stream);
  } catch (err) {
    await blobs.delete(key);
    throw err;
  }
  if (body.length !== undefined && measured.measured.size !== body.length) {
    await blobs.delete(key);
    throw new CacheUploadError("cache.upload-truncated", `the upload of nar/${file} ended early`);
  }
  if (nixbase32Encode(measured.measured.sha256!) !== nameHash) {
    await blobs.delete(key);
    throw wrongFileHashError(file);
  }
}

/** The refusal of an upload to `nar/<file>` whose name is not a NAR file's name. */
export function badNarNameError(file: string): CacheUploadError {
  return new CacheUploadError(
    "cache.upload-nar-name",
    `NAR files are uploaded as nar/<nix32 sha256 of the file>.nar[.ext], not nar/${file}`,
  );
}

/** The refusal of an upload to `nar/<file>` whose bytes do not have the hash its name says. */
export function wrongFileHashError(file: string): CacheUploadError {
  return new CacheUploadError(
    "cache.upload-file-hash",
    `nar/${file} does not have the hash its name says`,
  );
}
