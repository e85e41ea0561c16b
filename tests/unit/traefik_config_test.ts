import assert from "node:assert/strict";
import { Ajv } from "ajv";
import { parse } from "yaml";
import { join } from "node:path";
import { renderTraefikDynamic, renderTraefikStatic } from "../../lib/render/traefik_config.ts";
import { traefikDynamicTemplate, traefikStaticTemplate } from "../../lib/steps/shipped_files.ts";
import { needsShared, SHARED } from "../helpers/shared.ts";

// Schemas from ../shared/schemas (SchemaStore, draft-07); never copied into the project.
async function loadSchema(name: string): Promise<object> {
  return JSON.parse(await Deno.readTextFile(join(SHARED, "schemas", name)));
}

function validator(schema: object) {
  // strict off: SchemaStore schemas use keywords and formats ajv doesn't know in strict mode.
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
  return ajv.compile(schema);
}

function check(schema: object, text: string, what: string): void {
  const validate = validator(schema);
  const ok = validate(parse(text));
  assert.ok(ok, `${what} fails the schema: ${JSON.stringify(validate.errors, null, 2)}`);
}

for (const dashboard of [true, false]) {
  Deno.test(
    needsShared(`traefik.yml (dashboard ${dashboard}) passes the Traefik v3 static schema`),
    async () => {
      const schema = await loadSchema("traefik-v3.json");
      check(schema, renderTraefikStatic({ dashboard }, traefikStaticTemplate()), "traefik.yml");
    },
  );

  Deno.test(
    needsShared(`dynamic/isa.yml (dashboard ${dashboard}) passes the Traefik v3 file-provider schema`),
    async () => {
      const schema = await loadSchema("traefik-v3-file-provider.json");
      check(schema, renderTraefikDynamic({ dashboard }, traefikDynamicTemplate()), "dynamic/isa.yml");
    },
  );
}

Deno.test(needsShared("the schemas do reject a broken file (the validation is not vacuous)"), async () => {
  const stat = await loadSchema("traefik-v3.json");
  const dyn = await loadSchema("traefik-v3-file-provider.json");
  assert.equal(validator(stat)({ entryPoints: { websecure: { address: 8443 } } }), false);
  assert.equal(validator(stat)({ entryPoints: { websecure: { adress: ":8443" } } }), false);
  assert.equal(validator(dyn)({ http: { middlewares: { a: { basicAuth: { usersFile: ["x"] } } } } }), false);
  assert.equal(validator(dyn)({ http: { routers: { a: { rul: "PathPrefix(`/`)" } } } }), false);
  assert.equal(validator(dyn)({ http: { middlewares: { a: { inFlightReq: { amount: "20" } } } } }), false);
  assert.equal(validator(dyn)({ http: { middlewares: { a: { rateLimit: { averag: 10 } } } } }), false);
});

Deno.test("static config: websecure on 8443, file provider watched; dashboard only when asked", () => {
  const on = parse(renderTraefikStatic({ dashboard: true }, traefikStaticTemplate()));
  assert.equal(on.entryPoints.websecure.address, ":8443");
  assert.equal(on.entryPoints.traefik.address, ":8080");
  assert.deepEqual(on.providers.file, { directory: "/etc/traefik/dynamic", watch: true });
  // The API is never insecure: it goes through the authenticated router only.
  assert.equal(on.api.insecure, false);
  const off = parse(renderTraefikStatic({ dashboard: false }, traefikStaticTemplate()));
  assert.equal(off.entryPoints.traefik, undefined);
  assert.equal(off.api, undefined);
  assert.deepEqual(Object.keys(off.entryPoints), ["websecure"]);
});

Deno.test("dynamic config: every router is behind basic auth from a usersFile; no hashes inline", () => {
  const text = renderTraefikDynamic({ dashboard: true }, traefikDynamicTemplate());
  const d = parse(text);
  assert.equal(d.http.middlewares["isa-auth"].basicAuth.usersFile, "/etc/traefik/htpasswd");
  assert.equal(d.http.middlewares["isa-auth"].basicAuth.users, undefined);
  assert.ok(!text.includes("$2"), "no bcrypt hash in the dynamic config");
  for (
    const [name, r] of Object.entries(
      d.http.routers as Record<string, { middlewares: string[]; tls: unknown }>,
    )
  ) {
    assert.deepEqual(
      r.middlewares,
      ["isa-headers", "isa-inflight", "isa-ratelimit", "isa-auth"],
      `router ${name}: headers, then the limits, then basic auth`,
    );
    assert.ok(r.tls, `router ${name} is TLS`);
  }
  assert.equal(d.http.routers.prometheus.service, "prometheus");
  assert.deepEqual(d.http.routers.prometheus.entryPoints, ["websecure"]);
  assert.equal(d.http.routers.dashboard.service, "api@internal");
  assert.deepEqual(d.http.routers.dashboard.entryPoints, ["traefik"]);
  assert.equal(d.http.services.prometheus.loadBalancer.servers[0].url, "http://prometheus:9090");
  assert.equal(d.tls.stores.default.defaultCertificate.certFile, "/etc/traefik/ssl/cert.pem");
  assert.equal(d.tls.stores.default.defaultCertificate.keyFile, "/etc/traefik/ssl/key.pem");

  const off = parse(renderTraefikDynamic({ dashboard: false }, traefikDynamicTemplate()));
  assert.deepEqual(Object.keys(off.http.routers), ["prometheus"]);
});

Deno.test("dynamic config: HSTS, nosniff and DENY frames on every router (Traefik's headers middleware)", () => {
  const d = parse(renderTraefikDynamic({ dashboard: true }, traefikDynamicTemplate()));
  assert.deepEqual(d.http.middlewares["isa-headers"], {
    headers: { stsSeconds: 31536000, contentTypeNosniff: true, frameDeny: true },
  });
});

Deno.test("dynamic config: basic auth is rate-limited and bounded in flight per source, before the password check", () => {
  const d = parse(renderTraefikDynamic({ dashboard: true }, traefikDynamicTemplate()));
  assert.deepEqual(d.http.middlewares["isa-inflight"], { inFlightReq: { amount: 20 } });
  assert.deepEqual(d.http.middlewares["isa-ratelimit"], {
    rateLimit: { average: 10, period: "1s", burst: 50 },
  });
  for (const r of Object.values(d.http.routers as Record<string, { middlewares: string[] }>)) {
    const at = (m: string) => r.middlewares.indexOf(m);
    assert.ok(at("isa-inflight") >= 0 && at("isa-ratelimit") >= 0 && at("isa-ratelimit") < at("isa-auth"));
  }
});
