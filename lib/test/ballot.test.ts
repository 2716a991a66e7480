import { expect } from "chai";
import { Signature, Wallet, concat, toBeHex, verifyTypedData } from "ethers";
import { AppError } from "../errors.js";
import { nativeRecovery, recoverSigner } from "../recover.js";
import {
  BALLOT_TYPES,
  BallotHasher,
  Choice,
  ballotDigest,
  ballotDomain,
  isWellFormed,
  packChoices,
  unpackChoices,
} from "../ballot.js";

describe("ballot (shared EIP-712 definition)", function () {
  describe("packChoices / unpackChoices", function () {
    it("packs two bits a question, question 0 lowest", function () {
      expect(packChoices([Choice.For, Choice.Against, Choice.Abstain])).to.equal(0b11_10_01n);
      expect(unpackChoices(0b11_10_01n, 3)).to.deep.equal([1, 2, 3]);
      expect(unpackChoices(0b01n, 2)).to.deep.equal([1, 0]);
    });

    it("packs 64 answers into 128 bits", function () {
      const packed = packChoices(Array(64).fill(Choice.Abstain));
      expect(packed).to.equal(2n ** 128n - 1n);
    });

    it("refuses no answers, more than 64, and values that are not an answer", function () {
      expect(() => packChoices([])).to.throw(AppError, "1 to 64 questions, got 0").with.property("code", "malformed_choices");
      expect(() => packChoices(Array(65).fill(Choice.For))).to.throw(AppError, "got 65").with.property("code", "malformed_choices");
      expect(() => packChoices([Choice.For, 0 as Choice])).to.throw(AppError, "question 1").with.property("code", "malformed_choices");
      expect(() => packChoices([4 as Choice])).to.throw(AppError, "question 0").with.property("code", "malformed_choices");
    });
  });

  describe("isWellFormed", function () {
    it("matches the contract's rule", function () {
      expect(isWellFormed(packChoices([Choice.For, Choice.For]), 2)).to.equal(true);
      expect(isWellFormed(packChoices([Choice.For]), 2)).to.equal(false); // question 1 unanswered
      expect(isWellFormed(packChoices([Choice.For, Choice.For, Choice.For]), 2)).to.equal(false); // extra bits
      expect(isWellFormed(0n, 1)).to.equal(false);
      expect(isWellFormed(1n, 0)).to.equal(false);
      expect(isWellFormed(-1n, 1)).to.equal(false);
    });
  });

  describe("ballotDigest", function () {
    it("is the digest that the voter's signature recovers from", async function () {
      const wallet = Wallet.createRandom();
      const domain = ballotDomain(31337n, "0x5fbdb2315678afecb367f032d93f642f64180aa3");
      const ballot = { meetingId: 7n, voter: wallet.address, choices: packChoices([Choice.For]) };
      const signature = await wallet.signTypedData(domain, BALLOT_TYPES, ballot);
      expect(verifyTypedData(domain, BALLOT_TYPES, ballot, signature)).to.equal(wallet.address);
      expect(ballotDigest(domain, ballot)).to.match(/^0x[0-9a-f]{64}$/);
      expect(ballotDigest(domain, { ...ballot, meetingId: 8n })).not.to.equal(ballotDigest(domain, ballot));
      expect(ballotDigest(ballotDomain(1n, domain.verifyingContract as string), ballot)).not.to.equal(ballotDigest(domain, ballot));
    });
  });

  describe("BallotHasher", function () {
    it("computes the same digests as the EIP-712 encoder", function () {
      const domain = ballotDomain(31337n, "0x5fbdb2315678afecb367f032d93f642f64180aa3");
      const hasher = new BallotHasher(domain);
      for (let i = 0; i < 20; i++) {
        const ballot = { meetingId: BigInt(i * 7919 + 1), voter: Wallet.createRandom().address, choices: BigInt(i) * 0x155n + 1n };
        expect(hasher.digest(ballot.meetingId, ballot.voter, ballot.choices)).to.equal(ballotDigest(domain, ballot));
      }
    });
  });

  describe("recoverSigner", function () {
    it("recovers the signer as ethers does and refuses malleable or malformed signatures", async function () {
      const wallet = Wallet.createRandom();
      const domain = ballotDomain(31337n, "0x5fbdb2315678afecb367f032d93f642f64180aa3");
      const ballot = { meetingId: 3n, voter: wallet.address, choices: 0b01n };
      const signature = await wallet.signTypedData(domain, BALLOT_TYPES, ballot);
      const digest = ballotDigest(domain, ballot);
      expect(recoverSigner(digest, signature)).to.equal(wallet.address.toLowerCase());
      // the same signature with s' = n - s (and v flipped) is valid ECDSA but malleable
      const n = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
      const sig = Signature.from(signature);
      const flipped = concat([sig.r, toBeHex(n - BigInt(sig.s), 32), new Uint8Array([sig.v === 27 ? 28 : 27])]);
      expect(recoverSigner(digest, flipped)).to.equal(null);
      expect(recoverSigner(digest, "0x1234")).to.equal(null);
      expect(recoverSigner(digest, signature.slice(0, -2) + "05")).to.equal(null);
      expect(nativeRecovery).to.be.a("boolean");
    });
  });
});
