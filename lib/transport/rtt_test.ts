import { equal, ok } from "node:assert/strict";
import {
  CEILING_FLOOR_BYTES,
  CEILING_PROBE_MS,
  CongestionControl,
  LOCAL_PATH_RTT_MS,
  LOCAL_PATH_SAMPLES,
} from "./congestion.ts";
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

/** Slow start up to `target` bytes (bounded: a ceiling in the way fails the test instead of hanging). */
function grow(cc: CongestionControl, target: number): void {
  for (let ack = 1, i = 0; cc.cwndBytes < target && i < 1000; ack += 4096, i++) {
    cc.onAckAdvanced(4096, ack, 0);
  }
  ok(cc.cwndBytes >= target, `window grew to ${cc.cwndBytes}, not ${target}`);
}

/** A window whose path showed itself long: no ceiling before a loss. */
function longPath(): CongestionControl {
  const cc = new CongestionControl();
  for (let i = 0; i < LOCAL_PATH_SAMPLES; i++) cc.onRttSample(LOCAL_PATH_RTT_MS);
  return cc;
}

Deno.test("congestion: a loss sets a growth ceiling at 3/4 of the window, which rises one MSS per 50 ms", () => {
  const cc = longPath();
  grow(cc, 200_000);
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
  const cc = longPath();
  grow(cc, 400_000);
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

Deno.test("congestion: the ceiling starts at its floor until the round trips show a path of 5 ms or more", () => {
  const near = new CongestionControl();
  equal(near.ceilingBytes(0), CEILING_FLOOR_BYTES);
  for (let i = 0; i < LOCAL_PATH_SAMPLES - 1; i++) near.onRttSample(20); // compiling, key set-up
  near.onRttSample(0.4);
  for (let i = 0; i < 100; i++) near.onRttSample(20);
  equal(near.ceilingBytes(0), CEILING_FLOOR_BYTES, "one short round trip marks the path local");
  for (let i = 0; i < 100; i++) near.onAckAdvanced(4096, 1, 0);
  equal(near.cwndBytes, CEILING_FLOOR_BYTES, "slow start stops at the floor");
  // 1 MiB − 64 KiB = 240 MSS of probing later, the ceiling is gone.
  equal(near.ceilingBytes(240 * CEILING_PROBE_MS), undefined);
  near.onAckAdvanced(4096, 1, 240 * CEILING_PROBE_MS);
  equal(near.cwndBytes, CEILING_FLOOR_BYTES + 4096);

  const far = longPath();
  equal(far.ceilingBytes(0), undefined, "a long path keeps plain §5.10.1 growth");
  grow(far, 200_000);
});
