// The API client: the request the service worker sends, and how answers map to the side
// panel's states (401, unreachable, problem+json detail).
import { describe, expect, it, vi } from "vitest";
import { buildUrl, failureOf, filenameOf, isGone, replacedByOf, request, requestFile } from "../src/api";

const settings = { server: "https://baton.example.com", apiKey: "bt_key" };

function answering(status: number, body: string, headers: Record<string, string> = {}) {
  return vi.fn((_url: string, _init?: RequestInit) =>
    Promise.resolve(new Response(body, { status, headers })),
  );
}

describe("API client", () => {
  it("sends the key as a bearer token, JSON in and out, no cookies", async () => {
    const fetchImpl = answering(200, '{"suggestions": [], "questions": []}');
    const answer = await request(
      settings,
      { method: "POST", path: "/v1/suggestions", body: { stage: "decision" } },
      fetchImpl as unknown as typeof fetch,
    );
    expect(answer).toEqual({ ok: true, status: 200, body: { suggestions: [], questions: [] } });
    const [url, init] = fetchImpl.mock.calls[0]!;
    expect(url).toBe("https://baton.example.com/v1/suggestions");
    expect(init?.credentials).toBe("omit");
    expect(init?.headers).toMatchObject({
      Authorization: "Bearer bt_key",
      "Content-Type": "application/json",
    });
    expect(init?.body).toBe('{"stage":"decision"}');
  });

  it("repeats query parameters and leaves out the absent ones", () => {
    expect(
      buildUrl(settings.server, "/v1/search", {
        q: "roi café",
        kind: ["case_study", "one_pager"],
        stage: [],
        typing_session: undefined,
        limit: 10,
      }),
    ).toBe("https://baton.example.com/v1/search?q=roi+caf%C3%A9&kind=case_study&kind=one_pager&limit=10");
  });

  it("maps a refused key to the unauthorized state with the server's detail", async () => {
    const answer = await request(
      settings,
      { method: "GET", path: "/v1/me" },
      answering(401, '{"type":"about:blank","title":"Unauthorized","status":401,"detail":"unknown or revoked API key"}', {
        "Content-Type": "application/problem+json",
      }) as unknown as typeof fetch,
    );
    expect(failureOf(answer)).toEqual({ kind: "unauthorized", detail: "unknown or revoked API key" });
  });

  it("maps a network failure to the unreachable state, naming the server", async () => {
    const fetchImpl = vi.fn(() => Promise.reject(new TypeError("Failed to fetch")));
    const answer = await request(settings, { method: "GET", path: "/v1/me" }, fetchImpl);
    expect(answer.status).toBe(0);
    expect(failureOf(answer)).toEqual({
      kind: "unreachable",
      detail: "https://baton.example.com cannot be reached",
    });
  });

  it("says not configured without calling anything", async () => {
    const fetchImpl = vi.fn();
    const answer = await request(null, { method: "GET", path: "/v1/me" }, fetchImpl);
    expect(fetchImpl).not.toHaveBeenCalled();
    expect(failureOf(answer)?.kind).toBe("not-configured");
  });

  it("keeps a problem's detail and extra members (the render's missing variables)", async () => {
    const answer = await request(
      settings,
      { method: "POST", path: "/v1/assets/a1/render", body: { variables: {} } },
      answering(422, '{"title":"Unprocessable","status":422,"detail":"missing variables: first_name","missing":["first_name"]}', {
        "Content-Type": "application/problem+json",
      }) as unknown as typeof fetch,
    );
    expect(failureOf(answer)).toEqual({
      kind: "problem",
      status: 422,
      detail: "missing variables: first_name",
      body: { title: "Unprocessable", status: 422, detail: "missing variables: first_name", missing: ["first_name"] },
    });
  });

  it("names a problem without a detail by its status, and a non-JSON body by its text", async () => {
    const answer = await request(
      settings,
      { method: "GET", path: "/v1/taxonomy" },
      answering(503, "Busy") as unknown as typeof fetch,
    );
    expect(failureOf(answer)).toMatchObject({ kind: "problem", status: 503, detail: "Busy" });
    expect(failureOf({ ok: false, status: 502, body: { detail: "Bad Gateway" } })).toEqual({
      kind: "unreachable",
      detail: "The Baton server cannot be reached (a gateway answered 502)",
    });
    expect(failureOf({ ok: false, status: 500, body: null })).toMatchObject({
      detail: "The Baton server answered 500",
    });
  });

  it("reads replaced_by from a rep's 404 for a replaced asset", async () => {
    const replaced = await request(
      settings,
      { method: "GET", path: "/v1/assets/old1" },
      answering(
        404,
        '{"type":"about:blank","title":"Not Found","status":404,"detail":"no asset with id old1; it is replaced by new1","replaced_by":"new1"}',
        { "Content-Type": "application/problem+json" },
      ) as unknown as typeof fetch,
    );
    const failure = failureOf(replaced);
    expect(failure).toMatchObject({ kind: "problem", status: 404, replacedBy: "new1" });
    expect(replacedByOf(failure)).toBe("new1");
    expect(isGone(failure)).toBe(true);

    // Withdrawn with nothing replacing it: gone, no replacement.
    const withdrawn = failureOf({ ok: false, status: 404, body: { title: "Not Found", status: 404, detail: "no asset with id x" } });
    expect(isGone(withdrawn)).toBe(true);
    expect(replacedByOf(withdrawn)).toBeUndefined();
    expect(withdrawn).not.toHaveProperty("replacedBy");
    // Only a 404 names a replacement, and only with a non-empty id.
    expect(replacedByOf(failureOf({ ok: false, status: 409, body: { status: 409, title: "Conflict", replaced_by: "new1" } }))).toBeUndefined();
    expect(replacedByOf(failureOf({ ok: false, status: 404, body: { status: 404, title: "Not Found", replaced_by: "" } }))).toBeUndefined();
    expect(replacedByOf(failureOf({ ok: false, status: 404, body: { status: 404, title: "Not Found", replaced_by: 7 } }))).toBeUndefined();
    expect(replacedByOf(null)).toBeUndefined();
    expect(isGone(failureOf({ ok: false, status: 0, body: null, error: "unreachable" }))).toBe(false);
  });

  it("fetches a file with its name for the panel to save", async () => {
    const answer = await requestFile(
      settings,
      { method: "GET", path: "/v1/assets/a1/file" },
      answering(200, "PDF!", {
        "Content-Type": "application/pdf",
        "Content-Disposition": "attachment; filename*=UTF-8''R%C3%A9sum%C3%A9.pdf",
      }) as unknown as typeof fetch,
    );
    expect(answer).toMatchObject({ ok: true, filename: "Résumé.pdf", contentType: "application/pdf" });
    expect(atob(answer.base64!)).toBe("PDF!");
    expect(filenameOf('attachment; filename="case study.pdf"')).toBe("case study.pdf");
  });
});
