/**
 * The node's Ed25519 identity and its file (control.md §8, network.md §4.1): pretty JSON with 2-space
 * indent, no trailing newline (cli.md §3.2), `{"private_key": b64(seed ‖ public), "public_key": b64(public)}`,
 * file 0600 in a directory created 0700.
 *
 * Deliberate fix: the reference writes the file in place, so a crash mid-write can leave a truncated
 * identity and a node that cannot start; we write it atomically (lib/fs/atomic_file.ts).
 *
 * @module
 */

import { PilotError } from "../errors.ts";
import { writeFileAtomic } from "../fs/atomic_file.ts";
import { equalBytes } from "./_bytes.ts";
import { decodeBase64 } from "./base64.ts";
import {
  ED25519_PRIVATE_KEY_SIZE,
  ED25519_PUBLIC_KEY_SIZE,
  ED25519_SEED_SIZE,
  ed25519PublicKeyFromSeed,
  Ed25519Signer,
} from "./ed25519.ts";

/** A node identity: the 64-byte Go-layout private key and its 32-byte public key. */
export interface Identity {
  /** Seed (32) ‖ public key (32). */
  readonly privateKey: Uint8Array;
  readonly publicKey: Uint8Array;
}

/** File names the launchers use for the same format (control.md §8); the first is preferred. */
export const IDENTITY_FILE_NAMES = ["identity.key", "identity.json"] as const;

/** Message of a file whose keys do not belong together (control.md §8, exact text). */
export const IDENTITY_MISMATCH_MESSAGE = "identity file corrupted: public key does not match private key";

/** Builds an identity from a 32-byte seed (deterministic; tests and imports). */
export function identityFromSeed(seed: Uint8Array): Identity {
  const publicKey = ed25519PublicKeyFromSeed(seed);
  const privateKey = new Uint8Array(ED25519_PRIVATE_KEY_SIZE);
  privateKey.set(seed, 0);
  privateKey.set(publicKey, ED25519_SEED_SIZE);
  return { privateKey, publicKey };
}

/**
 * A fresh random identity.
 *
 * @example
 * ```ts
 * import { formatIdentityFile, generateIdentity, parseIdentityFile } from "./identity.ts";
 * const identity = generateIdentity();
 * const again = parseIdentityFile(formatIdentityFile(identity));
 * if (again.publicKey.toBase64() !== identity.publicKey.toBase64()) throw new Error("round trip");
 * ```
 */
export function generateIdentity(): Identity {
  return identityFromSeed(crypto.getRandomValues(new Uint8Array(ED25519_SEED_SIZE)));
}

/** A signer for this identity's key. */
export function identitySigner(identity: Identity): Ed25519Signer {
  return new Ed25519Signer(identity.privateKey);
}

/** The identity file's exact text: 2-space indented JSON in field order, no trailing newline. */
export function formatIdentityFile(identity: Identity): string {
  return JSON.stringify(
    { private_key: identity.privateKey.toBase64(), public_key: identity.publicKey.toBase64() },
    null,
    2,
  );
}

function loadError(detail: string, cause?: unknown): PilotError {
  return new PilotError("identity_invalid", `load identity: ${detail}`, { cause });
}

function base64Field(record: Map<string, unknown>, field: string, length: number): Uint8Array {
  const value = record.get(field);
  if (typeof value !== "string") throw loadError(`${field} must be a base64 string`);
  try {
    return decodeBase64(value, { field, length });
  } catch (cause) {
    throw loadError(cause instanceof Error ? cause.message : `${field}: bad base64`, cause);
  }
}

/**
 * Parses an identity file's text and checks that its two keys belong together.
 *
 * @throws {PilotError} `identity_invalid` (`load identity: …`) on bad JSON, a missing or non-string
 *   field, bad base64 or a wrong size; `identity_corrupted` with {@linkcode IDENTITY_MISMATCH_MESSAGE}
 *   when the public key is not the one the private key derives.
 */
export function parseIdentityFile(text: string): Identity {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw loadError(`invalid json: ${cause instanceof Error ? cause.message : String(cause)}`, cause);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw loadError("identity file must hold a json object");
  }
  const record = new Map<string, unknown>(Object.entries(value));
  const privateKey = base64Field(record, "private_key", ED25519_PRIVATE_KEY_SIZE);
  const publicKey = base64Field(record, "public_key", ED25519_PUBLIC_KEY_SIZE);
  const derived = ed25519PublicKeyFromSeed(privateKey.subarray(0, ED25519_SEED_SIZE));
  // Both halves are checked: a public half that its seed does not derive would sign with one key and
  // announce another.
  if (!equalBytes(derived, publicKey) || !equalBytes(privateKey.subarray(ED25519_SEED_SIZE), publicKey)) {
    throw new PilotError("identity_corrupted", IDENTITY_MISMATCH_MESSAGE, {
      hint: "restore the identity file from a backup, or remove it to start as a new node",
    });
  }
  return { privateKey, publicKey };
}

/**
 * Reads the identity at `path`; `undefined` when the file does not exist (first run).
 *
 * @throws {PilotError} `identity_invalid` when the file cannot be read or parsed; `identity_corrupted`.
 */
export async function loadIdentity(path: string): Promise<Identity | undefined> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (cause) {
    if (cause instanceof Deno.errors.NotFound) return undefined;
    throw loadError(`read ${path}: ${cause instanceof Error ? cause.message : String(cause)}`, cause);
  }
  return parseIdentityFile(text);
}

function parentDir(path: string): string | undefined {
  const cut = path.lastIndexOf("/");
  return cut <= 0 ? undefined : path.slice(0, cut);
}

/**
 * Writes the identity file atomically with mode 0600, creating missing parent directories with 0700.
 *
 * @throws {PilotError} `identity_save_failed`.
 */
export async function saveIdentity(path: string, identity: Identity): Promise<void> {
  try {
    const dir = parentDir(path);
    if (dir !== undefined) await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
    await writeFileAtomic(path, formatIdentityFile(identity), { mode: 0o600 });
  } catch (cause) {
    const detail = cause instanceof Error ? cause.message : String(cause);
    throw new PilotError("identity_save_failed", `save identity: ${detail}`, { cause });
  }
}

/** Result of {@linkcode loadOrCreateIdentity}. */
export interface LoadedIdentity {
  readonly identity: Identity;
  /** True when no file existed and a new identity was generated. */
  readonly created: boolean;
  /** Set when a new identity could not be saved; the node still runs with it (control.md §8: a warning). */
  readonly saveError?: PilotError;
}

/**
 * Loads the identity at `path`, or generates one and saves it when the file is missing.
 *
 * @throws {PilotError} as {@linkcode loadIdentity} for an existing but bad file (start-up must fail).
 */
export async function loadOrCreateIdentity(path: string): Promise<LoadedIdentity> {
  const existing = await loadIdentity(path);
  if (existing !== undefined) return { identity: existing, created: false };
  const identity = generateIdentity();
  try {
    await saveIdentity(path, identity);
    return { identity, created: true };
  } catch (err) {
    if (!(err instanceof PilotError)) throw err;
    return { identity, created: true, saveError: err };
  }
}

/**
 * The existing identity file in a pilot home: `identity.key` if present, else `identity.json`, else
 * `undefined`. Looking for both stops one machine from growing a second identity when launchers
 * disagree on the name (control.md §8 quirk).
 */
export async function findIdentityFile(home: string): Promise<string | undefined> {
  for (const name of IDENTITY_FILE_NAMES) {
    const path = `${home}/${name}`;
    try {
      const info = await Deno.stat(path);
      if (info.isFile) return path;
    } catch (cause) {
      if (!(cause instanceof Deno.errors.NotFound)) throw loadError(`stat ${path}: ${String(cause)}`, cause);
    }
  }
  return undefined;
}

/** The identity path to use in a pilot home: the existing file, or `identity.key` for a new one. */
export async function identityPathInHome(home: string): Promise<string> {
  return await findIdentityFile(home) ?? `${home}/${IDENTITY_FILE_NAMES[0]}`;
}
