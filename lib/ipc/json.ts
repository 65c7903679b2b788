/**
 * IPC replies use the reference's map-built JSON (control.md §1); the rule lives in `lib/json`.
 *
 * @module
 */

export { formatSortedJson } from "../json/go_json.ts";
