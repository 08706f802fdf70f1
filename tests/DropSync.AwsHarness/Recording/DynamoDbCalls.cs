using System.Text.Json.Nodes;

namespace DropSync.AwsHarness.Recording;

/// <summary>
/// The IAM authorizations of one DynamoDB API request (JSON protocol, <c>X-Amz-Target: DynamoDB_20120810.{Operation}</c>).
/// Most operations need <c>dynamodb:{Operation}</c> on the table (or, with IndexName, on the index); TransactWriteItems
/// needs per item dynamodb:PutItem/UpdateItem/DeleteItem/ConditionCheckItem and TransactGetItems dynamodb:GetItem, on
/// each item's table; BatchWriteItem and BatchGetItem need their own action on every table they touch.
/// https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/api-permissions-reference.html
/// https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis-iam.html
/// </summary>
public static class DynamoDbCalls
{
    public static IEnumerable<(string Action, string Resource)> Classify(string target, JsonNode? body, ResourceArns arns)
    {
        ArgumentNullException.ThrowIfNull(arns);
        var operation = target.Split('.', 2) is [_, var op] ? op : target;
        switch (operation)
        {
            case "TransactWriteItems":
                foreach (var item in body?["TransactItems"]?.AsArray() ?? [])
                {
                    foreach (var (kind, action) in new[]
                    {
                        ("Put", "dynamodb:PutItem"), ("Update", "dynamodb:UpdateItem"), ("Delete", "dynamodb:DeleteItem"),
                        ("ConditionCheck", "dynamodb:ConditionCheckItem"),
                    })
                    {
                        if (item?[kind]?["TableName"] is { } table)
                        {
                            yield return (action, arns.Table((string)table!));
                        }
                    }
                }

                yield break;

            case "TransactGetItems":
                foreach (var item in body?["TransactItems"]?.AsArray() ?? [])
                {
                    yield return ("dynamodb:GetItem", arns.Table((string)item!["Get"]!["TableName"]!));
                }

                yield break;

            case "BatchWriteItem" or "BatchGetItem":
                foreach (var (table, _) in body?["RequestItems"]?.AsObject() ?? [])
                {
                    yield return ("dynamodb:" + operation, arns.Table(table));
                }

                yield break;

            case "ListTables":
                yield return ("dynamodb:ListTables", "*");
                yield break;

            default:
                var tableName = (string?)body?["TableName"];
                var index = (string?)body?["IndexName"];
                var resource = tableName is null ? "*" : index is null ? arns.Table(tableName) : arns.Index(tableName, index);
                yield return ("dynamodb:" + operation, resource);
                yield break;
        }
    }
}
