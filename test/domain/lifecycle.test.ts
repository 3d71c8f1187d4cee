import t from 'tap'
import { errorCodeOf, isFinalStatus, nextChangeAt, planTimeline, stateAt, SUCCESS } from '../../src/domain/lifecycle.ts'

t.test('a successful timeline: queue, run, success', async (t) => {
  const timeline = planTimeline(0, 1000, 10000, SUCCESS)
  t.match(timeline, { startAt: 1000, endAt: 11000 })
  t.same(stateAt(timeline, SUCCESS, 3, 0), { status: 'queued', progress: 0, queuingNum: 3, runningLeftTime: 11 })
  t.same(stateAt(timeline, SUCCESS, 3, 500), { status: 'queued', progress: 0, queuingNum: 2, runningLeftTime: 11 })
  t.same(stateAt(timeline, SUCCESS, 3, 1000), { status: 'running', progress: 0, queuingNum: -1, runningLeftTime: 10 })
  t.same(stateAt(timeline, SUCCESS, 3, 6000), { status: 'running', progress: 50, queuingNum: -1, runningLeftTime: 5 })
  t.same(stateAt(timeline, SUCCESS, 3, 10999), { status: 'running', progress: 95, queuingNum: -1, runningLeftTime: 1 })
  t.same(stateAt(timeline, SUCCESS, 3, 11000), { status: 'success', progress: 100, queuingNum: -1, runningLeftTime: -1 })
})

t.test('fates: at a progress, after a time, expired in the queue, stalled', async (t) => {
  const failed = { status: 'failed' as const, atProgress: 60 }
  const atSixty = planTimeline(0, 1000, 10000, failed)
  t.equal(atSixty.endAt, 7000)
  t.equal(stateAt(atSixty, failed, 0, 6999).progress, 55)
  t.same(stateAt(atSixty, failed, 0, 7000), { status: 'failed', progress: 100, queuingNum: -1, runningLeftTime: -1 })

  const quick = planTimeline(0, 1000, 10000, { status: 'cancelled', afterMs: 400 })
  t.match(quick, { startAt: 400, endAt: 400 }, 'ends while still queued')
  t.equal(stateAt(quick, { status: 'cancelled' }, 0, 399).status, 'queued')

  const expired = planTimeline(0, 1000, 10000, { status: 'expired' })
  t.match(expired, { startAt: 1000, endAt: 1000 }, 'expired: never runs')

  const stuckQueued = planTimeline(0, 1000, 10000, { status: 'success', stall: 'queued' })
  t.equal(stateAt(stuckQueued, SUCCESS, 2, 1e12).status, 'queued')
  t.equal(stateAt(stuckQueued, SUCCESS, 2, 1e12).queuingNum, 0)
  t.equal(nextChangeAt(stuckQueued, 0), undefined)

  const stuckRunning = planTimeline(0, 1000, 10000, { status: 'success', stall: 'running' })
  t.equal(nextChangeAt(stuckRunning, 10_600), undefined, 'past its last step a stalled task never changes again')
  t.same(stateAt(stuckRunning, SUCCESS, 0, 1e12), { status: 'running', progress: 95, queuingNum: -1, runningLeftTime: 0 })
  const clamped = planTimeline(0, 0, 1000, { status: 'failed', atProgress: 250 })
  t.equal(clamped.endAt, 1000, 'progress is clamped to 100')
})

t.test('next change: each progress step, then the end', async (t) => {
  const timeline = planTimeline(0, 1000, 10000, SUCCESS)
  t.equal(nextChangeAt(timeline, 0), 1000)
  t.equal(nextChangeAt(timeline, 1000), 1500)
  t.equal(nextChangeAt(timeline, 1499), 1500)
  t.equal(nextChangeAt(timeline, 10500), 11000, 'after the last step, the end')
  t.equal(nextChangeAt(timeline, 11000), undefined)
  const failing = planTimeline(0, 0, 10000, { status: 'failed', atProgress: 12 })
  t.equal(nextChangeAt(failing, 1000), 1200, 'the end comes before the next step')
  const instant = planTimeline(0, 0, 0, SUCCESS)
  t.equal(stateAt(instant, SUCCESS, 0, 0).status, 'success')
  const zeroRun = planTimeline(0, 0, 0, { status: 'success', stall: 'running' })
  t.equal(stateAt(zeroRun, SUCCESS, 0, 5).progress, 0)
  t.equal(nextChangeAt(zeroRun, 5), undefined)
  const stepless = { createdAt: 0, queuedMs: 0, runningMs: 0, startAt: 0, endAt: 50 }
  t.equal(nextChangeAt(stepless, 10), 50)
})

t.test('error codes and final statuses', async (t) => {
  t.equal(errorCodeOf({ status: 'failed' }), 1001)
  t.equal(errorCodeOf({ status: 'failed', errorCode: 2018 }), 2018)
  t.equal(errorCodeOf({ status: 'banned' }), 2008)
  t.equal(errorCodeOf({ status: 'expired' }), undefined)
  t.ok(isFinalStatus('unknown'))
  t.notOk(isFinalStatus('running'))
})
