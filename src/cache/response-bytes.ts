/**
 * Responses whose whole body is bytes in hand (narinfos, `nix-cache-info`, error texts), made
 * so that a server adapter can write those bytes at once instead of reading them back from
 * the `Response`'s body stream (which costs more than the rest of a narinfo response in Node).
 * The `Response` is a normal one: any other runtime reads its body as usual.
 *
 * @module
 */

const bodies = new WeakMap<Response, Uint8Array>();

/** A `Response` with `body` (null: none), remembered as {@link bytesOfResponse}'s. */
export function bytesResponse(body: Uint8Array<ArrayBuffer> | null, init: ResponseInit): Response {
  const response = new Response(body, init);
  if (body !== null) bodies.set(response, body);
  return response;
}

/**
 * The body of a response made by {@link bytesResponse}, whose stream is then left unread
 * (undefined for any other response: read its stream).
 */
export function bytesOfResponse(response: Response): Uint8Array | undefined {
  return response.bodyUsed ? undefined : bodies.get(response);
}
