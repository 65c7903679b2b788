/**
 * Hostname and tag rules (control.md §3.8). Each check returns the reference's message text, because
 * `register` puts it on the wire as `hostname_error` (§3.7.1); elsewhere it is only logged.
 *
 * @module
 */

import { HOSTNAME_MAX, RESERVED_HOSTNAMES, TAG_MAX, TAGS_MAX } from "./constants.ts";

const HOSTNAME_RE = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const TAG_RE = /^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$/;

/** Why `name` is not a valid hostname, or `undefined` when it is. The empty name is valid (it clears). */
export function hostnameProblem(name: string): string | undefined {
  if (name === "") return undefined;
  if (name.length > HOSTNAME_MAX) return `hostname too long (max ${HOSTNAME_MAX} characters)`;
  if (!HOSTNAME_RE.test(name)) {
    return "hostname must be lowercase alphanumeric with hyphens, start/end with alphanumeric";
  }
  if (RESERVED_HOSTNAMES.has(name)) return `hostname ${JSON.stringify(name)} is reserved`;
  return undefined;
}

/** Normalised tags (one leading `#` stripped), or the reason they are refused. */
export function normaliseTags(tags: readonly string[]): { tags: string[] } | { problem: string } {
  if (tags.length > TAGS_MAX) return { problem: `too many tags (max ${TAGS_MAX})` };
  const out: string[] = [];
  for (const raw of tags) {
    const tag = raw.startsWith("#") ? raw.slice(1) : raw;
    if (tag === "") return { problem: "empty tag not allowed" };
    if (tag.length > TAG_MAX) {
      return { problem: `tag ${JSON.stringify(tag)} too long (max ${TAG_MAX} characters)` };
    }
    if (!TAG_RE.test(tag)) {
      return { problem: `tag ${JSON.stringify(tag)} must be lowercase alphanumeric with hyphens` };
    }
    out.push(tag);
  }
  return { tags: out };
}
