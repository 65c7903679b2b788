/**
 * Matches daemon replies to the driver's outstanding requests. IPC has no request ids (control.md
 * §9.5): the daemon runs one client's commands in order, so replies come back in request order, while
 * pushes (Accept, Recv, RecvFrom, end-of-stream CloseOK) interleave freely.
 *
 * The matcher keeps one FIFO of everything written that may be answered: requests, and Send/SendTo,
 * which are answered only when they fail. A reply settles the oldest request waiting for its code (a
 * CloseOK only the Close of the same conn id) and, by the ordering rule, every send queued before it.
 * An Error goes to the oldest entry it can belong to. The reference driver hands every Error to the
 * oldest waiting request, so a failed Send's error is taken as the answer to the next request (a Quirk);
 * we first offer it to the queued sends, recognising their errors by the daemon's texts (`send: …`,
 * `connection N not found`, `sendto: …`), which no request produces. Pure bookkeeping: no I/O.
 *
 * @module
 */

/** What a request waits for. */
export interface PendingRequest {
  /** Reply code that answers it. */
  readonly replyCode: number;
  /** For Close: the conn id its CloseOK carries. */
  readonly connId?: number;
  /** Set when the caller gave up (timeout, abort): the reply is still consumed, then dropped. */
  abandoned: boolean;
  resolve(reply: unknown): void;
  reject(error: unknown): void;
}

/** A Send or SendTo that may still fail. */
interface PendingSend {
  readonly kind: "send" | "send_to";
  readonly connId: number;
  count: number;
}

type Entry = { request: PendingRequest } | { send: PendingSend };

/** Where an Error frame went. */
export type ErrorTarget =
  | { readonly to: "request"; readonly request: PendingRequest }
  | { readonly to: "send"; readonly kind: "send" | "send_to"; readonly connId: number }
  | { readonly to: "nobody" };

const SEND_ERROR = /^(?:send: |connection \d+ not found$)/;
const SEND_TO_ERROR = /^sendto: /;
const CONN_NOT_FOUND = /^connection (\d+) not found$/;

/** Send entries kept for error attribution; past this the oldest is forgotten (it most likely succeeded). */
const MAX_SEND_ENTRIES = 4096;

/** The FIFO of outstanding requests and sends of one IPC connection. */
export class ReplyMatcher {
  #entries: Entry[] = [];
  #sendEntries = 0;

  /** Requests not yet answered, abandoned ones included. */
  get pendingRequests(): number {
    return this.#entries.length - this.#sendEntries;
  }

  /** Records a request, in the order its frame is written. */
  addRequest(request: PendingRequest): void {
    this.#entries.push({ request });
  }

  /** Records a Send (`connId`) or SendTo (`connId` 0), in the order its frames are written. */
  addSend(kind: "send" | "send_to", connId: number): void {
    const last = this.#entries.at(-1);
    if (last !== undefined && "send" in last && last.send.kind === kind && last.send.connId === connId) {
      last.send.count++;
      return;
    }
    this.#entries.push({ send: { kind, connId, count: 1 } });
    this.#sendEntries++;
    if (this.#sendEntries > MAX_SEND_ENTRIES) {
      // Forget the older half in one pass, so a flood of sends costs amortised O(1) each.
      let drop = MAX_SEND_ENTRIES / 2;
      this.#entries = this.#entries.filter((entry) => !("send" in entry) || drop-- <= 0);
      this.#sendEntries -= MAX_SEND_ENTRIES / 2;
    }
  }

  /**
   * The request a reply with `code` answers (for CloseOK: the Close of `connId`), removed with every
   * send before it; `undefined` when none waits (a push, or a late duplicate).
   */
  takeReply(code: number, connId?: number): PendingRequest | undefined {
    const at = this.#entries.findIndex((entry) =>
      "request" in entry && entry.request.replyCode === code &&
      (entry.request.connId === undefined || entry.request.connId === connId)
    );
    if (at === -1) return undefined;
    const entry = this.#entries[at];
    // Sends ahead of the answered request are settled: their errors would have come first. Requests
    // ahead of it stay: they still wait for their own codes.
    const before = this.#entries.slice(0, at);
    const kept = before.filter((e) => "request" in e);
    this.#sendEntries -= before.length - kept.length;
    this.#entries = [...kept, ...this.#entries.slice(at + 1)];
    return "request" in entry ? entry.request : undefined;
  }

  /** Decides which outstanding entry an Error frame with `message` answers, and removes it. */
  takeError(message: string): ErrorTarget {
    const sendError = SEND_ERROR.test(message);
    const sendToError = SEND_TO_ERROR.test(message);
    const notFound = CONN_NOT_FOUND.exec(message);
    const notFoundId = notFound === null ? undefined : Number(notFound[1]);
    while (this.#entries.length > 0) {
      const head = this.#entries[0];
      if ("request" in head) {
        if (sendError || sendToError) return { to: "nobody" }; // its send was forgotten; keep the request
        this.#entries.shift();
        return { to: "request", request: head.request };
      }
      const send = head.send;
      const matches = send.kind === "send"
        ? sendError && (notFoundId === undefined || notFoundId === send.connId)
        : sendToError;
      if (matches) {
        send.count--;
        if (send.count === 0) this.#dropHead();
        return { to: "send", kind: send.kind, connId: send.connId };
      }
      this.#dropHead(); // those sends succeeded: this error is for something later
    }
    return { to: "nobody" };
  }

  /** Removes and returns every request, for failing them when the connection ends. */
  drain(): PendingRequest[] {
    const requests = this.#entries.flatMap((entry) => ("request" in entry ? [entry.request] : []));
    this.#entries = [];
    this.#sendEntries = 0;
    return requests;
  }

  #dropHead(): void {
    this.#entries.shift();
    this.#sendEntries--;
  }
}
