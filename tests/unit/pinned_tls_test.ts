/**
 * The read-only tasks' HTTPS client trusts only the host's certificate: a local TLS server presents a
 * certificate, and the client pinned to another one is refused, even when that other one passes the
 * chain check (as a publicly trusted certificate would with Deno's `caCerts`, which adds to the roots).
 */
import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import type { PeerCertificate } from "node:tls";
import { pinnedIdentity } from "../../lib/verify/pinned.ts";
import { clientFor, get } from "../../lib/verify/public.ts";

const fixture = (name: string) => Deno.readTextFileSync(new URL(`../fixtures/${name}`, import.meta.url));
const [certA, keyA, certB] = [fixture("tls-a.pem"), fixture("tls-a.key"), fixture("tls-b.pem")];

async function serving(fn: (url: string) => Promise<void>) {
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, cert: certA, key: keyA, onListen: () => {} },
    () => new Response("ok"),
  );
  try {
    await fn(`https://127.0.0.1:${server.addr.port}/api/v1/status/buildinfo`);
  } finally {
    await server.shutdown();
  }
}

Deno.test("pinned client: the host's own certificate is accepted; another one is refused", async () => {
  await serving(async (url) => {
    const own = clientFor(certA)!;
    try {
      assert.deepEqual(await get(url, { client: own }), { status: 200, body: "ok" });
    } finally {
      own.close();
    }
    const other = clientFor(certB)!;
    try {
      const a = await get(url, { client: other });
      assert.equal(a.status, 0);
      assert.match(a.error!, /certificate/i, "verify's check 5 reads this as a TLS failure");
    } finally {
      other.close();
    }
  });
});

Deno.test("pinned client: a certificate that passes the chain check but is not the host's is refused", () => {
  const a = new X509Certificate(certA);
  const b = new X509Certificate(certB);
  const check = pinnedIdentity(a.fingerprint256);
  // What Node hands checkServerIdentity once the chain is valid (a public authority's, say).
  const peer = (c: X509Certificate) =>
    ({
      subject: { CN: "localhost" },
      subjectaltname: c.subjectAltName,
      fingerprint256: c.fingerprint256,
    }) as unknown as PeerCertificate;
  assert.equal(check("localhost", peer(a)), undefined);
  assert.match(
    String(check("localhost", peer(b))),
    /is not the host's own .*even if a public authority signed it/,
  );
  assert.match(String(check("other.example", peer(a))), /other\.example/, "the name is still checked");
});
