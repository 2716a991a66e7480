/**
 * The network tests need geth, built from source with Go ≥ 1.23. `gethSkipReason` builds it when it
 * is missing and returns why the tests must be skipped when Go is not there: with CI=true a missing Go
 * is an error instead, so CI never passes without running them.
 */
import { NetworkError } from "../../errors.js";
import { GETH_VERSION, installGeth } from "../../geth-install.js";

export async function gethSkipReason(): Promise<string | undefined> {
  try {
    const result = await installGeth({ log: (line) => console.log(`# ${line}`) });
    if (result.built) console.log(`# built geth ${result.version} in ${result.seconds.toFixed(0)} s`);
    return undefined;
  } catch (err) {
    if (!(err instanceof NetworkError) || err.code !== "GO_MISSING") throw err;
    if (process.env.CI === "true") throw new NetworkError("GO_MISSING", `CI=true and the network suite cannot run: ${err.message}`, { cause: err });
    const reason = `the network suite needs Go ≥ 1.23 to build geth ${GETH_VERSION}, and is skipped: ${err.message}`;
    console.log(`# ${reason}`);
    return reason;
  }
}
