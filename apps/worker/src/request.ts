import { isUtf8 } from "node:buffer";

/** The string a `POST /` body asks to hash, or why the body is refused (a 400). */
export function strFromBody(body: Buffer): { str: string } | { error: string } {
  // JSON text is UTF-8 (RFC 8259 8.1): decoding invalid bytes to U+FFFD would hash a string the client never sent.
  if (!isUtf8(body)) return { error: "body is not valid UTF-8" };
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString("utf8"));
  } catch {
    return { error: "body is not valid JSON" };
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) return { error: 'body must be a JSON object like {"str": "..."}' };
  const str = (parsed as { str?: unknown }).str;
  if (typeof str !== "string") return { error: str === undefined ? 'field "str" is missing' : 'field "str" must be a string' };
  return { str };
}
