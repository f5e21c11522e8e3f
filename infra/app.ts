/**
 * The CDK app: the only place that reads CDK context or the environment.
 *
 * Each setting is read from CDK context (`cdk deploy -c CONFERENCE_NUMBER=+14155550100`) or,
 * when absent there, from the environment variable of the same name (the settings table,
 * lib/settings/table.ts, names them). With none of the required settings given, obviously
 * fake example values (+1 555 555 01xx) are used so `npm run synth` works offline with no
 * setup, and a warning says so. Secret values are never read here: they live in the Secrets Manager secret.
 */
import { Annotations, App, Tags, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { SentimentIvrStack } from './sentiment-ivr-stack.js';
import { exampleSettings, stackSettings } from './settings.js';

const app = new App();
const lookup = (name: string): unknown => app.node.tryGetContext(name) ?? process.env[name];
const { settings, stackName, usesExamples } = stackSettings(lookup);

const stack = new SentimentIvrStack(app, stackName, {
  description: 'sentiment-ivr: a sentiment-aware IVR on Telnyx (webhook API, poller, call sessions)',
  ...settings,
});
Tags.of(app).add('project', 'sentiment-ivr');
if (usesExamples) {
  const examples = Object.entries(exampleSettings).map(([name, value]) => `${name}=${value}`).join(', ');
  Annotations.of(stack).addWarningV2(
    'sentiment-ivr:example-settings',
    `No settings given, so example values were used (${examples}). Fine for synth; set the real ones before deploying (README.md, "Deploying").`,
  );
}

Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
