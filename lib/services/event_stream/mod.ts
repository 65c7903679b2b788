/**
 * The event stream service (port 1002): the event codec, the per-daemon broker with its topic rules,
 * the service that runs the broker on a listener, and the `subscribe`/`publish` client exchanges.
 *
 * @example
 * ```ts
 * import { EventBroker, serveEventStream } from "./mod.ts";
 * const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * const broker = new EventBroker();
 * const served = serveEventStream(listener, { broker });
 * listener.close();
 * await served;
 * if (broker.stats.subscribers !== 0) throw new Error("nobody connected");
 * ```
 *
 * @module
 */

export * from "./constants.ts";
export {
  checkPayloadLength,
  checkTopicLength,
  type DecodedEvent,
  decodeEvent,
  encodedEventSize,
  encodeEvent,
  type EventLimits,
  type PubSubEvent,
} from "./event.ts";
export { type EventDecoderOptions, EventDecoderStream } from "./event_decoder_stream.ts";
export {
  compileTopicPattern,
  matchesTopic,
  matchesTopicKey,
  topicKey,
  type TopicPattern,
} from "./topic_match.ts";
export { SubscriberQueue, type SubscriberQueueOptions } from "./subscriber_queue.ts";
export {
  type BrokerHooks,
  type BrokerStats,
  EventBroker,
  type EventBrokerOptions,
  OverflowPolicy,
  type SubscribeOptions as BrokerSubscribeOptions,
  Subscriber,
} from "./broker.ts";
export { handleEventConnection, serveEventStream, type ServeEventStreamOptions } from "./server.ts";
export {
  publish,
  type PublishResult,
  subscribe,
  type SubscribedEvent,
  type SubscribeOptions,
  type SubscribeResult,
} from "./client.ts";
