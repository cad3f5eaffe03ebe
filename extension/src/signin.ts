// "Sign in with Baton": for companies that forbid pasted keys. The service worker opens
// the server's /account/extension page in the browser's sign-in window
// (chrome.identity.launchWebAuthFlow); once the person signs in and confirms, Baton
// redirects to https://<extension id>.chromiumapp.org/#key=... and the browser hands that
// address back here (it reaches no server). The key is stored exactly as a pasted key is.

import { buildUrl } from "./api";
import { normaliseServer, saveSettings, type Store } from "./settings";

/** options page -> worker: run the sign-in flow for this server; reply SignInReply. */
export interface SignInRequest {
  type: "baton:sign-in";
  server: string;
}

export type SignInReply =
  | { ok: true; server: string }
  | {
      ok: false;
      /** cancelled: the window was closed; refused: Baton answered #error=; failed: the
       * window could not run, or the answer was not a key for this extension. */
      reason: "cancelled" | "refused" | "failed";
      detail: string;
    };

export interface SignInDeps {
  identity: Pick<typeof chrome.identity, "launchWebAuthFlow" | "getRedirectURL">;
  storage: Store;
}

/** Where the sign-in window opens: the server's page that gives this extension a key. */
export function signInUrl(server: string, redirectUri: string): string {
  return buildUrl(server, "/account/extension", { redirect_uri: redirectUri });
}

/** The extension id in a https://<id>.chromiumapp.org/ redirect address. */
export function extensionIdOf(redirectUri: string): string {
  return new URL(redirectUri).hostname.replace(/\.chromiumapp\.org$/, "");
}

// A key as Baton makes it: printable, no spaces, not absurdly long.
const KEY_SHAPE = /^[\x21-\x7e]{8,512}$/;

/** The key in the fragment of the address Baton redirected to, or why there is none.
 * Only `#key=...` at the very redirect address is accepted: anything else (another
 * address, a key in the query, several keys, extra parameters) is refused. */
export function keyFromRedirect(
  redirected: string | undefined,
  redirectUri: string,
): { key: string } | { reason: "refused" | "failed"; detail: string } {
  const wrong = { reason: "failed" as const, detail: "Baton's answer was not a key for this extension" };
  if (!redirected) return wrong;
  let got: URL;
  let expected: URL;
  try {
    got = new URL(redirected);
    expected = new URL(redirectUri);
  } catch {
    return wrong;
  }
  if (got.origin !== expected.origin || got.pathname !== expected.pathname || got.search !== "") {
    return wrong;
  }
  const fragment = new URLSearchParams(got.hash.replace(/^#/, ""));
  const names = [...fragment.keys()];
  const error = fragment.get("error");
  if (error !== null) {
    const description = fragment.get("error_description");
    return { reason: "refused", detail: `Baton refused the sign-in: ${description || error}` };
  }
  const key = fragment.get("key");
  if (names.length !== 1 || key === null || !KEY_SHAPE.test(key)) return wrong;
  return { key };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Runs the sign-in window for `server` and stores the key it brings back with the server
 * address (chrome.storage.local, as the options page stores a pasted key). Never throws. */
export async function signIn(entered: string, deps: SignInDeps): Promise<SignInReply> {
  const normal = normaliseServer(entered);
  if ("error" in normal) return { ok: false, reason: "failed", detail: normal.error };
  const redirectUri = deps.identity.getRedirectURL();
  let redirected: string | undefined;
  try {
    redirected = await deps.identity.launchWebAuthFlow({
      url: signInUrl(normal.server, redirectUri),
      interactive: true,
    });
  } catch (error) {
    const message = messageOf(error);
    // Chrome's words when the person closes the window (or Baton's page never redirects).
    if (/did not approve|user closed|cancel/i.test(message)) {
      return {
        ok: false,
        reason: "cancelled",
        detail:
          "Sign-in was cancelled: the window was closed before Baton gave this extension a key. " +
          `If Baton said “Unknown extension”, ask your Baton admin to add this extension's id ` +
          `(${extensionIdOf(redirectUri)}) to BATON_EXTENSION_IDS.`,
      };
    }
    return { ok: false, reason: "failed", detail: `The sign-in window could not open Baton: ${message}` };
  }
  const found = keyFromRedirect(redirected, redirectUri);
  if ("reason" in found) return { ok: false, ...found };
  await saveSettings(deps.storage, { server: normal.server, apiKey: found.key });
  return { ok: true, server: normal.server };
}

export function isSignInRequest(message: unknown): message is SignInRequest {
  return (
    typeof message === "object" &&
    message !== null &&
    (message as { type?: unknown }).type === "baton:sign-in" &&
    typeof (message as { server?: unknown }).server === "string"
  );
}

/** Asks the service worker to run the sign-in (options page); never throws. */
export async function signInThroughWorker(server: string): Promise<SignInReply> {
  try {
    const reply = await chrome.runtime.sendMessage<SignInRequest, SignInReply | undefined>({
      type: "baton:sign-in",
      server,
    });
    return reply ?? { ok: false, reason: "failed", detail: "The extension's service worker did not answer" };
  } catch (error) {
    return {
      ok: false,
      reason: "failed",
      detail: `The extension's service worker did not answer (${String(error)})`,
    };
  }
}
