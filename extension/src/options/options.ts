// The options page: the Baton server's address and the rep's API key (chrome.storage.local
// only), host access asked for that one origin at run time, and "test connection".

import { failureOf, type ApiAnswer, type ApiCall } from "../api";
import { h } from "../dom";
import { loadSettings, normaliseServer, originPattern, saveSettings, type Store } from "../settings";

export interface OptionsDeps {
  storage: Store;
  permissions: Pick<typeof chrome.permissions, "request" | "contains">;
  api: (call: ApiCall) => Promise<ApiAnswer>;
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
    apiKey,
    keyHelp,
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
    if (key === "") {
      say("Enter your API key", "error");
      return;
    }
    // Asked in the click itself (a user gesture), for this one origin only.
    const origin = originPattern(entered.server);
    const granted = deps.permissions.request({ origins: [origin] });
    void (async () => {
      let allowed = false;
      try {
        allowed = await granted;
      } catch {
        allowed = false;
      }
      await saveSettings(deps.storage, { server: entered.server, apiKey: key });
      server.value = entered.server;
      if (allowed) say("Saved.", "ok");
      else
        say(
          `Saved, but Baton may not reach ${new URL(entered.server).origin} until you allow it: press Save again and choose Allow.`,
          "error",
        );
    })();
  });
  test.addEventListener("click", () => {
    void (async () => {
      say("Testing…", "info");
      const answer = await deps.api({ method: "GET", path: "/v1/me" });
      const failure = failureOf(answer);
      if (failure === null) {
        const me = answer.body as Me;
        say(`Connected as ${me.name || me.email || me.id} (${me.role}).`, "ok");
      } else if (failure.kind === "unauthorized") {
        say(`The server refused this key: ${failure.detail}`, "error");
      } else {
        say(failure.detail, "error");
      }
    })();
  });
  root.replaceChildren(form);
}
