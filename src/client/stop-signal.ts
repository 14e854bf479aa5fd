/** A function or an object with `handleEvent` (no per-listener closure needed). */
export type StopListener = ((event: Event) => void) | { handleEvent(event: Event): void };

/**
 * The part of an AbortSignal the harness's own code uses, so a real AbortSignal or a much
 * lighter {@link StopSource} can be passed. A fleet holds one stop source per agent (and one per
 * app-health pass): Node's AbortController/AbortSignal/EventTarget with its listener map costs
 * about 0.3 KB each, and its add/removeEventListener shows up in the ramp's CPU profile.
 */
export interface StopSignal {
  readonly aborted: boolean;
  addEventListener(type: 'abort', listener: StopListener, options?: { once?: boolean }): void;
  removeEventListener(type: 'abort', listener: StopListener): void;
}

const ABORT_EVENT = new Event('abort');

/**
 * Controller and signal in one object: `abort()` calls each listener once, in the order added
 * (a listener added twice is called once, like EventTarget). Listeners added after the abort
 * are not called (also like EventTarget).
 */
export class StopSource implements StopSignal {
  aborted = false;
  /**
   * One listener inline (the usual case: the agent's open socket or one pending sleep), an
   * array only for more: a pushed-to empty array reserves 17 slots (~150 B) per source.
   */
  private listeners: StopListener | StopListener[] | undefined;

  get signal(): StopSignal {
    return this;
  }

  addEventListener(_type: 'abort', listener: StopListener, _options?: { once?: boolean }): void {
    if (this.aborted) return;
    const current = this.listeners;
    if (current === undefined) this.listeners = listener;
    else if (Array.isArray(current)) {
      if (!current.includes(listener)) current.push(listener);
    } else if (current !== listener) this.listeners = [current, listener];
  }

  removeEventListener(_type: 'abort', listener: StopListener): void {
    const current = this.listeners;
    if (current === listener) this.listeners = undefined;
    else if (Array.isArray(current)) {
      const at = current.lastIndexOf(listener);
      if (at >= 0) current.splice(at, 1);
      if (current.length === 1) this.listeners = current[0];
      else if (current.length === 0) this.listeners = undefined;
    }
  }

  abort(): void {
    if (this.aborted) return;
    this.aborted = true;
    const current = this.listeners;
    this.listeners = undefined;
    if (current === undefined) return;
    for (const listener of Array.isArray(current) ? current : [current]) {
      try {
        if (typeof listener === 'function') listener(ABORT_EVENT);
        else listener.handleEvent(ABORT_EVENT);
      } catch (error) {
        // Like EventTarget: a throwing listener does not stop the others; it surfaces later.
        queueMicrotask(() => {
          throw error;
        });
      }
    }
  }
}
