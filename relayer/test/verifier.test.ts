/** Signature recovery on worker threads agrees with recovery on the event loop, and survives its workers. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Wallet, id as keccakText } from "ethers";
import { recoverSigner } from "#lib/recover.js";
import { SignatureVerifier } from "../src/verifier.js";

const wallets = Array.from({ length: 40 }, () => Wallet.createRandom());
const cases = wallets.map((w, i) => {
  const digest = keccakText(`ballot ${i}`);
  return { digest, signature: w.signingKey.sign(digest).serialized, signer: w.address.toLowerCase() };
});

describe("signature verifier", () => {
  it("recovers on worker threads what recovery on the event loop recovers, grouped or not", async () => {
    const verifier = new SignatureVerifier(2);
    try {
      assert.equal(verifier.threads, 2);
      const together = await Promise.all(cases.map((c) => verifier.recover(c.digest, c.signature)));
      assert.deepEqual(together, cases.map((c) => c.signer));
      for (const c of cases.slice(0, 3)) assert.equal(await verifier.recover(c.digest, c.signature), recoverSigner(c.digest, c.signature));
      // a signature of another digest, a malformed one, and a high-s (malleable) one recover nobody valid
      assert.notEqual(await verifier.recover(cases[0]!.digest, cases[1]!.signature), cases[0]!.signer);
      assert.equal(await verifier.recover(cases[0]!.digest, "0x1234"), null);
      const sig = cases[0]!.signature;
      const n = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
      const highS = "0x" + sig.slice(2, 66) + (n - BigInt("0x" + sig.slice(66, 130))).toString(16).padStart(64, "0") + (sig.endsWith("1b") ? "1c" : "1b");
      assert.equal(await verifier.recover(cases[0]!.digest, highS), null);
    } finally {
      await verifier.close();
    }
  });

  it("answers inline once its workers are gone, including what they held", async () => {
    const verifier = new SignatureVerifier(1);
    const pending = cases.map((c) => verifier.recover(c.digest, c.signature));
    await verifier.close();
    assert.equal(verifier.threads, 0);
    assert.deepEqual(await Promise.all(pending), cases.map((c) => c.signer));
    assert.equal(await verifier.recover(cases[5]!.digest, cases[5]!.signature), cases[5]!.signer);
  });
});
