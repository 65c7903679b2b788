import { equal } from "node:assert/strict";
import { decodeUtf8PerByte } from "./_text.ts";

Deno.test("decodeUtf8PerByte: each invalid byte becomes one U+FFFD, as in the inbox example of §0.3", () => {
  equal(decodeUtf8PerByte(Uint8Array.fromHex("fffe6f6be280a8")), "\uFFFD\uFFFDok\u2028");
});

Deno.test("decodeUtf8PerByte: a truncated sequence gives one U+FFFD per byte, unlike TextDecoder", () => {
  const bytes = Uint8Array.fromHex("e28041");
  equal(decodeUtf8PerByte(bytes), "\uFFFD\uFFFDA");
  equal(new TextDecoder().decode(bytes), "\uFFFDA"); // the difference this module exists for
});

Deno.test("decodeUtf8PerByte: overlong forms, surrogates and code points past U+10FFFF are invalid bytes", () => {
  equal(decodeUtf8PerByte(Uint8Array.fromHex("c0af")), "\uFFFD\uFFFD");
  equal(decodeUtf8PerByte(Uint8Array.fromHex("eda080")), "\uFFFD\uFFFD\uFFFD");
  equal(decodeUtf8PerByte(Uint8Array.fromHex("f4908080")), "\uFFFD\uFFFD\uFFFD\uFFFD");
  equal(decodeUtf8PerByte(Uint8Array.fromHex("e0809f")), "\uFFFD\uFFFD\uFFFD");
});

Deno.test("decodeUtf8PerByte: valid text, a BOM and 4-byte characters pass through unchanged", () => {
  equal(decodeUtf8PerByte(new TextEncoder().encode("héllo 👋 ✓")), "héllo 👋 ✓");
  equal(decodeUtf8PerByte(Uint8Array.fromHex("efbbbf41")), "\uFEFFA");
  equal(decodeUtf8PerByte(Uint8Array.fromHex("41f09f918bff")), "A👋\uFFFD");
  equal(decodeUtf8PerByte(new Uint8Array()), "");
});
