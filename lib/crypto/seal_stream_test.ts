import assert from "node:assert/strict";
import { TunnelCipher } from "./aead.ts";
import { SealStream } from "./seal_stream.ts";

const KEY = crypto.getRandomValues(new Uint8Array(32));

Deno.test("seal stream: frames come out in input order with consecutive counters", async () => {
  const cipher = new TunnelCipher(KEY);
  const inputs = Array.from(
    { length: 300 },
    (_, i) => crypto.getRandomValues(new Uint8Array(1 + (i * 37) % 4096)),
  );
  for (const maxInFlight of [1, 4, 64]) {
    const first = cipher.nextCounter;
    const frames = await Array.fromAsync(
      ReadableStream.from(inputs).pipeThrough(new SealStream(cipher, { maxInFlight })),
    );
    assert.equal(frames.length, inputs.length);
    for (const [i, frame] of frames.entries()) {
      assert.equal(frame.counter, first + i);
      assert.deepEqual(
        cipher.openSync(frame.nonce, frame.sealed),
        inputs[i],
        `frame ${i}, ${maxInFlight} in flight`,
      );
    }
  }
});

Deno.test("seal stream: a finished frame is emitted without waiting for the next write", async () => {
  const stream = new SealStream(new TunnelCipher(KEY), { maxInFlight: 8 });
  const writer = stream.writable.getWriter();
  const reader = stream.readable.getReader();
  const reading = reader.read(); // a waiting reader, as in a send loop (hwm 0: writes wait for reads)
  await writer.write(Uint8Array.of(1)); // one write, then the sender goes idle
  const first = await reading;
  assert.equal(first.done, false);
  assert.equal(first.value?.counter, 1);
  await writer.close();
  assert.equal((await reader.read()).done, true);
});
