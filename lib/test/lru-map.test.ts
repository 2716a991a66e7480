/** The bounded map that caches fed by clients use: it never holds more than its capacity and evicts the entry used least recently. */
import { expect } from "chai";
import { LruMap } from "../lru-map.js";

describe("LruMap", function () {
  it("holds at most its capacity, dropping the least recently used entry", function () {
    const m = new LruMap<string, number>(3);
    m.set("a", 1).set("b", 2).set("c", 3);
    expect(m.get("a")).to.equal(1, "a is now the most recently used");
    m.set("d", 4);
    expect(m.size).to.equal(3);
    expect(m.has("b")).to.equal(false, "b was the coldest");
    expect([m.get("a"), m.get("c"), m.get("d")]).to.deep.equal([1, 3, 4]);
    m.set("c", 30);
    m.set("e", 5);
    expect(m.has("a")).to.equal(false);
    expect(m.get("c")).to.equal(30, "writing a key refreshes it");
  });

  it("keeps values that are falsy", function () {
    const m = new LruMap<string, bigint | boolean>(2);
    m.set("zero", 0n).set("no", false);
    expect(m.get("zero")).to.equal(0n);
    expect(m.get("no")).to.equal(false);
  });

  it("refuses a capacity below one", function () {
    expect(() => new LruMap(0)).to.throw(/at least one/);
  });
});
