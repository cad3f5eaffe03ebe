// Calls to the Baton server. Only the service worker calls `request` (it alone talks to
// the network); the side panel and the options page send it `baton:api` messages through
// `api()` and read the answer with `failureOf()`.

import type { ApiReply, ApiRequest } from "./messages";
import type { Settings } from "./settings";

type Scalar = string | number | boolean;

/** `baton:api` with repeatable query parameters (kind=a&kind=b). */
export interface ApiCall extends Omit<ApiRequest, "query" | "type"> {
  query?: Record<string, Scalar | Scalar[] | undefined>;
}

/** The service worker's answer: ApiReply, plus why nothing was asked of the server. */
export interface ApiAnswer extends ApiReply {
  error?: "not-configured" | "unreachable";
}

/** A file fetched for the side panel to save (`baton:download`). */
export interface FileAnswer extends ApiAnswer {
  filename?: string;
  contentType?: string;
  base64?: string;
}

export const TIMEOUT_MS = 15_000;

export function buildUrl(server: string, path: string, query?: ApiCall["query"]): string {
  const url = new URL(server + path);
  for (const [name, value] of Object.entries(query ?? {})) {
    if (value === undefined) continue;
    for (const one of Array.isArray(value) ? value : [value]) {
      url.searchParams.append(name, String(one));
    }
  }
  return url.toString();
}

async function readBody(response: Response): Promise<unknown> {
  const text = await response.text();
  if (text === "") return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return { detail: text.slice(0, 300) };
  }
}

/** Sends one call to the server with the key; never throws. */
export async function request(
  settings: Settings | null,
  call: ApiCall,
  fetchImpl: typeof fetch = fetch,
): Promise<ApiAnswer> {
  if (settings === null) return { ok: false, status: 0, body: null, error: "not-configured" };
  const init: RequestInit = {
    method: call.method,
    headers: {
      Authorization: `Bearer ${settings.apiKey}`,
      Accept: "application/json",
      ...(call.body === undefined ? {} : { "Content-Type": "application/json" }),
    },
    credentials: "omit",
    cache: "no-store",
    signal: AbortSignal.timeout(TIMEOUT_MS),
  };
  if (call.body !== undefined) init.body = JSON.stringify(call.body);
  let response: Response;
  try {
    response = await fetchImpl(buildUrl(settings.server, call.path, call.query), init);
  } catch (error) {
    const timedOut = error instanceof DOMException && error.name === "TimeoutError";
    return {
      ok: false,
      status: 0,
      error: "unreachable",
      body: {
        detail: timedOut
          ? `${settings.server} did not answer within ${TIMEOUT_MS / 1000} s`
          : `${settings.server} cannot be reached`,
      },
    };
  }
  return { ok: response.ok, status: response.status, body: await readBody(response) };
}

/** Fetches a file (GET) and returns it base64-encoded for the side panel to save. */
export async function requestFile(
  settings: Settings | null,
  call: ApiCall,
  fetchImpl: typeof fetch = fetch,
): Promise<FileAnswer> {
  if (settings === null) return { ok: false, status: 0, body: null, error: "not-configured" };
  let response: Response;
  try {
    response = await fetchImpl(buildUrl(settings.server, call.path, call.query), {
      headers: { Authorization: `Bearer ${settings.apiKey}` },
      credentials: "omit",
      cache: "no-store",
      signal: AbortSignal.timeout(TIMEOUT_MS * 4),
    });
  } catch {
    return {
      ok: false,
      status: 0,
      error: "unreachable",
      body: { detail: `${settings.server} cannot be reached` },
    };
  }
  if (!response.ok) return { ok: false, status: response.status, body: await readBody(response) };
  const bytes = new Uint8Array(await response.arrayBuffer());
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  const disposition = response.headers.get("Content-Disposition") ?? "";
  return {
    ok: true,
    status: response.status,
    body: null,
    filename: filenameOf(disposition) ?? "download",
    contentType: response.headers.get("Content-Type") ?? "application/octet-stream",
    base64: btoa(binary),
  };
}

/** The file name of a Content-Disposition header (RFC 6266: filename* first). */
export function filenameOf(disposition: string): string | undefined {
  const star = /filename\*\s*=\s*(?:UTF-8|utf-8)''([^;]+)/.exec(disposition);
  if (star?.[1]) {
    try {
      return decodeURIComponent(star[1].trim());
    } catch {
      // fall through to the plain name
    }
  }
  const plain = /filename\s*=\s*"?([^";]+)"?/.exec(disposition);
  return plain?.[1]?.trim();
}

/** What went wrong with a call, as the side panel shows it; null when it succeeded. */
export type Failure =
  | { kind: "not-configured"; detail: string }
  | { kind: "unreachable"; detail: string }
  | { kind: "unauthorized"; detail: string }
  | {
      kind: "problem";
      status: number;
      detail: string;
      body: Record<string, unknown>;
      /** A 404 for an asset a live one replaces: the replacement's id (the asset to use
       * instead), from the problem body's `replaced_by`. */
      replacedBy?: string;
    };

function detailOf(body: unknown): string | undefined {
  if (typeof body === "object" && body !== null && "detail" in body) {
    const detail = body.detail;
    if (typeof detail === "string" && detail !== "") return detail;
  }
  return undefined;
}

function isProblem(body: unknown): boolean {
  return typeof body === "object" && body !== null && "status" in body && "title" in body;
}

export function failureOf(answer: ApiAnswer): Failure | null {
  if (answer.ok) return null;
  if (answer.error === "not-configured") {
    return { kind: "not-configured", detail: "Enter your Baton server and API key in the options." };
  }
  if (answer.error === "unreachable" || answer.status === 0) {
    return { kind: "unreachable", detail: detailOf(answer.body) ?? "The Baton server cannot be reached" };
  }
  // A proxy or load balancer in front of a server that is down (Baton itself never
  // answers these without a problem+json body).
  if ((answer.status === 502 || answer.status === 504) && !isProblem(answer.body)) {
    return { kind: "unreachable", detail: `The Baton server cannot be reached (a gateway answered ${answer.status})` };
  }
  if (answer.status === 401) {
    return {
      kind: "unauthorized",
      detail: detailOf(answer.body) ?? "The Baton server refused the API key",
    };
  }
  const body =
    typeof answer.body === "object" && answer.body !== null
      ? (answer.body as Record<string, unknown>)
      : {};
  const failure: Failure = {
    kind: "problem",
    status: answer.status,
    detail: detailOf(answer.body) ?? `The Baton server answered ${answer.status}`,
    body,
  };
  const replacedBy = body.replaced_by;
  if (answer.status === 404 && typeof replacedBy === "string" && replacedBy.trim() !== "") {
    failure.replacedBy = replacedBy;
  }
  return failure;
}

/** The id of the live asset that replaces the one a call asked for, if the server named
 * one (a rep's 404 with `replaced_by`). */
export function replacedByOf(failure: Failure | null): string | undefined {
  return failure?.kind === "problem" ? failure.replacedBy : undefined;
}

/** A 404: the asset asked for is gone for this caller (withdrawn, expired, replaced). */
export function isGone(failure: Failure | null): boolean {
  return failure?.kind === "problem" && failure.status === 404;
}

/** Sends a call to the service worker (side panel, options page). */
export async function api(call: ApiCall): Promise<ApiAnswer> {
  try {
    return await chrome.runtime.sendMessage<object, ApiAnswer>({ type: "baton:api", ...call });
  } catch (error) {
    return {
      ok: false,
      status: 0,
      error: "unreachable",
      body: { detail: `The extension's service worker did not answer (${String(error)})` },
    };
  }
}
