/**
 * An ethers provider for a signer of the local network, for the operator's own transactions (the
 * deployment, the registrar's and the organiser's). geth runs eth_estimateGas in the context of the
 * latest block, at its timestamp, unless it is told which block; the transaction then lands in a
 * later one. The registry keys its checkpoints by timestamp, so a registration right after another
 * (the next batch of premises, owners already in the last one) is estimated as updating that block's
 * checkpoints in place, and runs out of gas writing new ones: on this network 4.4M estimated, 8.9M
 * used, the transaction reverted. Hardhat's simulator estimates on a pending block, which hid it. This
 * provider asks for the estimate against "pending", the block the node seals next.
 */
import { JsonRpcProvider, type PerformActionRequest } from "ethers";

export class GethProvider extends JsonRpcProvider {
  override getRpcRequest(req: PerformActionRequest): null | { method: string; args: Array<unknown> } {
    const request = super.getRpcRequest(req);
    if (request !== null && req.method === "estimateGas") return { method: request.method, args: [...request.args, "pending"] };
    return request;
  }
}
