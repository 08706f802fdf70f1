// Runs cdk-nag's AwsSolutions pack over synthesized CloudFormation templates and prints one JSON report on stdout:
//   { unsuppressed: [...], suppressed: [...], staleSuppressions: [...], badReasons: [...] }
//   node tests/cdk-nag/nag.js <name>=<template.json> [<name>=<template.json> ...]   (or scripts/cdk-nag.sh, which installs)
// Exit code 0 when every finding is suppressed with a reason and every resource suppression matches a finding; 1 if not.
//
// The templates come from the C# CDK app, where cdk-nag's acknowledgements (Validations.of(construct).acknowledge, a JS
// construct API) cannot be set. The stack writes each suppression as metadata instead (infra/DropSync.Infra/
// NagSuppressions.cs), in cdk-nag v2's format: Metadata.cdk_nag.rules_to_suppress = [{ id, reason, applies_to? }] on a
// resource, or on the template for resources CDK adds at synthesis. This script includes each template
// (aws-cdk-lib/cloudformation-include), runs the pack once without suppressions, matches the metadata to those findings,
// and runs it again acknowledging them, the way cdk-nag 3 reads acknowledgements (NagPack.isAcknowledged).
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { App, Stack, Validations } = require('aws-cdk-lib');
const { CfnInclude } = require('aws-cdk-lib/cloudformation-include');
const { AwsSolutionsChecks } = require('cdk-nag');

const MinReasonLength = 20;

// The suppressions a template carries: on a resource (its Metadata), or on the template (top-level Metadata, for resources
// CDK adds while synthesizing, such as the cross-region reference providers, each entry naming the logical-id prefixes
// it covers in "resources"). As in cdk-nag v2, an entry may list "applies_to": the findings of a multi-finding rule it
// covers, as exact strings or { regex } (e.g. IAM5's "Action::s3:GetObject*"); without it, it covers the rule's id.
function suppressionsOf(template) {
  const entries = [];
  const resourceIds = Object.keys(template.Resources ?? {});
  const add = (logicalId, rule, scope) => entries.push({ resource: logicalId, rule, scope });
  for (const logicalId of resourceIds) {
    for (const rule of template.Resources[logicalId].Metadata?.cdk_nag?.rules_to_suppress ?? []) {
      add(logicalId, rule, 'resource');
    }
  }
  for (const rule of template.Metadata?.cdk_nag?.rules_to_suppress ?? []) {
    for (const logicalId of resourceIds.filter((id) => (rule.resources ?? []).some((prefix) => id.startsWith(prefix)))) {
      add(logicalId, rule, 'template');
    }
  }
  return entries;
}

function covers(rule, findingId) {
  if (!rule.applies_to) {
    return findingId === rule.id;
  }
  const open = findingId.indexOf('[');
  if (open < 0 || findingId.slice(0, open) !== rule.id) {
    return false;
  }
  const detail = findingId.slice(open + 1, -1);
  return rule.applies_to.some((a) => (typeof a === 'string' ? a === detail : new RegExp(a.regex).test(detail)));
}

function run(name, templateFile, acknowledge) {
  const app = new App();
  const stack = new Stack(app, name);
  const include = new CfnInclude(stack, 'Template', { templateFile });
  for (const { resource, id } of acknowledge) {
    // What Validations.of(construct).acknowledge records, written directly: acknowledge() rejects ids with two "::",
    // which every IAM4/IAM5 finding id has ("AwsSolutions-IAM5[Resource::arn:aws:…]"); NagPack.isAcknowledged reads
    // this metadata either way.
    include.getResource(resource).node.addMetadata(Validations.ACKNOWLEDGED_RULES_METADATA_KEY, { [id]: 'see the template metadata' });
  }
  const report = new AwsSolutionsChecks(app).validateScope(stack);
  const findings = [];
  for (const violation of report.violations) {
    for (const resource of violation.violatingResources) {
      findings.push({
        template: name,
        rule: violation.ruleName,
        severity: violation.severity,
        resource: resource.constructPath.split('/').pop(),
        description: violation.description,
      });
    }
  }
  return findings;
}

// Runs the pack without suppressions, matches the suppressions to those findings, and runs it again acknowledging them.
function check(name, templateFile) {
  const template = JSON.parse(fs.readFileSync(templateFile, 'utf8'));
  const raw = run(name, templateFile, []);
  const suppressions = suppressionsOf(template);
  const acknowledge = [];
  const used = new Set();
  for (const finding of raw) {
    suppressions.forEach((s, i) => {
      if (s.resource === finding.resource && covers(s.rule, finding.rule)) {
        acknowledge.push({ resource: finding.resource, id: finding.rule });
        used.add(i);
      }
    });
  }
  const after = run(name, templateFile, acknowledge);
  return { raw, after, suppressions, used };
}

const inputs = process.argv.slice(2).map((arg) => {
  const at = arg.indexOf('=');
  if (at < 1) {
    console.error(`usage: node ${path.basename(__filename)} <name>=<template.json> ...`);
    process.exit(2);
  }
  // Relative paths are the caller's (scripts/cdk-nag.sh runs this from tests/cdk-nag).
  return { name: arg.slice(0, at), file: path.resolve(process.env.DROPSYNC_CALLER_DIR ?? '.', arg.slice(at + 1)) };
});
if (inputs.length === 0) {
  console.error(`usage: node ${path.basename(__filename)} <name>=<template.json> ...`);
  process.exit(2);
}

const result = { unsuppressed: [], suppressed: [], staleSuppressions: [], badReasons: [] };
for (const { name, file } of inputs) {
  const { raw, after, suppressions, used } = check(name, file);
  const key = (f) => `${f.resource}|${f.rule}`;
  const remaining = new Set(after.map(key));
  result.unsuppressed.push(...after);
  result.suppressed.push(...raw.filter((f) => !remaining.has(key(f))).map((f) => ({ template: name, rule: f.rule, resource: f.resource })));
  suppressions.forEach((s, i) => {
    if ((s.rule.reason ?? '').trim().length < MinReasonLength) {
      result.badReasons.push({ template: name, resource: s.resource, rule: s.rule.id, reason: s.rule.reason });
    }
    // A template-wide entry covers CDK-made resources that only some templates have, so only resource entries go stale.
    if (s.scope === 'resource' && !used.has(i)) {
      result.staleSuppressions.push({ template: name, resource: s.resource, rule: s.rule.id, applies_to: s.rule.applies_to });
    }
  });
}
console.log(JSON.stringify(result, null, 2));
const failed = result.unsuppressed.length + result.staleSuppressions.length + result.badReasons.length;
process.exit(failed === 0 ? 0 : 1);
