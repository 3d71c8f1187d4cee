/**
 * The control plane's shapes as the page receives them: the same types the routes answer with
 * (src/control/actions.ts), so a change there is a type error here.
 */
export type {
  ClockView, Credits, JournalDetailView, JournalEntryView, KeyView, ScenarioCheck, ScenarioDetail, ScenarioSummary,
  TaskOutputs, TaskPage, TaskView
} from '../control/actions.ts'
export type { TaskStatus } from '../domain/lifecycle.ts'
export type { ImportDone } from '../domain/state/registry.ts'
export type { EventTopic } from '../control/events.ts'
