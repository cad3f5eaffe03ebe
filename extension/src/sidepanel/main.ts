// The side panel's entry (also works opened as a tab: chrome-extension://<id>/sidepanel.html).
import { mountPanel } from "./panel";

const root = document.getElementById("app");
if (root) void mountPanel(root);
