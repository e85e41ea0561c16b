/** The test helpers other tests rely on: a wait that gives up, and a status of 0 only for "closed". */
import assert from "node:assert/strict";
import { httpStatus } from "../helpers/http.ts";
import { until } from "../helpers/until.ts";

Deno.test("until returns the first value, retries through errors, and fails naming the last one", async () => {
  let n = 0;
  assert.equal(await until("third try", 2000, () => Promise.resolve(++n >= 3 ? n : undefined), 10), 3);
  let tries = 0;
  await assert.rejects(
    until("a probe that keeps failing", 200, () => {
      tries++;
      return Promise.reject(new Error("still refused"));
    }, 20),
    /^Error: timed out after 0\.2s waiting for a probe that keeps failing: Error: still refused$/,
  );
  assert.ok(tries >= 2, "it tried again before giving up");
});

Deno.test("httpStatus: the status of an answer, 0 when refused, and an error for a non-HTTP answer", async () => {
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    () => new Response("", { status: 401 }),
  );
  try {
    assert.equal(await httpStatus(`http://127.0.0.1:${server.addr.port}/`), 401);
  } finally {
    await server.shutdown();
  }
  // The port is closed now: nothing answers.
  assert.equal(await httpStatus(`http://127.0.0.1:${server.addr.port}/`), 0);
  // Something answers, but not HTTP: that is no "closed" port, and must not pass for one.
  const raw = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const serving = (async () => {
    for await (const conn of raw) {
      await conn.write(new TextEncoder().encode("SSH-2.0-OpenSSH_9.2\r\n")).catch(() => {});
      conn.close();
    }
  })();
  try {
    await assert.rejects(
      httpStatus(`http://127.0.0.1:${(raw.addr as Deno.NetAddr).port}/`),
      /^Error: GET http/,
    );
  } finally {
    raw.close();
    await serving.catch(() => {});
  }
});
