/**
 * Hostile input, seeded: requests over every route the app registers (discovered, not listed), bent
 * every way a hostile client would (test/fixtures/hostile-requests.ts), on a real socket of
 * 127.0.0.1. Every answer carries a trace id and, when it is an error, the envelope (or, on the
 * storage routes, S3's XML); nothing answers 5xx unless a scenario asked; nothing is logged as an
 * unexpected error; the server still answers afterwards. Bounded: a fixed number of requests, one
 * at a time. The long run (100,000 requests, memory and the drain after it) is `bench/fuzz.ts`.
 */
import t from 'tap'
import { exchange, HostileRequests, immediateScenarios, problemsOf } from './fixtures/hostile-requests.ts'
import { harness } from './fixtures/harness.ts'

const SEED = Number(process.env['FUZZ_SEED'] ?? 17)
const REQUESTS = Number(process.env['FUZZ_REQUESTS'] ?? 1500)

t.test(`${REQUESTS} hostile requests (seed ${SEED}): every answer is the emulator's, none a 500 no scenario asked for`, async (t) => {
  t.setTimeout(120_000)
  const h = await harness(t)
  const base = new URL(await h.listen())
  const port = Number(base.port)
  const fuzz = new HostileRequests(SEED, h.routes, immediateScenarios(h.services.scenarios.list()), base.host)
  const injected = (traceId: string) => (h.services.journal.find({ traceId }, 1)[0]?.injectedBy ?? null) !== null
  const problems: string[] = []
  for (let i = 0; i < REQUESTS; i++) {
    const request = fuzz.next()
    const answer = await exchange(port, request)
    fuzz.learn(answer)
    for (const problem of problemsOf(request, answer, injected)) {
      if (problems.length < 20) problems.push(`#${i} ${request.method} ${request.target.slice(0, 100)}: ${problem}`)
    }
    // The clock stays manual (a real one could make a later answer wait), and moves now and then.
    if (h.services.clock.state().mode !== 'manual') h.services.clock.setMode('manual')
    if (i % 25 === 24) h.clock.advance(7_000)
  }
  t.same(problems, [], 'every answer is the emulator\'s')
  t.equal(fuzz.visited.size, h.routes.length, `every route (${h.routes.length}) was fuzzed`)
  const unexpected = h.logs.filter((line) => (line['level'] as number) >= 50).map((line) => `${String(line['msg'])}: ${JSON.stringify(line['err'] ?? '').slice(0, 200)}`)
  t.same(unexpected.slice(0, 10), [], 'nothing logged as an error')
  const health = await fetch(`${base.origin}/__mock/health`)
  t.equal(health.status, 200, 'still answering')
})
