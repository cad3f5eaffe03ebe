// The options page: the Baton server's address and the rep's API key (chrome.storage.local
// only), host access asked for that one origin at run time, "test connection", and "Sign in
// with Baton" (the key comes from the server's sign-in window instead of being pasted;
// shown once that origin may be reached).

import { failureOf, type ApiAnswer, type ApiCall } from "../api";
import { h } from "../dom";
import { loadSettings, normaliseServer, originPattern, saveSettings, type Store } from "../settings";
import type { SignInReply } from "../signin";

export interface OptionsDeps {
  storage: Store;
  permissions: Pick<typeof chrome.permissions, "request" | "contains">;
  api: (call: ApiCall) => Promise<ApiAnswer>;
  /** Runs the sign-in window in the service worker, which stores the key it brings. */
  signIn: (server: string) => Promise<SignInReply>;
}

interface Me {
  id: string;
  email?: string | null;
  name?: string | null;
  role: string;
}

/** Where a rep makes a personal key for the extension: the server's API docs, at
 * POST /v1/me/keys (operation createMyKey). */
export function keyHelpUrl(server: string): string {
  return `${server}/redoc#tag/users/operation/createMyKey`;
}

export async function mountOptions(root: HTMLElement, deps: OptionsDeps): Promise<void> {
  const saved = await loadSettings(deps.storage);
  const server = h("input", {
    id: "server",
    type: "url",
    "data-testid": "server",
    placeholder: "https://baton.example.com",
    autocomplete: "url",
    required: true,
    value: saved?.server ?? "",
  });
  const apiKey = h("input", {
    id: "api-key",
    type: "password",
    "data-testid": "api-key",
    autocomplete: "off",
    spellcheck: "false",
    required: true,
    value: saved?.apiKey ?? "",
  });
  const signInButton = h(
    "button",
    { type: "button", "data-testid": "sign-in", hidden: true },
    "Sign in with Baton",
  );
  const signInHint = h(
    "p",
    { class: "hint", "data-testid": "sign-in-hint", hidden: true },
    "No key to paste? Press Save and allow Baton to reach this server: then “Sign in with Baton” appears.",
  );
  const save = h("button", { type: "submit", "data-testid": "save", class: "primary" }, "Save");
  const test = h("button", { type: "button", "data-testid": "test-connection" }, "Test connection");
  const result = h("p", { "data-testid": "connection-result", role: "status", class: "result" });
  const keyLink = h("a", { target: "_blank", rel: "noopener", "data-testid": "key-help" });
  const keyHelp = h(
    "p",
    { class: "hint" },
    "Use a personal key made for this extension: ",
    keyLink,
    " (POST /v1/me/keys, e.g. name it “browser extension”). The key stays on this computer.",
  );

  const showKeyLink = (): void => {
    const entered = normaliseServer(server.value);
    if ("server" in entered) {
      keyLink.href = keyHelpUrl(entered.server);
      keyLink.textContent = "make one in your server's API docs";
      keyHelp.hidden = false;
    } else {
      keyHelp.hidden = true;
    }
  };
  showKeyLink();
  server.addEventListener("input", showKeyLink);

  // "Sign in with Baton" only once the entered server's origin may be reached (the same
  // host permission Save asks for); the latest check wins while the rep types.
  let checks = 0;
  const showSignIn = async (): Promise<void> => {
    const check = ++checks;
    const entered = normaliseServer(server.value);
    let allowed = false;
    if ("server" in entered) {
      try {
        allowed = await deps.permissions.contains({ origins: [originPattern(entered.server)] });
      } catch {
        allowed = false;
      }
    }
    if (check !== checks) return;
    signInButton.hidden = !allowed;
    signInHint.hidden = allowed || !("server" in entered);
  };
  server.addEventListener("input", () => void showSignIn());

  const say = (text: string, tone: "ok" | "error" | "info"): void => {
    result.textContent = text;
    result.dataset.tone = tone;
  };

  const form = h(
    "form",
    { novalidate: true },
    h("h1", {}, "Baton"),
    h("label", { for: "server" }, "Baton server address"),
    server,
    h("label", { for: "api-key" }, "Your API key"),
    h("div", { class: "key-row" }, apiKey, signInButton),
    keyHelp,
    signInHint,
    h("div", { class: "buttons" }, save, test),
    result,
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const entered = normaliseServer(server.value);
    if ("error" in entered) {
      say(entered.error, "error");
      return;
    }
    const key = apiKey.value.trim();
    // Asked in the click itself (a user gesture), for this one origin only; without a key
    // too, so that "Sign in with Baton" can be offered.
    const origin = originPattern(entered.server);
    const granted = deps.permissions.request({ origins: [origin] });
    void (async () => {
      let allowed = false;
      try {
        allowed = await granted;
      } catch {
        allowed = false;
      }
      server.value = entered.server;
      showKeyLink();
      await showSignIn();
      const reach = new URL(entered.server).origin;
      if (key === "") {
        if (allowed) say(`Baton may reach ${reach} now: paste your API key, or press Sign in with Baton.`, "info");
        else say(`Enter your API key (or allow Baton to reach ${reach} to sign in with Baton).`, "error");
        return;
      }
      await saveSettings(deps.storage, { server: entered.server, apiKey: key });
      if (allowed) say("Saved.", "ok");
      else
        say(
          `Saved, but Baton may not reach ${reach} until you allow it: press Save again and choose Allow.`,
          "error",
        );
    })();
  });

  /** Who the stored key acts for (GET /v1/me): "Connected as …" or "Signed in as …". */
  const showMe = async (success: string, signedIn = false): Promise<void> => {
    const answer = await deps.api({ method: "GET", path: "/v1/me" });
    const failure = failureOf(answer);
    const prefix = signedIn ? "Signed in and the key is saved, but who it acts for is unknown: " : "";
    if (failure === null) {
      const me = answer.body as Me;
      say(`${success} ${me.name || me.email || me.id} (${me.role}).`, "ok");
    } else if (failure.kind === "unauthorized") {
      say(`${prefix}The server refused this key: ${failure.detail}`, "error");
    } else {
      say(`${prefix}${failure.detail}`, "error");
    }
  };
  test.addEventListener("click", () => {
    void (async () => {
      say("Testing…", "info");
      await showMe("Connected as");
    })();
  });
  signInButton.addEventListener("click", () => {
    const entered = normaliseServer(server.value);
    if ("error" in entered) {
      say(entered.error, "error");
      return;
    }
    signInButton.disabled = true;
    say("Sign in to Baton in the window that opened…", "info");
    void (async () => {
      try {
        const reply = await deps.signIn(entered.server);
        if (!reply.ok) {
          say(reply.detail, "error");
          return;
        }
        // The worker stored the key; show what is stored now (a later Save keeps it).
        const stored = await loadSettings(deps.storage);
        server.value = stored?.server ?? reply.server;
        apiKey.value = stored?.apiKey ?? "";
        showKeyLink();
        await showMe("Signed in as", true);
      } finally {
        signInButton.disabled = false;
      }
    })();
  });
  root.replaceChildren(form);
  await showSignIn();
}
