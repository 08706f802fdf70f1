using Amazon.CDK;
using DropSync.Infra;

// cdk.json runs this: `cdk synth` / `cdk deploy` with context from -c key=value (see docs/deploy.md).
var app = new App(new AppProps { Context = DropSyncApp.FeatureFlags });
DropSyncApp.Build(app, DropSyncSettings.FromContext(app.Node));
app.Synth();
