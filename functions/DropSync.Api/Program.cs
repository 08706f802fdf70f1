using DropSync.Api.Hosting;

MallocArenas.Cap();
// The content root is the server's own folder, not the working directory: started from anywhere else (a service
// unit, `dotnet /opt/dropsync/DropSync.Api.dll`) it would miss its appsettings.json. The data folder is still taken
// from the working directory (DropSyncServices).
var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
builder.AddDropSync();
var app = builder.Build();
app.UseDropSync();
app.Run();

/// <summary>The entry point, visible to the test host.</summary>
public partial class Program;
