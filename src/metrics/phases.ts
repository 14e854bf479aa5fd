/**
 * The phases of a run, in order: `ramp` from second 0 until every planned agent finished its
 * start-up sequence (`Recorder.markSteady()`), `steady` until the stop (`Recorder.markEnd()`),
 * `drain` while the workloads close. A sample belongs to the phase that was current when it was
 * recorded. In their own module so that threshold parsing does not load the HDR code.
 */
export const PHASES = ['ramp', 'steady', 'drain'] as const;
export type Phase = (typeof PHASES)[number];
