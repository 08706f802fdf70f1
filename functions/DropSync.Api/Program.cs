using DropSync.Api.Hosting;

MallocArenas.Cap();
var builder = WebApplication.CreateBuilder(args);
builder.AddDropSync();
var app = builder.Build();
app.UseDropSync();
app.Run();

/// <summary>The entry point, visible to the test host.</summary>
public partial class Program;
