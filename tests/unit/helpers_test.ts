/** The test helpers other tests rely on: a wait that gives up, and a status of 0 only for "closed". */
import assert, { AssertionError } from "node:assert/strict";
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

Deno.test("until retries only 'not yet': undefined is retried until the timeout, an assertion fails at once", async () => {
  // A value is returned as it is, falsy ones included: only undefined means "not yet".
  assert.equal(await until("a value", 1000, () => Promise.resolve(0), 10), 0);
  assert.equal(await until("a value", 1000, () => Promise.resolve(false), 10), false);

  let waits = 0;
  const started = Date.now();
  await assert.rejects(
    until("something that never comes", 200, () => {
      waits++;
      return Promise.resolve(undefined);
    }, 20),
    (e: Error) => {
      // The message names what was awaited, with no error appended: nothing went wrong, it never came.
      assert.equal(e.message, "timed out after 0.2s waiting for something that never comes");
      return true;
    },
  );
  assert.ok(waits >= 2, `undefined was retried (${waits} tries)`);
  assert.ok(Date.now() - started >= 200, "it waited for the whole timeout");

  // A wrong answer is not a late one: the probe's assertion propagates on its first throw, well before
  // the timeout, and is not wrapped in a timeout message.
  let asked = 0;
  const t0 = Date.now();
  await assert.rejects(
    until("a right answer", 10_000, () => {
      asked++;
      assert.equal(asked, 99, "the answer is wrong");
      return Promise.resolve(true);
    }, 10),
    (e: Error) => {
      assert.ok(e instanceof AssertionError, `an AssertionError, not ${e.name}`);
      assert.match(e.message, /^the answer is wrong/);
      return true;
    },
  );
  assert.equal(asked, 1, "asked once, never retried");
  assert.ok(Date.now() - t0 < 5000, "failed at once, not at the timeout");

  // Any library's assertion: it is recognised by its name.
  let other = 0;
  class StdAssertionError extends Error {
    override name = "AssertionError";
  }
  await assert.rejects(
    until("another library's assertion", 10_000, () => {
      other++;
      return Promise.reject(new StdAssertionError("Values are not equal"));
    }, 10),
    /Values are not equal/,
  );
  assert.equal(other, 1, "asked once, never retried");
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
