import assert from "node:assert/strict";
import { isPilotError } from "../errors.ts";
import {
  findIdentityFile,
  formatIdentityFile,
  generateIdentity,
  IDENTITY_MISMATCH_MESSAGE,
  identityFromSeed,
  identityPathInHome,
  identitySigner,
  loadIdentity,
  loadOrCreateIdentity,
  parseIdentityFile,
  saveIdentity,
} from "./identity.ts";

const SEED = new Uint8Array(32).map((_, i) => i);
const IDENTITY = identityFromSeed(SEED);
const FILE = formatIdentityFile(IDENTITY);

/** Permission bits of a path; fails the test when the platform reports none. */
async function modeOf(path: string): Promise<number> {
  const { mode } = await Deno.stat(path);
  if (mode === null) throw new Error(`no mode reported for ${path}`);
  return mode & 0o777;
}

async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "identity-test-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("identity: the file is 2-space JSON in field order with no trailing newline", () => {
  const expected =
    `{\n  "private_key": "${IDENTITY.privateKey.toBase64()}",\n  "public_key": "${IDENTITY.publicKey.toBase64()}"\n}`;
  assert.equal(FILE, expected);
  assert.equal(IDENTITY.privateKey.byteLength, 64);
  assert.deepEqual(IDENTITY.privateKey.subarray(0, 32), SEED);
  assert.deepEqual(IDENTITY.privateKey.subarray(32), IDENTITY.publicKey);
});

Deno.test("identity: parse gives back the formatted identity, and the signer uses it", () => {
  const parsed = parseIdentityFile(FILE);
  assert.deepEqual(parsed, IDENTITY);
  assert.equal(formatIdentityFile(parsed), FILE);
  assert.deepEqual(identitySigner(parsed).publicKey, IDENTITY.publicKey);
  const fresh = generateIdentity();
  assert.notDeepEqual(fresh.publicKey, IDENTITY.publicKey);
  assert.deepEqual(parseIdentityFile(formatIdentityFile(fresh)), fresh);
});

Deno.test("identity: hostile files fail with 'load identity:' and a code", () => {
  const priv = IDENTITY.privateKey.toBase64();
  const pub = IDENTITY.publicKey.toBase64();
  const cases: [string, string][] = [
    ["", "invalid json"],
    ["{", "invalid json"],
    ["null", "json object"],
    ["[]", "json object"],
    ['"text"', "json object"],
    ["{}", "private_key"],
    [JSON.stringify({ private_key: 5, public_key: pub }), "private_key"],
    [JSON.stringify({ private_key: priv, public_key: null }), "public_key"],
    [JSON.stringify({ private_key: priv, public_key: ["x"] }), "public_key"],
    [JSON.stringify({ private_key: "%%%%", public_key: pub }), "private_key"],
    [JSON.stringify({ private_key: priv.slice(0, -2), public_key: pub }), "private_key"], // unpadded
    [JSON.stringify({ private_key: IDENTITY.publicKey.toBase64(), public_key: pub }), "private_key"], // 32 bytes
    [JSON.stringify({ private_key: priv, public_key: IDENTITY.privateKey.toBase64() }), "public_key"], // 64
    [JSON.stringify({ private_key: new Uint8Array(1 << 16).toBase64(), public_key: pub }), "private_key"],
  ];
  for (const [text, mention] of cases) {
    assert.throws(
      () => parseIdentityFile(text),
      (err) =>
        isPilotError(err, "identity_invalid") && err.message.startsWith("load identity: ") &&
        err.message.includes(mention),
      text.slice(0, 80),
    );
  }
});

Deno.test("identity: keys that do not belong together give the exact corruption message", () => {
  const other = generateIdentity();
  const mixed = [
    { private_key: IDENTITY.privateKey.toBase64(), public_key: other.publicKey.toBase64() },
    // Right public key, but the private key's second half is someone else's.
    {
      private_key: new Uint8Array([...SEED, ...other.publicKey]).toBase64(),
      public_key: other.publicKey.toBase64(),
    },
  ];
  for (const file of mixed) {
    assert.throws(
      () => parseIdentityFile(JSON.stringify(file, null, 2)),
      (err) => isPilotError(err, "identity_corrupted") && err.message === IDENTITY_MISMATCH_MESSAGE,
    );
  }
});

Deno.test("identity: save writes 0600 in a new 0700 directory, atomically, and load reads it back", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/home/.pilot/identity.key`;
    await saveIdentity(path, IDENTITY);
    assert.equal(await modeOf(path), 0o600);
    assert.equal(await modeOf(`${dir}/home/.pilot`), 0o700);
    assert.equal(await Deno.readTextFile(path), FILE);
    assert.deepEqual(await loadIdentity(path), IDENTITY);
    const names = [...Deno.readDirSync(`${dir}/home/.pilot`)].map((e) => e.name);
    assert.deepEqual(names, ["identity.key"], "no temp file left behind");
    // Overwriting keeps mode and leaves no temp file either.
    const other = generateIdentity();
    await saveIdentity(path, other);
    assert.deepEqual(await loadIdentity(path), other);
    assert.deepEqual([...Deno.readDirSync(`${dir}/home/.pilot`)].map((e) => e.name), ["identity.key"]);
  });
});

Deno.test("identity: a missing file loads as undefined; a corrupted one fails", async () => {
  await withTempDir(async (dir) => {
    assert.equal(await loadIdentity(`${dir}/identity.key`), undefined);
    await Deno.writeTextFile(`${dir}/identity.key`, FILE.slice(0, 40)); // a truncated write
    await assert.rejects(loadIdentity(`${dir}/identity.key`), (err) => isPilotError(err, "identity_invalid"));
    await assert.rejects(
      loadOrCreateIdentity(`${dir}/identity.key`),
      (err) => isPilotError(err, "identity_invalid"),
    );
    await Deno.mkdir(`${dir}/adir`);
    await assert.rejects(loadIdentity(`${dir}/adir`), (err) => isPilotError(err, "identity_invalid"));
  });
});

Deno.test("identity: loadOrCreate creates once, then keeps loading the same identity", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/identity.json`;
    const first = await loadOrCreateIdentity(path);
    assert.equal(first.created, true);
    assert.equal(first.saveError, undefined);
    const second = await loadOrCreateIdentity(path);
    assert.equal(second.created, false);
    assert.deepEqual(second.identity, first.identity);
  });
});

// A directory we may read but not write (the test task grants writes only in its temp folder). Under
// broader permissions the case cannot be produced without mocks, so it is skipped there.
const UNWRITABLE = new URL(`./.no-such-dir-${crypto.randomUUID()}/identity.key`, import.meta.url).pathname;
const canWriteThere = Deno.permissions.querySync({ name: "write", path: UNWRITABLE }).state === "granted";

Deno.test({
  name: "identity: loadOrCreate still returns an identity when it cannot be saved",
  ignore: canWriteThere,
  fn: async () => {
    const result = await loadOrCreateIdentity(UNWRITABLE);
    assert.equal(result.created, true);
    assert.ok(isPilotError(result.saveError, "identity_save_failed"));
    assert.match(result.saveError.message, /^save identity: /);
    assert.equal(result.identity.publicKey.byteLength, 32);
  },
});

Deno.test("identity: a pilot home's existing identity.key wins over identity.json, either one over a new file", async () => {
  await withTempDir(async (home) => {
    assert.equal(await findIdentityFile(home), undefined);
    assert.equal(await identityPathInHome(home), `${home}/identity.key`);
    await saveIdentity(`${home}/identity.json`, IDENTITY);
    assert.equal(await findIdentityFile(home), `${home}/identity.json`);
    assert.equal(await identityPathInHome(home), `${home}/identity.json`);
    await saveIdentity(`${home}/identity.key`, generateIdentity());
    assert.equal(await findIdentityFile(home), `${home}/identity.key`);
  });
});
