/**
 * The address of a joint group, derived as BuildingRegistry derives it (`jointGroupOf`), so that a joint
 * holding names its group even when the group was registered by an earlier ownership change:
 * the low 160 bits of keccak256(abi.encode(keccak256("DigitalHome.JointGroup"), buildingId, sortedHolders)).
 */
import { Address, BigInt, ByteArray, Bytes, crypto } from "@graphprotocol/graph-ts";

const JOINT_GROUP_TAG = "DigitalHome.JointGroup";

/** The holders in ascending order of their addresses (insertion sort: a holding has at most 8). */
export function sortedHolders(holders: Array<Address>): Array<Address> {
  let sorted = new Array<Address>();
  for (let i = 0; i < holders.length; i++) {
    let holder = holders[i];
    let key = holder.toHexString();
    let j = sorted.length;
    sorted.push(holder);
    while (j > 0 && sorted[j - 1].toHexString() > key) {
      sorted[j] = sorted[j - 1];
      j--;
    }
    sorted[j] = holder;
  }
  return sorted;
}

/** Writes `value` as a big-endian 32-byte word at `offset`. */
function writeWord(out: ByteArray, offset: i32, value: u64): void {
  for (let i = 0; i < 8; i++) out[offset + 31 - i] = u8((value >> (8 * i)) & 0xff);
}

export function jointGroupAddress(buildingId: BigInt, sorted: Array<Address>): Address {
  let n = sorted.length;
  // head: tag, buildingId, offset of the array (0x60); tail: its length and the addresses, one a word
  let data = new ByteArray(32 * (4 + n));
  let tag = crypto.keccak256(ByteArray.fromUTF8(JOINT_GROUP_TAG));
  for (let i = 0; i < 32; i++) data[i] = tag[i];
  writeWord(data, 32, buildingId.toU64());
  writeWord(data, 64, 0x60);
  writeWord(data, 96, u64(n));
  for (let k = 0; k < n; k++) {
    let holder = sorted[k];
    for (let i = 0; i < 20; i++) data[128 + 32 * k + 12 + i] = holder[i];
  }
  let hash = crypto.keccak256(data);
  let address = new ByteArray(20);
  for (let i = 0; i < 20; i++) address[i] = hash[12 + i];
  return Address.fromBytes(Bytes.fromByteArray(address));
}
