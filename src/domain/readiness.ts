/**
 * The readiness registry: `GET /__mock/ready` passes when every registered check does. Whatever
 * loads at start (configuration, scenario files, fixtures) registers a check, so the control
 * plane need not know who loads what.
 */

/** `true` when ready; otherwise a short reason. Cheap and synchronous: a loader sets a flag the check reads. */
export type ReadinessCheck = () => true | string

export interface CheckResult {
  readonly name: string
  readonly ready: boolean
  readonly detail?: string
}

export interface ReadinessReport {
  readonly ready: boolean
  readonly checks: CheckResult[]
}

export class ReadinessRegistry {
  private readonly checks = new Map<string, ReadinessCheck>()

  /** Registers a check under a name (registering a name again replaces it); returns its removal. */
  register (name: string, check: ReadinessCheck): () => void {
    this.checks.set(name, check)
    return () => {
      if (this.checks.get(name) === check) this.checks.delete(name)
    }
  }

  /** Runs every check; one that throws counts as not ready, with its message. */
  report (): ReadinessReport {
    const checks: CheckResult[] = []
    for (const [name, check] of this.checks) {
      let verdict: true | string
      try {
        verdict = check()
      } catch (error) {
        verdict = error instanceof Error ? error.message : String(error)
      }
      checks.push(verdict === true ? { name, ready: true } : { name, ready: false, detail: verdict })
    }
    return { ready: checks.every((check) => check.ready), checks }
  }
}
