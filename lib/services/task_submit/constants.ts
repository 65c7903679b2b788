/**
 * Values of the task-submit service: the spec's (services.md §6, §12) first, then our own additions
 * (the local request frames and the tunables), each with the reason it exists.
 *
 * @module
 */

/** Port of the task-submit service (services.md §1). */
export const TASK_SUBMIT_PORT = 1003;

/** Size of the `type u32 BE | length u32 BE` prefix of every frame (§6.2). */
export const FRAME_PREFIX_SIZE = 8;

/** Largest payload a reader accepts, inclusive (§6.2, §12: 2^24 bytes). */
export const MAX_FRAME_PAYLOAD = 16_777_216;

/**
 * Frame type ids on port 1003 (§6.2). `submit` also carries the receiver's response. `localRequest` and
 * `localReply` are ours: pilotctl asks its own daemon to act on the task queue the daemon owns, over a
 * connection from the node to itself; they are refused from any other node, and a reference daemon logs
 * them as `UNKNOWN(<n>)` and closes, as it does any unknown type.
 */
export const FRAME_TYPES = {
  submit: 1,
  result: 2,
  statusUpdate: 3,
  sendResults: 4,
  localRequest: 0x5054_0001,
  localReply: 0x5054_0002,
} as const;

/** Task states (§6.7), named as on the wire and on disk. */
export const TASK_STATUS = {
  new: "NEW",
  accepted: "ACCEPTED",
  declined: "DECLINED",
  executing: "EXECUTING",
  succeeded: "SUCCEEDED",
  completed: "COMPLETED",
  cancelled: "CANCELLED",
  expired: "EXPIRED",
} as const;

/** One of the task states. */
export type TaskStatus = typeof TASK_STATUS[keyof typeof TASK_STATUS];

/** SubmitResponse `status` values (§6.3). */
export const SUBMIT_STATUS = { accepted: 200, rejected: 400 } as const;

/** Justification texts (§6.6, §6.7, cli.md §11). */
export const JUSTIFICATIONS = {
  created: "A new task was created",
  accepted: "Task accepted",
  executing: "Task execution started",
  resultsSent: "Results sent successfully",
  succeeded: "Task completed successfully",
  completed: "Task completed with results",
} as const;

/** Accept deadline after `created_at` (§6.7, §12: strictly more than 60 s cancels). */
export const DEFAULT_ACCEPT_TIMEOUT_MS = 60_000;

/** Longest stay at the head of the receiver's queue (§6.8, §12: strictly more than 1 h expires). */
export const DEFAULT_EXPIRY_MS = 3_600_000;

/** Result file extensions the sender accepts (§6.9, cli.md §11.6), lower-case with the dot. */
export const ALLOWED_RESULT_EXTENSIONS: ReadonlySet<string> = new Set([
  ".md",
  ".txt",
  ".rtf",
  ".docx",
  ".pdf",
  ".pptx",
  ".pth",
  ".pt",
  ".onnx",
  ".h5",
  ".pb",
  ".ckpt",
  ".safetensors",
  ".bin",
  ".csv",
  ".parquet",
  ".xlsx",
  ".xls",
  ".jpg",
  ".jpeg",
  ".png",
  ".svg",
  ".gif",
  ".webp",
]);

/** Mode of the task folders and files we create (§6.4, §12). */
export const DIR_MODE = 0o700;
/** Mode of every task, result and state file (§6.4, §12). */
export const FILE_MODE = 0o600;

// --- Tunables (ours, not the reference's) ---

/**
 * Frames one connection may carry. A reference `send-results` writes SEND_RESULTS and then a
 * STATUS_UPDATE on one connection (§6.7 quirk); reading both is how every status update arrives. A bound
 * keeps one peer from holding a handler forever with an endless stream of tiny frames.
 */
export const MAX_FRAMES_PER_CONNECTION = 8;

/**
 * Largest result file a sender takes: its base64 form plus the JSON around it must fit one 16 MiB frame
 * (3 bytes of file become 4 of base64; 64 KiB is left for the other members).
 */
export const MAX_RESULT_FILE_BYTES = Math.floor((MAX_FRAME_PAYLOAD - 65_536) / 4) * 3;

/** Longest task description we accept in a SUBMIT (the frame limit bounds it anyway; this keeps files small). */
export const MAX_DESCRIPTION_BYTES = 1_048_576;

/** Longest justification we store from a peer or the CLI. */
export const MAX_JUSTIFICATION_BYTES = 4_096;
