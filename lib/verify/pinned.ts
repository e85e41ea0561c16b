/**
 * HTTPS to a host's own endpoint, trusting only that host's certificate. Deno's `fetch` cannot do it:
 * `createHttpClient({ caCerts })` adds to the public roots, so any publicly trusted certificate for the
 * name would pass too. node:https lets the connection check the peer: the chain against the host's
 * certificate alone, the name as usual, then the certificate's SHA-256 fingerprint against the host's.
 */
import https from "node:https";
import { checkServerIdentity, type PeerCertificate } from "node:tls";
import { X509Certificate } from "node:crypto";

/** An HTTP answer. */
export interface PinnedAnswer {
  status: number;
  body: string;
}

/**
 * The `checkServerIdentity` of a connection pinned to `fingerprint256` (`AA:BB:…`, as Node prints it):
 * the usual name check, then the certificate must be that one, whoever signed it.
 */
export function pinnedIdentity(fingerprint256: string) {
  return (hostname: string, cert: PeerCertificate): Error | undefined => {
    const wrong = checkServerIdentity(hostname, cert);
    if (wrong) return wrong;
    if (cert.fingerprint256 !== fingerprint256) {
      return new Error(
        `certificate ${cert.fingerprint256} is not the host's own (${fingerprint256}): refused, ` +
          `even if a public authority signed it`,
      );
    }
    return undefined;
  };
}

/** A client of one host's endpoint that accepts only the certificate `certPem`. */
export class PinnedClient {
  /** The host certificate's SHA-256 fingerprint. */
  readonly fingerprint256: string;
  #agent = new https.Agent({ keepAlive: true });

  constructor(readonly certPem: string) {
    this.fingerprint256 = new X509Certificate(certPem).fingerprint256;
  }

  /** GET `url`; throws on a refused certificate, a network error, or after `timeoutMs` (`TimeoutError`). */
  get(url: string, headers: Record<string, string> = {}, timeoutMs = 5000): Promise<PinnedAnswer> {
    return new Promise((resolve, reject) => {
      const req = https.get(url, {
        agent: this.#agent,
        ca: [this.certPem],
        checkServerIdentity: pinnedIdentity(this.fingerprint256),
        headers,
      }, (res) => {
        const chunks: Uint8Array[] = [];
        res.on("data", (c: Uint8Array) => chunks.push(c));
        res.on("end", () => {
          clearTimeout(timer);
          resolve({ status: res.statusCode ?? 0, body: new TextDecoder().decode(concat(chunks)) });
        });
        res.on("error", fail);
      });
      const timer = setTimeout(() => {
        const e = new Error(`no answer within ${timeoutMs / 1000} s`);
        e.name = "TimeoutError";
        req.destroy(e);
      }, timeoutMs);
      function fail(e: Error) {
        clearTimeout(timer);
        reject(e);
      }
      req.on("error", fail);
    });
  }

  /** Closes the kept-alive connections. */
  close(): void {
    this.#agent.destroy();
  }
}

function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}
