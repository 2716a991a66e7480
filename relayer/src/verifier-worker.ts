/** A worker thread of SignatureVerifier: recovers the signers of a group of ballots. */
import { parentPort } from "node:worker_threads";
import { recoverSigner } from "#lib/recover.js";

parentPort!.on("message", (m: { id: number; digests: string[]; signatures: string[] } | "stop") => {
  if (m === "stop") return parentPort!.close();
  const signers = m.digests.map((d, i) => recoverSigner(d, m.signatures[i]!));
  parentPort!.postMessage({ id: m.id, signers });
});
