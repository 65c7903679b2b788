/**
 * The crypto vectors of network.md §11 (TV-8, TV-10, TV-11) and control.md §8, plus every signature in
 * the captured traffic of /work/shared/vectors: PILA frames and signed registry requests.
 */

import assert from "node:assert/strict";
import {
  deriveSharedSecret,
  deriveTunnelKey,
  Ed25519Signer,
  formatIdentityFile,
  identityFromSeed,
  importTunnelPrivateKey,
  nonceCounter,
  parseIdentityFile,
  pilaChallenge,
  signPila,
  TunnelCipher,
  verifyPila,
  verifyTextSignature,
} from "../lib/crypto/mod.ts";
import { decodePila, decodePils, encodePila, encodePils } from "../lib/protocol/mod.ts";

const hex = (text: string) => Uint8Array.fromHex(text.toLowerCase());
const VECTORS = new URL("../../shared/vectors/", import.meta.url);

// --- tiny unknown-JSON readers: a vector file of the wrong shape fails the test, naming the field ---

function get(value: unknown, key: string): unknown {
  if (typeof value !== "object" || value === null) throw new Error(`vector: ${key} read from a non-object`);
  return new Map<string, unknown>(Object.entries(value)).get(key);
}
function str(value: unknown, key: string): string {
  const v = get(value, key);
  if (typeof v !== "string") throw new Error(`vector: ${key} is not a string`);
  return v;
}
function num(value: unknown, key: string): number {
  const v = get(value, key);
  if (typeof v !== "number") throw new Error(`vector: ${key} is not a number`);
  return v;
}
function list(value: unknown, key: string): unknown[] {
  const v = get(value, key);
  if (!Array.isArray(v)) throw new Error(`vector: ${key} is not an array`);
  return v;
}
async function loadVectors(name: string): Promise<unknown> {
  return JSON.parse(await Deno.readTextFile(new URL(name, VECTORS)));
}

interface VectorIdentity {
  letter: string;
  nodeId: number;
  publicKeyB64: string;
  fileObject: unknown;
}
function identities(value: unknown): VectorIdentity[] {
  return ["A", "B"].map((letter) => {
    const entry = get(value, letter);
    return {
      letter,
      nodeId: num(entry, "node_id"),
      publicKeyB64: str(entry, "ed25519_public_key_b64"),
      fileObject: get(entry, "identity_file_throwaway"),
    };
  });
}

// --- network.md §11 ---

const TV8 = {
  alicePrivate: hex("77076D0A7318A57D3C16C17251B26645DF4C2F87EBC0992AB177FBA51DB92C2A"),
  alicePublic: hex("8520F0098930A754748B7DDCB43EF75A0DBF3A0D26381AF4EBA4A98EAA9B4E6A"),
  bobPrivate: hex("5DAB087E624A8A4B79E17F8B83800EE66F3BB1292618B6FD1C2F8B27FF88E0EB"),
  bobPublic: hex("DE9EDB7D7B7DC1B4D35B61C2ECE435373F8343C85B78674DADFC7E146F882B4F"),
  shared: hex("4A5D9D5BA4CE2DE1728E3BF480350F25E07E21C947D19E3376F09B3C1E161742"),
  tunnelKey: hex("7FBA3471BC8EFE5A218C59651AD860926646B44C842BB2747AD11D976D60C50E"),
  edSeed: hex("9D61B19DEFFD5A60BA844AF492EC2CC44449C5697B326919703BAC031CAE7F60"),
  edPublic: hex("D75A980182B10AB7D54BFED3C964073A0EE172F3DAA62325AF021A68F707511A"),
};
const TV3 = hex("11010000000000000001000000000002C00003E800000000000000000200145ED874");

Deno.test("vectors TV-8: X25519 shared secret and tunnel key from the RFC 7748 keys", () => {
  const alice = importTunnelPrivateKey(TV8.alicePrivate);
  const bob = importTunnelPrivateKey(TV8.bobPrivate);
  assert.deepEqual(alice.publicKey, TV8.alicePublic);
  assert.deepEqual(bob.publicKey, TV8.bobPublic);
  assert.deepEqual(deriveSharedSecret(alice.privateKey, TV8.bobPublic), TV8.shared);
  assert.deepEqual(deriveSharedSecret(bob.privateKey, TV8.alicePublic), TV8.shared);
  assert.deepEqual(deriveTunnelKey(TV8.shared), TV8.tunnelKey);
  assert.deepEqual(new Ed25519Signer(TV8.edSeed).publicKey, TV8.edPublic);
});

Deno.test("vectors TV-10: PILA challenge, deterministic signature and whole frame", () => {
  const challenge = hex("61757468000000018520F0098930A754748B7DDCB43EF75A0DBF3A0D26381AF4EBA4A98EAA9B4E6A");
  const signature = hex(
    "880AF5E2CE0D44FC98432C2FF8C867567F42F442CD9E00C298199823844F1E7D54C5560C7C7480B2F90855B73178C665295538BD30E521F794C494E793E7610D",
  );
  const wire = hex(
    "50494C41000000018520F0098930A754748B7DDCB43EF75A0DBF3A0D26381AF4EBA4A98EAA9B4E6AD75A980182B10AB7D54BFED3C964073A0EE172F3DAA62325AF021A68F707511A880AF5E2CE0D44FC98432C2FF8C867567F42F442CD9E00C298199823844F1E7D54C5560C7C7480B2F90855B73178C665295538BD30E521F794C494E793E7610D",
  );
  assert.deepEqual(pilaChallenge(1, TV8.alicePublic), challenge);
  const signer = new Ed25519Signer(TV8.edSeed);
  const signed = signPila(signer, 1, TV8.alicePublic);
  assert.deepEqual(signed, signature);
  const frame = {
    senderNode: 1,
    x25519Public: TV8.alicePublic,
    ed25519Public: signer.publicKey,
    signature: signed,
  };
  assert.deepEqual(encodePila(frame), wire);
  assert.ok(verifyPila(TV8.edPublic, decodePila(wire)));
  for (const bit of [4 * 8, 20 * 8, 72 * 8, 135 * 8 + 7]) {
    const flipped = new Uint8Array(wire);
    flipped[bit >> 3] ^= 1 << (bit & 7);
    assert.ok(!verifyPila(TV8.edPublic, decodePila(flipped)), `bit ${bit} flipped`);
  }
});

Deno.test("vectors TV-11: sealing TV-3 with prefix A1B2C3D4, counter 1, gives the stated frame", async () => {
  const nonce = hex("A1B2C3D40000000000000001");
  const sealed = hex(
    "56DFE3F8D3D878E2A8D87FC3412AFCA4DFC38B354CE7F0E1ECD34717B908C5461FCC585A0951448836DEEED10CB8A3DE519C",
  );
  const wire = hex(
    "50494C5300000001A1B2C3D4000000000000000156DFE3F8D3D878E2A8D87FC3412AFCA4DFC38B354CE7F0E1ECD34717B908C5461FCC585A0951448836DEEED10CB8A3DE519C",
  );
  const prefix = hex("A1B2C3D4");
  const sync = new TunnelCipher(TV8.tunnelKey, { noncePrefix: prefix }).sealSync(TV3);
  const web = await new TunnelCipher(TV8.tunnelKey, { noncePrefix: prefix }).seal(TV3);
  for (const frame of [sync, web]) {
    assert.equal(frame.counter, 1);
    assert.deepEqual(frame.nonce, nonce);
    assert.deepEqual(frame.sealed, sealed);
    assert.deepEqual(encodePils({ senderNode: 1, nonce: frame.nonce, sealed: frame.sealed }), wire);
  }
  const received = decodePils(wire);
  assert.equal(nonceCounter(received.nonce), 1n);
  const receiver = new TunnelCipher(TV8.tunnelKey);
  assert.deepEqual(receiver.openSync(received.nonce, received.sealed), TV3);
  assert.deepEqual(await receiver.open(received.nonce, received.sealed), TV3);
});

// --- control.md §8 ---

const CONTROL_IDENTITIES = [
  {
    privateKey: "gMEwCycZyNlx6Hj/fpx4qCBZjaS3uBYs8HICocUM6EY4+4GJO0tNeh/vEU0P3lVmKD73tWJsr8orHdJpvbHTBw==",
    seedHex: "80c1300b2719c8d971e878ff7e9c78a820598da4b7b8162cf07202a1c50ce846",
    publicKey: "OPuBiTtLTXof7xFND95VZig+97VibK/KKx3Sab2x0wc=",
    signatures: {
      "heartbeat:1":
        "LwKXIdT6kDXZDUlwwQnQIC9b5/dCJwLlAVJHVkfwuMlAXIrUprJINUFnxovkvUPrK+2ZhXZqG0z9QSSbljcQCA==",
      "poll_handshakes:1":
        "KAG41YypR0dAFpH8O8PLPcaWL2qrG3U7HWfhZlxS4l6eB7qBi/ZmE9jRhB/5u2w3udvum2nqwGIrqOdprHJLDQ==",
      "set_hostname:1":
        "rGO267uc1eXVJAQkmb4qE4tsgHDadc5QUwnvIq9d8MNZqFdtHWq2WVRn7P4gL/7j/dITSXBLf4y7CVtyAGvoDA==",
      "resolve:1:2":
        "iRENaXnRi9bwmS7PDzIWvcoQp4NJQfxbVFahi1PoE41MXhuwmgWiSGl8seXPlIp+0RC8TSJokh5MGkQLc/GQBA==",
      "handshake:1:2":
        "RW+M8xvtEMuIRaJBXOdLkGYDVpK8AQk5qSKAsoTjyvkTfaa2aObApQEA9MpOIIbDuuShGYkFD7h4DBEc2A5+AQ==",
      "report_trust:1:2":
        "fdGQsa5UmPBaICtMDqXcM6EzJrKzf+YiRJAvEpUxar5ROxf1T+GNUsi7KVnrMl/o9UGMAIC7NSnAfBSvp2HnBg==",
      "deregister:1":
        "8y6H299x13oGPM+VYfW2jmU25h2T4xi9ZaxQii6NmVG8rz9nsylvT9/ZdhQ0VWRFJDG7KGciGMVlhntzleFLAQ==",
    },
  },
  {
    privateKey: "GIB+I+LNgcjkEc9z8+CXcydWIaHvV5UaMmcnW08K9IOEmbU4XhxwnSiJdN7k+dwq3Or/6x3aGhpl+enCEbTLtQ==",
    seedHex: undefined,
    publicKey: "hJm1OF4ccJ0oiXTe5PncKtzq/+sd2hoaZfnpwhG0y7U=",
    signatures: {
      "heartbeat:2":
        "SryHbdTX798S24q4kEglV3poNGnj4sxzQRTlOInzdBNKsXVSbt7bBHf7MrNZlMo0Uijn3Ua2RqLNGhrg9O5tAA==",
      "respond:2:1":
        "++VE1OefkZJI29IbtUQc9RjRoEgmx0ObPUH34Az5200WT7yy9nYmtVGIFLug1QdZ8CDE78IPHA3EpYGRHJFnDA==",
      "report_trust:2:1":
        "hSvKCSsxaTJhqx71OYLrXSVA3VLY6Kvxawh5I1y5fP+yua/WoeTvH5mC1aw/ZsJ/GOwUMbYX+KWEPyCgieXVCg==",
      "resolve:2:1":
        "WCcVsvejYegTskHTcScoGrGFSNNlMDhDW4R/LWC/8urBL+Avi3gF4wyWmuv8CHsb3XalMFpFwnMBmIUHItAfCQ==",
    },
  },
];

Deno.test("vectors control.md §8: both identities sign every challenge exactly as captured", () => {
  for (const vector of CONTROL_IDENTITIES) {
    const file = JSON.stringify({ private_key: vector.privateKey, public_key: vector.publicKey }, null, 2);
    const identity = parseIdentityFile(file);
    assert.equal(formatIdentityFile(identity), file);
    assert.equal(identity.publicKey.toBase64(), vector.publicKey);
    if (vector.seedHex !== undefined) {
      assert.equal(identity.privateKey.subarray(0, 32).toHex(), vector.seedHex);
      assert.deepEqual(identityFromSeed(hex(vector.seedHex)), identity);
    }
    const signer = new Ed25519Signer(identity.privateKey);
    for (const [challenge, signature] of Object.entries(vector.signatures)) {
      assert.equal(signer.signText(challenge), signature, challenge);
      assert.ok(verifyTextSignature(vector.publicKey, challenge, signature), challenge);
      assert.ok(
        !verifyTextSignature(vector.publicKey, `${challenge}\n`, signature),
        `${challenge} + newline`,
      );
    }
  }
});

Deno.test("vectors: every captured identity file parses, re-formats identically and matches its public key", async () => {
  const files = [
    "tunnel-encrypted.json",
    "tunnel-plaintext.json",
    "registry-session.json",
    "beacon.json",
    "ipc.json",
  ];
  let checked = 0;
  for (const name of files) {
    const data = await loadVectors(name);
    const sets = [get(data, "identities"), get(data, "encrypted_run_identities")];
    const publicRun = get(data, "public_nodes_run") ?? get(data, "direct_handshake_run");
    if (publicRun !== undefined) sets.push(get(publicRun, "identities"));
    for (const set of sets.filter((s) => s !== undefined)) {
      for (const id of identities(set)) {
        const text = JSON.stringify(id.fileObject, null, 2);
        const identity = parseIdentityFile(text);
        assert.equal(formatIdentityFile(identity), text, `${name} ${id.letter}`);
        assert.equal(identity.publicKey.toBase64(), id.publicKeyB64, `${name} ${id.letter}`);
        checked++;
      }
    }
  }
  assert.ok(checked >= 10, `checked ${checked} identity files`);
});

Deno.test("vectors: every captured PILA frame verifies under its node's identity, and a flipped bit fails", async () => {
  const data = await loadVectors("tunnel-encrypted.json");
  const byNode = new Map(identities(get(data, "identities")).map((id) => [id.nodeId, id]));
  let checked = 0;
  for (const entry of list(data, "frames")) {
    const bytes = get(entry, "hex");
    if (typeof bytes !== "string" || !bytes.toLowerCase().startsWith("50494c41")) continue;
    const frame = decodePila(hex(bytes));
    const id = byNode.get(frame.senderNode);
    assert.ok(id !== undefined, `PILA from unknown node ${frame.senderNode}`);
    const expected = Uint8Array.fromBase64(id.publicKeyB64);
    assert.ok(verifyPila(expected, frame), `PILA at t=${get(entry, "t")}`);
    // Re-signing with the throwaway private key reproduces the captured signature (deterministic Ed25519).
    const signer = new Ed25519Signer(parseIdentityFile(JSON.stringify(id.fileObject)).privateKey);
    assert.deepEqual(signPila(signer, frame.senderNode, frame.x25519Public), frame.signature);
    const flipped = hex(bytes);
    flipped[100] ^= 0x04; // inside the signature
    assert.ok(!verifyPila(expected, decodePila(flipped)));
    const other = [...byNode.values()].find((o) => o.nodeId !== id.nodeId);
    assert.ok(other !== undefined);
    assert.ok(
      !verifyPila(Uint8Array.fromBase64(other.publicKeyB64), frame),
      "not under the other node's key",
    );
    checked++;
  }
  assert.ok(checked >= 1, "the capture holds PILA frames");
});

// control.md §3.5.1: the challenge each signed request type covers, rebuilt from its own fields.
const CHALLENGES: Record<string, (json: unknown) => string> = {
  heartbeat: (j) => `heartbeat:${num(j, "node_id")}`,
  deregister: (j) => `deregister:${num(j, "node_id")}`,
  set_visibility: (j) => `set_visibility:${num(j, "node_id")}`,
  set_hostname: (j) => `set_hostname:${num(j, "node_id")}`,
  set_tags: (j) => `set_tags:${num(j, "node_id")}`,
  set_task_exec: (j) => `set_task_exec:${num(j, "node_id")}`,
  poll_handshakes: (j) => `poll_handshakes:${num(j, "node_id")}`,
  resolve: (j) => `resolve:${num(j, "requester_id")}:${num(j, "node_id")}`,
  report_trust: (j) => `report_trust:${num(j, "node_id")}:${num(j, "peer_id")}`,
  revoke_trust: (j) => `revoke_trust:${num(j, "node_id")}:${num(j, "peer_id")}`,
  punch: (j) => `punch:${num(j, "node_a")}:${num(j, "node_b")}`,
  request_handshake: (j) => `handshake:${num(j, "from_node_id")}:${num(j, "to_node_id")}`,
  respond_handshake: (j) => `respond:${num(j, "node_id")}:${num(j, "peer_id")}`,
  rotate_key: (j) => `rotate:${num(j, "node_id")}`,
};
const SIGNATURE_CHECK =
  /^Ed25519 signature by node (\d+) \(([AB])\) over the ASCII string '([^']+)': verified$/;

Deno.test("vectors: every signed registry request verifies with the named key and challenge", async () => {
  const registry = await loadVectors("registry-session.json");
  const tunnel = await loadVectors("tunnel-encrypted.json");
  const publicRun = get(registry, "public_nodes_run");
  // The encrypted run's nodes are the ones of the encrypted tunnel capture.
  const runs: [string, unknown[], VectorIdentity[]][] = [
    ["plaintext run", list(registry, "messages"), identities(get(registry, "identities"))],
    ["encrypted run", list(registry, "encrypted_run_messages"), identities(get(tunnel, "identities"))],
    ["public nodes run", list(publicRun, "messages"), identities(get(publicRun, "identities"))],
  ];
  let checked = 0;
  for (const [run, messages, ids] of runs) {
    const registered = messages.map((m) => get(m, "json")).filter((j) =>
      j !== undefined && get(j, "type") === "register"
    )
      .map((j) => str(j, "public_key"));
    assert.deepEqual(
      registered.toSorted(),
      ids.map((id) => id.publicKeyB64).toSorted(),
      `${run}: identities`,
    );
    for (const message of messages) {
      const check = get(message, "signature_check");
      if (check === undefined) continue;
      assert.equal(typeof check, "string");
      const match = SIGNATURE_CHECK.exec(String(check));
      assert.ok(match !== null, `${run}: unexpected signature_check ${String(check)}`);
      const [, nodeText, letter, challenge] = match;
      const id = ids.find((i) => i.letter === letter);
      assert.ok(id !== undefined && id.nodeId === Number(nodeText), `${run}: node ${nodeText}`);
      const json = get(message, "json");
      const type = str(json, "type");
      const rebuild = CHALLENGES[type];
      assert.ok(rebuild !== undefined, `${run}: ${type} is not a signed type`);
      assert.equal(rebuild(json), challenge, `${run}: ${type} challenge`);
      const signature = str(json, "signature");
      assert.ok(verifyTextSignature(id.publicKeyB64, challenge, signature), `${run}: ${challenge}`);
      const other = ids.find((i) => i.letter !== letter);
      assert.ok(other !== undefined && !verifyTextSignature(other.publicKeyB64, challenge, signature));
      const signer = new Ed25519Signer(parseIdentityFile(JSON.stringify(id.fileObject)).privateKey);
      assert.equal(signer.signText(challenge), signature, `${run}: re-signing ${challenge}`);
      checked++;
    }
  }
  assert.equal(checked, 42, "all 42 signed requests of the three runs");
});
