using Amazon.CDK.Assertions;

namespace DropSync.Infra.Tests;

using Props = Dictionary<string, object>;

public sealed class ApiTests
{
    private static Deployment D => Stacks.WithoutReplica;

    [Fact]
    public void The_http_api_sends_every_route_to_the_http_function()
    {
        D.Primary.HasResourceProperties("AWS::ApiGatewayV2::Api", new Props { ["ProtocolType"] = "HTTP" });
        D.Primary.HasResourceProperties("AWS::ApiGatewayV2::Route", new Props
        {
            ["ApiId"] = new Props { ["Ref"] = D.LogicalId("AWS::ApiGatewayV2::Api", "HttpApi") },
            ["RouteKey"] = "$default",
        });
        D.Primary.HasResourceProperties("AWS::ApiGatewayV2::Integration", new Props
        {
            ["ApiId"] = new Props { ["Ref"] = D.LogicalId("AWS::ApiGatewayV2::Api", "HttpApi") },
            ["IntegrationType"] = "AWS_PROXY",
            ["IntegrationUri"] = new Props { ["Fn::GetAtt"] = new object[] { D.LogicalId("AWS::Lambda::Function", "Http"), "Arn" } },
            ["PayloadFormatVersion"] = "2.0",
        });
    }

    [Fact]
    public void Both_stages_are_throttled()
    {
        D.Primary.ResourceCountIs("AWS::ApiGatewayV2::Stage", 2);
        D.Primary.AllResourcesProperties("AWS::ApiGatewayV2::Stage", Match.ObjectLike(new Props
        {
            ["DefaultRouteSettings"] = new Props { ["ThrottlingRateLimit"] = 1000, ["ThrottlingBurstLimit"] = 2000 },
        }));
    }

    [Fact]
    public void Cors_allows_the_configured_web_origins()
    {
        D.Primary.HasResourceProperties("AWS::ApiGatewayV2::Api", new Props
        {
            ["ProtocolType"] = "HTTP",
            ["CorsConfiguration"] = Match.ObjectLike(new Props
            {
                ["AllowOrigins"] = new object[] { Stacks.WebOrigin },
                ["AllowHeaders"] = Match.ArrayWith(new object[] { "Authorization", "Content-Type", "Range" }),
            }),
        });
    }

    [Fact]
    public void The_websocket_api_routes_connect_disconnect_and_default_to_the_websocket_function_on_the_live_stage()
    {
        var api = D.LogicalId("AWS::ApiGatewayV2::Api", "WebSocketApi");
        D.Primary.HasResourceProperties("AWS::ApiGatewayV2::Api", new Props { ["ProtocolType"] = "WEBSOCKET" });
        foreach (var route in new[] { "$connect", "$disconnect", "$default" })
        {
            D.Primary.HasResourceProperties("AWS::ApiGatewayV2::Route", new Props { ["ApiId"] = new Props { ["Ref"] = api }, ["RouteKey"] = route });
        }

        D.Primary.ResourceCountIs("AWS::ApiGatewayV2::Route", 4);

        // $default is two-way: the function's answer to {"action":"hello"} / {"action":"ping"} goes back to the client.
        var defaultRoute = D.Resources("AWS::ApiGatewayV2::Route")
            .Single(r => (string?)r.Properties["RouteKey"] == "$default" && (string?)r.Properties["ApiId"]?["Ref"] == api).Id;
        D.Primary.HasResourceProperties("AWS::ApiGatewayV2::RouteResponse", new Props
        {
            ["ApiId"] = new Props { ["Ref"] = api },
            ["RouteId"] = new Props { ["Ref"] = defaultRoute },
            ["RouteResponseKey"] = "$default",
        });
        D.Primary.ResourceCountIs("AWS::ApiGatewayV2::RouteResponse", 1);
        D.Primary.HasResourceProperties("AWS::ApiGatewayV2::Integration", new Props
        {
            ["ApiId"] = new Props { ["Ref"] = api },
            ["IntegrationType"] = "AWS_PROXY",
            ["IntegrationUri"] = Match.ObjectLike(new Props { ["Fn::Join"] = Match.AnyValue() }),
        });
        D.Primary.HasResourceProperties("AWS::ApiGatewayV2::Stage", new Props
        {
            ["ApiId"] = new Props { ["Ref"] = api },
            ["StageName"] = DropSyncStack.WebSocketStageName,
            ["AutoDeploy"] = true,
        });
    }

    [Fact]
    public void The_outputs_give_the_api_websocket_and_web_app_urls()
    {
        foreach (var output in new[] { "ApiUrl", "WebSocketUrl", "WebAppUrl", "BlocksBucketName", "MasterKeySecretArn", "AlarmTopicArn" })
        {
            D.Primary.HasOutput(output, new Props { ["Value"] = Match.AnyValue() });
        }

        var url = new Capture();
        D.Primary.HasOutput("WebSocketUrl", new Props { ["Value"] = url });
        Assert.Contains("wss://", Newtonsoft.Json.Linq.JToken.FromObject(url.AsObject()).ToString(), StringComparison.Ordinal);
    }
}
