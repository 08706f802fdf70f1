// A client generated from DropSync's OpenAPI document, used against a running server: openapi-typescript turns the
// document into generated/schema.d.ts, openapi-fetch makes a typed client of it, and tsc (strict) checks this file
// against the types before node runs it. A field the document gets wrong is a compile error or a failed check here.
// Run by tests/DropSync.Api.Tests/OpenApiClientTests.cs with DROPSYNC_URL set to the server.
import createClient from "openapi-fetch";
import type { paths, components } from "./generated/schema.js";

type FileMetadata = components["schemas"]["FileMetadata"];
type ErrorCode = components["schemas"]["Error"]["error"];

// Node's own global, declared here rather than by @types/node (one package fewer to pin).
declare const process: { env: Record<string, string | undefined> };

const baseUrl = process.env.DROPSYNC_URL;
if (!baseUrl) {
  throw new Error("DROPSYNC_URL is not set");
}

function check(condition: boolean, what: string): asserts condition {
  if (!condition) {
    throw new Error(`check failed: ${what}`);
  }
}

const client = createClient<paths>({ baseUrl });
const email = `openapi-${Date.now()}@example.com`;

const config = await client.GET("/config");
check(config.data?.mode === "embedded", `GET /config answers mode embedded (got ${JSON.stringify(config.data)})`);

const registered = await client.POST("/auth/register", { body: { email, password: "correct horse battery" } });
check(registered.data?.email === email, "register answers the account's email");

const login = await client.POST("/auth/login", { body: { email, password: "correct horse battery", device_name: "openapi client" } });
check(typeof login.data?.access_token === "string", "login answers an access token");
const token: string = login.data.access_token;
const headers = { Authorization: `Bearer ${token}` };

const folder = await client.POST("/files/create_folder", { headers, body: { path: "/Reports" } });
const created: FileMetadata | undefined = folder.data;
check(created?.tag === "folder" && created.path === "/Reports", "create_folder answers the folder's metadata");
check(created.path_lower === "/reports", "metadata carries the server's path key as path_lower");

const listing = await client.POST("/files/list_folder", { headers, body: { path: "", recursive: false } });
check(listing.data !== undefined && typeof listing.data.cursor === "string" && listing.data.has_more === false, "list_folder answers entries, a cursor and has_more");
check(listing.data.entries.some((e) => e.path_lower === "/reports"), "the new folder is listed");

const devices = await client.POST("/auth/list_devices", { headers });
check(devices.data?.devices.some((d) => d.current && d.name === "openapi client") === true, "list_devices marks this device current");

const missing = await client.POST("/files/get_metadata", { headers, body: { path: "/nothing-here", include_deleted: false } });
const code: ErrorCode | undefined = missing.error?.error;
check(missing.response.status === 404 && code === "not_found", `a missing path is 404 not_found (got ${missing.response.status} ${code})`);

const anonymous = await client.POST("/files/list_folder", { body: { path: "", recursive: false } });
check(anonymous.response.status === 401 && anonymous.error?.error === "unauthorized", "without a token the answer is 401 unauthorized");

console.log("openapi client: 8 checks passed");
