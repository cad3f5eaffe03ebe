// The options page's entry: the real chrome APIs behind mountOptions.
import { api } from "../api";
import { signInThroughWorker } from "../signin";
import { mountOptions } from "./options";

const root = document.getElementById("app");
if (root) {
  void mountOptions(root, {
    storage: chrome.storage.local,
    permissions: chrome.permissions,
    api,
    signIn: signInThroughWorker,
  });
}
