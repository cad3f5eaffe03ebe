// Noticing that the page moved to another deal in a single-page app: the URL changes
// (history.pushState leaves no event a content script can hear, so every DOM change is a
// chance to look) and the DOM changes. Checks are debounced (`debounceMs` after the last
// change, at most `maxWaitMs` after the first, so a page that never stops changing is still
// checked), and `onChange` is called only when the key differs from the last one reported.

export interface WatchOptions {
  /** The page's current deal key (cheap: called on every check). */
  key: () => string;
  /** Called with the new key and URL when the key changed. */
  onChange: (dealKey: string, url: string) => void;
  win: Window & typeof globalThis;
  debounceMs?: number;
  maxWaitMs?: number;
  /** Report the key at start (a page that just loaded is a change for whoever listens). */
  reportInitial?: boolean;
}

export interface Watch {
  /** Check now, without waiting for the debounce. */
  check(): void;
  stop(): void;
}

export function watchPageChanges(options: WatchOptions): Watch {
  const { win, key, onChange } = options;
  const debounceMs = options.debounceMs ?? 150;
  const maxWaitMs = options.maxWaitMs ?? 1000;
  let last: string | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let firstPending: number | undefined;

  const check = (): void => {
    if (timer !== undefined) win.clearTimeout(timer);
    timer = undefined;
    firstPending = undefined;
    let current: string;
    try {
      current = key();
    } catch {
      return;
    }
    if (current !== last) {
      last = current;
      onChange(current, win.location.href);
    }
  };

  const schedule = (): void => {
    const now = Date.now();
    firstPending ??= now;
    if (timer !== undefined) win.clearTimeout(timer);
    const wait = Math.max(0, Math.min(debounceMs, firstPending + maxWaitMs - now));
    timer = win.setTimeout(check, wait);
  };

  if (options.reportInitial) check();
  else {
    try {
      last = key();
    } catch {
      last = undefined;
    }
  }
  const observer = new win.MutationObserver(schedule);
  observer.observe(win.document, {
    childList: true,
    subtree: true,
    characterData: true,
    attributes: true,
    // What shows or hides a record: Lightning's cached pages swap their "active" class.
    attributeFilter: ["class", "hidden", "aria-hidden", "style"],
  });
  win.addEventListener("popstate", schedule);
  win.addEventListener("hashchange", schedule);

  return {
    check,
    stop() {
      observer.disconnect();
      win.removeEventListener("popstate", schedule);
      win.removeEventListener("hashchange", schedule);
      if (timer !== undefined) win.clearTimeout(timer);
    },
  };
}
