/**
 * The legal rules' descriptions the page shows (`GET /api/rules`): every version of
 * lib/legal-rules.ts under the hash it is published with on chain, so the page names a meeting's
 * question types only by the version the chain records, and a description that does not hash to that
 * key cannot be shown for it.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createLogger } from "#lib/log.js";
import { RULES_VERSIONS, canonicalJson, publishArgs, sourceRef } from "#lib/legal-rules.js";
import { keccak256, toUtf8Bytes } from "ethers";
import { startWebServer, type WebServer } from "../src/server.js";
import { recordingServer, type RecordingServer } from "./helpers.js";

let upstreams: RecordingServer[];
let web: WebServer;

before(async () => {
  upstreams = await Promise.all(["graphql", "custody", "relayer"].map((n) => recordingServer(n)));
  const [graphql, custody, relayer] = upstreams as [RecordingServer, RecordingServer, RecordingServer];
  web = await startWebServer({ graphqlUrl: graphql.url, custodyUrl: custody.url, relayerUrl: relayer.url, logger: createLogger("silent") });
});
after(async () => {
  await web?.close();
  for (const u of upstreams ?? []) await u.close();
});

describe("GET /api/rules", () => {
  it("serves each rules version under the sourceRef it is published with, its names in both languages", async () => {
    const response = await fetch(`${web.url}/api/rules`);
    assert.equal(response.status, 200);
    assert.match(String(response.headers.get("content-security-policy")), /default-src 'none'/);
    const served = (await response.json()) as Record<string, (typeof RULES_VERSIONS)[number]>;
    assert.deepEqual(Object.keys(served).sort(), RULES_VERSIONS.map((v) => sourceRef(v).toLowerCase()).sort());
    for (const [ref, version] of Object.entries(served)) {
      assert.equal(keccak256(toUtf8Bytes(canonicalJson(version))).toLowerCase(), ref, "the description hashes to its key");
      assert.equal(publishArgs(version).sourceRef.toLowerCase(), ref, "the key is what the deployment publishes");
      for (const type of version.questionTypes) {
        assert.ok(type.name.ru.length > 0 && type.name.en.length > 0, type.code);
        assert.ok(type.article.length > 0, type.code);
      }
    }
    assert.equal(upstreams.reduce((n, u) => n + u.requests.length, 0), 0, "served by the web server itself");
  });
});
