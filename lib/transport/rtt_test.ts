import { equal } from "node:assert/strict";
import { CEILING_FLOOR_BYTES, CEILING_PROBE_MS, CongestionControl, LOCAL_PATH_RTT_MS } from "./congestion.ts";
import { RttEstimator } from "./rtt.ts";

Deno.test("rtt: RFC 6298 smoothing, the 10 ms granularity term and the 200 ms / 10 s clamps", () => {
  const rtt = new RttEstimator();
  equal(rtt.rtoMs, 1000);
  rtt.sample(400);
  equal(rtt.rtoMs, 400 + 4 * 200);
  rtt.sample(200);
  equal(rtt.rttvarMs, 0.75 * 200 + 0.25 * 200);
  equal(rtt.srttMs, 0.875 * 400 + 0.125 * 200);
  const fast = new RttEstimator();
  for (let i = 0; i < 50; i++) fast.sample(1);
  equal(fast.rtoMs, 200);
  const slow = new RttEstimator();
  slow.sample(9000);
  equal(slow.rtoMs, 10_000);
  slow.backOff();
  equal(slow.rtoMs, 10_000);
});

Deno.test("congestion: slow start, avoidance, 3rd duplicate ACK and timeout follow §5.10.1", () => {
  const cc = new CongestionControl();
  equal(cc.cwndBytes, 40960);
  cc.onAckAdvanced(4096, 4097);
  equal(cc.cwndBytes, 45056);
  equal(cc.onDuplicateAck(), "none");
  equal(cc.onDuplicateAck(), "none");
  equal(cc.onDuplicateAck(), "fast-retransmit");
  equal(cc.ssthreshBytes, 22528);
  equal(cc.cwndBytes, 22528 + 12288);
  cc.onDuplicateAck();
  equal(cc.cwndBytes, 22528 + 16384);
  cc.onAckAdvanced(4096, 8193);
  equal(cc.cwndBytes, 38912 + Math.floor(4096 * 4096 / 38912), "congestion avoidance above ssthresh");
  equal(cc.onTimeout(9000), true);
  equal(cc.cwndBytes, 40960, "back to the initial window");
  equal(cc.onTimeout(9000), false, "once per episode");
  cc.onAckAdvanced(100, 9000);
  equal(cc.inTimeoutRecovery, false);
});

Deno.test("congestion: a loss sets a growth ceiling at 3/4 of the window, which rises one MSS per 50 ms", () => {
  const cc = new CongestionControl();
  for (let ack = 1; cc.cwndBytes < 200_000; ack += 4096) cc.onAckAdvanced(4096, ack, 0);
  const atLoss = cc.cwndBytes;
  for (let i = 0; i < 3; i++) cc.onDuplicateAck(1000);
  equal(cc.ceilingBytes(1000), Math.floor(atLoss * 3 / 4));
  // Regrowth in congestion avoidance stops at the ceiling.
  for (let i = 0; i < 500; i++) cc.onAckAdvanced(4096, 1, 1000);
  equal(cc.cwndBytes, Math.floor(atLoss * 3 / 4));
  equal(cc.ceilingBytes(1000 + 2 * CEILING_PROBE_MS), Math.floor(atLoss * 3 / 4) + 2 * 4096);
  for (let i = 0; i < 500; i++) cc.onAckAdvanced(4096, 1, 1000 + 2 * CEILING_PROBE_MS);
  equal(cc.cwndBytes, Math.floor(atLoss * 3 / 4) + 2 * 4096);
});

Deno.test("congestion: losses lower the ceiling to its floor; a window inflated by duplicates never lifts it", () => {
  const cc = new CongestionControl();
  for (let ack = 1; cc.cwndBytes < 400_000; ack += 4096) cc.onAckAdvanced(4096, ack, 0);
  for (let i = 0; i < 3; i++) cc.onDuplicateAck(0);
  const first = cc.ceilingBytes(0) ?? 0;
  for (let i = 0; i < 200; i++) cc.onDuplicateAck(0); // inflates the window far past the ceiling
  cc.onAckAdvanced(4096, 1, 0);
  for (let i = 0; i < 3; i++) cc.onDuplicateAck(0);
  equal(cc.ceilingBytes(0), Math.floor(first * 3 / 4), "3/4 of the old ceiling, not of the inflated window");
  for (let round = 0; round < 20; round++) {
    cc.onAckAdvanced(4096, 1, 0);
    for (let i = 0; i < 3; i++) cc.onDuplicateAck(0);
  }
  equal(cc.ceilingBytes(0), CEILING_FLOOR_BYTES);
  for (let i = 0; i < 10; i++) cc.onDuplicateAck(0);
  cc.endFastRecovery();
  equal(cc.cwndBytes, cc.ssthreshBytes, "deflated to ssthresh when fast recovery ends");
});

Deno.test("congestion: a round trip under 5 ms before any loss starts the ceiling at its floor", () => {
  const far = new CongestionControl();
  far.onRttSample(LOCAL_PATH_RTT_MS, 0);
  equal(far.ceilingBytes(0), undefined, "a long path keeps plain §5.10.1 growth");
  for (let ack = 1; far.cwndBytes < 200_000; ack += 4096) far.onAckAdvanced(4096, ack, 0);
  const near = new CongestionControl();
  near.onRttSample(0.4, 0);
  equal(near.ceilingBytes(0), CEILING_FLOOR_BYTES);
  for (let i = 0; i < 100; i++) near.onAckAdvanced(4096, 1, 0);
  equal(near.cwndBytes, CEILING_FLOOR_BYTES, "slow start stops at the floor");
  // 1 MiB − 64 KiB = 240 MSS of probing later, the ceiling is gone.
  equal(near.ceilingBytes(240 * CEILING_PROBE_MS), undefined);
  near.onAckAdvanced(4096, 1, 240 * CEILING_PROBE_MS);
  equal(near.cwndBytes, CEILING_FLOOR_BYTES + 4096);
});
