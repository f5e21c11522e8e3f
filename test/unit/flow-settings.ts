import type { CallFlowSettings } from '../../lib/core/model.js';

/** The call flow's settings the unit tables use: two operator numbers, the default policy. */
export const settings: CallFlowSettings = {
  transferNumbers: ['+15550000001', '+15550000002'],
  operatorRingTimeoutSeconds: 20,
  pollIntervalSeconds: 1,
  analyzerJoinTimeoutSeconds: 10,
  maxCallAgeSeconds: 3600,
  maxMenuMisses: 3,
  policy: { utteranceThreshold: -0.7, windowSize: 3, windowThreshold: -0.45, streakLength: 3, negativeBelow: -0.3 },
  operatorScreening: 'either',
  detectMachines: true,
  operatorAcceptTimeoutSeconds: 30,
  sessionCheckSeconds: 300,
};
