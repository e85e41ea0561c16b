/**
 * Headless Chromium (Debian's package) driven over the DevTools protocol with Deno's own WebSocket:
 * no extra dependency. Basic auth goes in a request header set over the protocol, never in argv or a
 * URL; the host's self-signed certificate is trusted by its public key alone
 * (--ignore-certificate-errors-spki-list), nothing else.
 */
import $ from "dax";

/** Where Debian's package puts the browser. */
export const CHROMIUM = "/usr/bin/chromium";

/** Whether the browser is installed. */
export function hasChromium(): boolean {
  try {
    return Deno.statSync(CHROMIUM).isFile;
  } catch {
    return false;
  }
}

/** base64 SHA-256 of a certificate's SubjectPublicKeyInfo, as --ignore-certificate-errors-spki-list wants it. */
export async function spkiHash(certPem: string): Promise<string> {
  const pub = await $`openssl x509 -pubkey -noout`.stdinText(certPem).text();
  const der = await $`openssl pkey -pubin -outform der`.stdinText(pub).bytes();
  return btoa(
    String.fromCharCode(...new Uint8Array(await crypto.subtle.digest("SHA-256", new Uint8Array(der)))),
  );
}

/** A page of a running browser. */
export interface Page {
  /** Sends a DevTools command and returns its result. */
  send: (method: string, params?: Record<string, unknown>) => Promise<Record<string, unknown>>;
  /** Evaluates an expression in the page and returns its value. */
  eval: (expression: string) => Promise<unknown>;
}

/**
 * Runs `fn` with a page of a fresh headless Chromium (own profile folder, removed afterwards) and
 * stops the browser in every case.
 */
export async function withChromium<T>(spki: string[], fn: (page: Page) => Promise<T>): Promise<T> {
  const profile = await Deno.makeTempDir({ prefix: "isa-chromium-" });
  const child = new Deno.Command(CHROMIUM, {
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--disable-dev-shm-usage",
      `--user-data-dir=${profile}`,
      "--remote-debugging-port=0",
      "--window-size=1400,1000",
      `--ignore-certificate-errors-spki-list=${spki.join(",")}`,
      "about:blank",
    ],
    stdout: "null",
    stderr: "null",
  }).spawn();
  let ws: WebSocket | undefined;
  try {
    // Chromium writes the port it chose into the profile folder.
    let port = 0;
    for (let i = 0; i < 150 && !port; i++) {
      const text = await Deno.readTextFile(`${profile}/DevToolsActivePort`).catch(() => "");
      port = Number(text.split("\n")[0]) || 0;
      if (!port) await new Promise((r) => setTimeout(r, 100));
    }
    if (!port) throw new Error("chromium did not open its DevTools port within 15 s");
    const targets = await (await fetch(`http://127.0.0.1:${port}/json/list`)).json() as {
      type: string;
      webSocketDebuggerUrl: string;
    }[];
    const target = targets.find((t) => t.type === "page");
    if (!target) throw new Error("chromium has no page");
    ws = new WebSocket(target.webSocketDebuggerUrl);
    await new Promise((ok, fail) => {
      ws!.onopen = ok;
      ws!.onerror = fail;
    });
    let next = 1;
    const pending = new Map<number, { ok: (v: Record<string, unknown>) => void; fail: (e: Error) => void }>();
    ws.onmessage = (m) => {
      const msg = JSON.parse(m.data as string);
      const p = msg.id ? pending.get(msg.id) : undefined;
      if (!p) return;
      pending.delete(msg.id);
      if (msg.error) p.fail(new Error(`${msg.error.message}`));
      else p.ok(msg.result);
    };
    const page: Page = {
      send: (method, params = {}) =>
        new Promise((ok, fail) => {
          const id = next++;
          pending.set(id, { ok, fail });
          ws!.send(JSON.stringify({ id, method, params }));
        }),
      eval: async (expression) => {
        const r = await page.send("Runtime.evaluate", { expression, returnByValue: true });
        return (r.result as { value?: unknown }).value;
      },
    };
    return await fn(page);
  } finally {
    ws?.close();
    try {
      child.kill("SIGTERM");
    } catch { /* already gone */ }
    await child.status;
    await Deno.remove(profile, { recursive: true }).catch(() => {});
  }
}

/** Polls `expression` in the page until it is truthy, or throws after `ms`. */
export async function waitFor(page: Page, expression: string, ms: number): Promise<unknown> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await page.eval(expression);
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${expression}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
