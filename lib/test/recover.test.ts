/** The one signature form the contract recovers, which intake holds every account's signature to. */
import { expect } from "chai";
import { Wallet, keccak256, toBeHex, toUtf8Bytes } from "ethers";
import { signatureProblem } from "../recover.js";

describe("signatureProblem", function () {
  it("names why a signature is not in the one form the contract recovers: 65 bytes, v 27 or 28, low s", function () {
    const wallet = Wallet.createRandom();
    const digest = keccak256(toUtf8Bytes("canonical"));
    const sig = wallet.signingKey.sign(digest);
    const n = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
    expect(signatureProblem(sig.serialized)).to.equal(undefined);
    expect(signatureProblem(`0x${sig.r.slice(2)}${sig.s.slice(2)}${(sig.v - 27).toString(16).padStart(2, "0")}`)).to.equal("v");
    expect(signatureProblem(`0x${sig.r.slice(2)}${sig.s.slice(2)}1d`)).to.equal("v");
    expect(signatureProblem(`0x${sig.r.slice(2)}${toBeHex(n - BigInt(sig.s), 32).slice(2)}${sig.v === 27 ? "1c" : "1b"}`)).to.equal("high_s");
    expect(signatureProblem(sig.compactSerialized)).to.equal("length");
    expect(signatureProblem(sig.serialized + "00")).to.equal("length");
    expect(signatureProblem("0x" + "zz".repeat(65))).to.equal("length");
  });
});
