/**
 * The dashboard on AWS as synthesized: the built site in a private bucket behind CloudFront (origin
 * access control only), `/v1/*` and `/openapi.json` routed uncached to the HTTP API with the viewer's
 * headers (so one origin serves both and the browser needs no CORS), security headers on the site,
 * logs kept, and the URL as a stack output.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Match } from 'aws-cdk-lib/assertions';
import { synthesize, type Synthesized } from './synth';

let s: Synthesized;
beforeAll(() => {
  s = synthesize();
}, 300_000);
afterAll(() => s?.cleanup());

type Json = Record<string, unknown>;
const distributionConfig = () => {
  const [d] = Object.values(s.template.findResources('AWS::CloudFront::Distribution')) as {
    Properties: { DistributionConfig: Json };
  }[];
  return d.Properties.DistributionConfig as {
    DefaultCacheBehavior: Json;
    CacheBehaviors: Json[];
    Origins: {
      Id: string;
      DomainName: unknown;
      S3OriginConfig?: Json;
      CustomOriginConfig?: Json;
      OriginAccessControlId?: unknown;
    }[];
    Logging?: Json;
    DefaultRootObject?: string;
  };
};

describe('the dashboard on AWS', () => {
  it('streams chat completions and completions from the inference Function URL, matched before /v1/*, uncompressed, with a 60 s read timeout', () => {
    const cfg = distributionConfig();
    const paths = cfg.CacheBehaviors.map((b) => b.PathPattern);
    expect(paths.indexOf('/v1/chat/completions')).toBeLessThan(paths.indexOf('/v1/*'));
    expect(paths.indexOf('/v1/completions')).toBeLessThan(paths.indexOf('/v1/*'));
    const url = s.logicalId(s.stack.inference.url);
    const origin = cfg.Origins.find((o) => JSON.stringify(o.DomainName).includes(url))!;
    expect(origin.CustomOriginConfig).toMatchObject({
      OriginProtocolPolicy: 'https-only',
      OriginReadTimeout: 60,
    });
    for (const path of ['/v1/chat/completions', '/v1/completions']) {
      const b = cfg.CacheBehaviors.find((x) => x.PathPattern === path)!;
      expect(b.TargetOriginId).toBe(origin.Id);
      expect(b.AllowedMethods).toEqual(expect.arrayContaining(['POST']));
      expect(b.Compress).toBe(false);
      expect(b.CachePolicyId).toBe('4135ea2d-6df8-44a3-9df3-4b5a84be39ad');
      // Authorization reaches the function; Host stays the Function URL's own.
      expect(b.OriginRequestPolicyId).toBe('b689b0a8-53d0-40ab-baf2-68738e2966ac');
    }
  });

  it('builds the site into the deployment asset: index.html naming its hashed script and stylesheet', () => {
    const deployments = s.template.findResources('Custom::CDKBucketDeployment');
    expect(Object.keys(deployments)).toHaveLength(1);
    // The asset folders in the cloud assembly: exactly one holds the site.
    const sites = readdirSync(s.outdir)
      .filter((d) => d.startsWith('asset.'))
      .map((d) => join(s.outdir, d))
      .filter((d) => statSync(d).isDirectory() && readdirSync(d).includes('index.html'));
    expect(sites).toHaveLength(1);
    const files = readdirSync(sites[0]);
    const html = readFileSync(join(sites[0], 'index.html'), 'utf8');
    const script = files.find((f) => /^app-[A-Z0-9]+\.js$/.test(f))!;
    const style = files.find((f) => /^app-[A-Z0-9]+\.css$/.test(f))!;
    expect(html).toContain(`src="${script}"`);
    expect(html).toContain(`href="${style}"`);
    // Nothing is fetched from elsewhere at run time.
    expect(html).not.toMatch(/https?:\/\//);
  });

  it('serves the site from a private bucket through origin access control, and the API under /v1 on the same origin', () => {
    const cfg = distributionConfig();
    expect(cfg.DefaultRootObject).toBe('index.html');
    const site = cfg.Origins.find((o) => o.S3OriginConfig)!;
    expect(site.OriginAccessControlId).toBeDefined();
    const api = cfg.Origins.find((o) => JSON.stringify(o.DomainName).includes('execute-api'))!;
    expect(JSON.stringify(api.DomainName)).toContain(s.logicalId(s.stack.api.httpApi));
    expect(JSON.stringify(api.DomainName)).toContain('execute-api');
    expect(api.CustomOriginConfig).toMatchObject({
      OriginProtocolPolicy: 'https-only',
      OriginSSLProtocols: ['TLSv1.2'],
    });

    const byPath = Object.fromEntries(
      cfg.CacheBehaviors.filter((b) => !String(b.PathPattern).endsWith('completions')).map((b) => [
        b.PathPattern as string,
        b,
      ]),
    );
    expect(Object.keys(byPath).sort()).toEqual(['/openapi.json', '/v1/*']);
    for (const b of Object.values(byPath)) {
      expect(b.TargetOriginId).toBe(api.Id);
      expect(b.AllowedMethods).toEqual(expect.arrayContaining(['GET', 'POST', 'DELETE', 'OPTIONS']));
      // Managed-CachingDisabled and Managed-AllViewerExceptHostHeader (Authorization reaches the API).
      expect(b.CachePolicyId).toBe('4135ea2d-6df8-44a3-9df3-4b5a84be39ad');
      expect(b.OriginRequestPolicyId).toBe('b689b0a8-53d0-40ab-baf2-68738e2966ac');
      expect(b.ViewerProtocolPolicy).toBe('https-only');
    }
    expect(cfg.DefaultCacheBehavior.ViewerProtocolPolicy).toBe('redirect-to-https');

    s.template.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Action: 's3:GetObject', Principal: { Service: 'cloudfront.amazonaws.com' } }),
        ]),
      },
    });
    s.template.hasResourceProperties('AWS::S3::Bucket', {
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      LoggingConfiguration: Match.objectLike({ LogFilePrefix: 'site-bucket/' }),
    });
    expect(cfg.Logging).toMatchObject({ Prefix: 'cloudfront/' });
  });

  it("sends the embedded stack's content security policy: this origin, and the data bucket for upload parts", async () => {
    const { dashboardCsp } = await import('../../dashboard/csp');
    const [before, after] = dashboardCsp('https://BUCKET').split('BUCKET');
    const bucket = Object.keys(s.template.findResources('AWS::S3::Bucket')).find((id) =>
      id.startsWith('StorageBucket'),
    );
    expect(bucket).toBeDefined();
    s.template.hasResourceProperties('AWS::CloudFront::ResponseHeadersPolicy', {
      ResponseHeadersPolicyConfig: {
        SecurityHeadersConfig: Match.objectLike({
          ContentSecurityPolicy: {
            ContentSecurityPolicy: {
              'Fn::Join': ['', [before, { 'Fn::GetAtt': [bucket, 'RegionalDomainName'] }, after]],
            },
            Override: true,
          },
          FrameOptions: { FrameOption: 'DENY', Override: true },
          StrictTransportSecurity: Match.objectLike({ Override: true }),
        }),
      },
    });
  });

  it("outputs the dashboard's URL", () => {
    const out = s.template.findOutputs('DashboardUrl');
    expect(JSON.stringify(Object.values(out)[0].Value)).toContain('DomainName');
  });
});
