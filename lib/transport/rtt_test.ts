import { equal } from "node:assert/strict";
import { CongestionControl } from "./congestion.ts";
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
