/** Everything the IVR says to the customer. The analyzer hears these too, so the policy ignores their echoes. */
export const prompts = {
  menu: 'Thank you for calling. Press 1 to speak with an operator. Press 2 to hear these options again. Or simply tell us how we can help.',
  menuRetry: "Sorry, we didn't get that. Press 1 to speak with an operator, or press 2 to hear the options again.",
  fallback: "We'll stay on the line with you. Tell us how we can help, and an operator will join if you need one.",
  connecting: 'Please hold while we connect you to an operator.',
  stillTrying: "We're still trying to reach an operator. Please stay on the line.",
  noOperator: "We're sorry, no operator is available right now.",
  operatorLeft: 'The operator has left the call.',
} as const;

/** What an operator who answers hears on their own leg, before they can take the call. */
export function operatorBriefing(detail: string): string {
  return `Escalated call. ${detail} Press 1 to take the call, or 2 to decline.`;
}

/** Everything the IVR may speak into the conference, for echo filtering. */
export const spokenPrompts: readonly string[] = Object.values(prompts);
