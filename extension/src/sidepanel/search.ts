// Search as you type: one typing session id for every search while the rep types (the
// server keeps one log entry per session), a search only after the rep pauses (debounce),
// and answers that arrive after a newer search started are dropped.

export interface SearchParams {
  q: string;
  kinds: string[];
  stages: string[];
  typingSession: string;
}

export interface Timers {
  set: (run: () => void, ms: number) => unknown;
  clear: (handle: unknown) => void;
}

const realTimers: Timers = {
  set: (run, ms) => setTimeout(run, ms),
  clear: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

export const DEBOUNCE_MS = 200;

export class TypingSearch {
  private query = "";
  private kinds = new Set<string>();
  private stages = new Set<string>();
  private session: string | null = null;
  private pending: unknown = null;
  private latest = 0;

  constructor(
    /** Runs one search; `isLatest()` says whether its answer may still be shown. */
    private readonly run: (params: SearchParams, isLatest: () => boolean) => Promise<void>,
    /** Called when there is nothing to search for (empty query, no chip). */
    private readonly clear: () => void,
    private readonly delay = DEBOUNCE_MS,
    private readonly timers: Timers = realTimers,
    private readonly newId: () => string = () => crypto.randomUUID(),
  ) {}

  /** The rep typed: search after a pause. */
  type(query: string): void {
    this.query = query;
    this.schedule(this.delay);
  }

  /** A chip was toggled: search at once. */
  toggle(facet: "kind" | "stage", value: string): boolean {
    const set = facet === "kind" ? this.kinds : this.stages;
    const on = !set.has(value);
    if (on) set.add(value);
    else set.delete(value);
    this.schedule(0);
    return on;
  }

  get active(): boolean {
    return this.query.trim() !== "" || this.kinds.size > 0 || this.stages.size > 0;
  }

  private schedule(ms: number): void {
    if (this.pending !== null) this.timers.clear(this.pending);
    this.pending = null;
    if (!this.active) {
      // Cleared: the next search starts a new typing session.
      this.session = null;
      this.latest += 1;
      this.clear();
      return;
    }
    this.pending = this.timers.set(() => {
      this.pending = null;
      this.fire();
    }, ms);
  }

  private fire(): void {
    this.session ??= this.newId();
    const mine = ++this.latest;
    void this.run(
      {
        q: this.query.trim(),
        kinds: [...this.kinds],
        stages: [...this.stages],
        typingSession: this.session,
      },
      () => mine === this.latest,
    );
  }
}
