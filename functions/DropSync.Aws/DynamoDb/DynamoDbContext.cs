using Amazon.DynamoDBv2;

namespace DropSync.Aws.DynamoDb;

/// <summary>What every DynamoDB adapter needs: the client, the table names, and where consumed capacity is counted.</summary>
public sealed record DynamoDbContext(IAmazonDynamoDB Client, DynamoDbTableNames Tables, DynamoDbCapacityMeter Capacity)
{
    public DynamoDbContext(IAmazonDynamoDB client, DynamoDbTableNames tables)
        : this(client, tables, new DynamoDbCapacityMeter())
    {
    }
}
