/**
 * Secret material lives in Secrets Manager; functions get only the ARN (env `*_SECRET_ARN`) and
 * read the value at run time (functions/config/secrets.ts), so no secret appears in a template,
 * an environment variable or the Lambda console.
 */
import { SecretValue } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';

export class Secrets extends Construct {
  /** JSON `{"apiKey": "sk-…", "webhookSecret": "whsec_…"}`; created empty, set by the operator after deploy. */
  readonly openAi: secretsmanager.Secret;
  /** Key material our outgoing Standard Webhooks signatures derive from; generated at deploy. */
  readonly webhookSigning: secretsmanager.Secret;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.openAi = new secretsmanager.Secret(this, 'OpenAi', {
      description:
        'Tuneplane: OpenAI credentials as JSON {"apiKey":"sk-...","webhookSecret":"whsec_..."} (set with put-secret-value)',
      // An empty key, not a random one: the functions can then tell "not configured yet" apart.
      secretObjectValue: { apiKey: SecretValue.unsafePlainText('') },
    });
    this.webhookSigning = new secretsmanager.Secret(this, 'WebhookSigning', {
      description: 'Tuneplane: key material for signing outgoing webhooks (Standard Webhooks)',
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
    });
    NagSuppressions.addResourceSuppressions(this.openAi, [
      {
        id: 'AwsSolutions-SMG4',
        reason:
          'The OpenAI API key is issued by OpenAI; it is rotated there and stored here with put-secret-value.',
      },
    ]);
    NagSuppressions.addResourceSuppressions(this.webhookSigning, [
      {
        id: 'AwsSolutions-SMG4',
        reason:
          'Customers verify webhooks with endpoint secrets derived from this material; rotating it silently would ' +
          'break every receiver, so rotation is an explicit operator action (see infra/aws/README.md).',
      },
    ]);
  }

  grantReadOpenAi(grantee: iam.IGrantable): void {
    this.openAi.grantRead(grantee);
  }

  grantReadWebhookSigning(grantee: iam.IGrantable): void {
    this.webhookSigning.grantRead(grantee);
  }
}
