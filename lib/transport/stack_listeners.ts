/**
 * The stack's bound stream ports: one pull-driven stream of accepted connections per listener. The
 * connection table decides what is accepted; this registry only hands connections to a listener that
 * is waiting, so an unread backlog stays in the table (and counts against its accept queue).
 *
 * @module
 */

import type { Address } from "../protocol/mod.ts";
import type { OverlayConn } from "./conn.ts";
import { OverlayListener } from "./listener.ts";

/** What the registry needs from its stack. */
export interface ListenerHooks {
  /** Takes the next accepted connection on `port` from the table, or `undefined` when there is none. */
  accept(port: number): OverlayConn | undefined;
  /** The listener on `port` closed: unbind it in the table. */
  unbind(port: number): void;
}

interface ListenerState {
  controller: ReadableStreamDefaultController<OverlayConn> | undefined;
  waiting: boolean;
}

/** Listeners by port, with the accept hand-off between the table and each listener's stream. */
export class ListenerRegistry {
  #listeners = new Map<number, ListenerState>();
  #hooks: ListenerHooks;

  constructor(hooks: ListenerHooks) {
    this.#hooks = hooks;
  }

  /** Ports with a bound listener. */
  ports(): number[] {
    return [...this.#listeners.keys()];
  }

  /** A listener on `port`, which the caller has already bound in the table. */
  open(address: Address, port: number): OverlayListener<OverlayConn> {
    const state: ListenerState = { controller: undefined, waiting: false };
    this.#listeners.set(port, state);
    const unbind = () => this.#unlisten(port, state);
    const incoming = new ReadableStream<OverlayConn>({
      start: (controller) => {
        state.controller = controller;
      },
      pull: (controller) => {
        const conn = this.#hooks.accept(port);
        if (conn === undefined) state.waiting = true;
        else controller.enqueue(conn);
      },
      cancel: unbind,
    }, { highWaterMark: 0 });
    return new OverlayListener({ transport: "pilot", address, port }, incoming, unbind);
  }

  /** The table has a connection to accept on `port`: pass it on if the listener is waiting for one. */
  onIncoming(port: number): void {
    const state = this.#listeners.get(port);
    if (state?.waiting !== true) return;
    const conn = this.#hooks.accept(port);
    if (conn === undefined) return;
    state.waiting = false;
    state.controller?.enqueue(conn);
  }

  /** Ends every listener's stream (pending accepts see the end) and forgets them all. */
  closeAll(): void {
    for (const state of this.#listeners.values()) {
      try {
        state.controller?.close();
      } catch { /* already closed or cancelled */ }
    }
    this.#listeners.clear();
  }

  #unlisten(port: number, state: ListenerState): void {
    if (this.#listeners.get(port) !== state) return; // already gone, or a newer listener holds the port
    this.#listeners.delete(port);
    this.#hooks.unbind(port);
  }
}
