/**
 * The reset registry. Every service that keeps state per API key (the emulator's tenants, the
 * journal, Retry-After windows, scenario bindings, uploads...) registers how it forgets, so that
 * `reset(key)` forgets one tenant everywhere and `reset()` forgets everything, without the control
 * plane knowing who takes part.
 */

/** Forgets one key's state, or (no key) all of it. Must not throw. */
export type ResetFn = (key?: string) => void

export class ResetRegistry {
  private readonly participants = new Map<string, ResetFn>()

  /** Registers a participant under a name (registering a name again replaces it); returns its removal. */
  register (name: string, reset: ResetFn): () => void {
    this.participants.set(name, reset)
    return () => {
      if (this.participants.get(name) === reset) this.participants.delete(name)
    }
  }

  /** Resets one key (or everything) in every participant, in registration order; returns their names. */
  reset (key?: string): string[] {
    for (const reset of this.participants.values()) reset(key)
    return [...this.participants.keys()]
  }
}
