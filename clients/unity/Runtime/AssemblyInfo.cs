// The editor tests reach the client's internal pieces (the call-defaults interceptor, the handler choice).
using System.Runtime.CompilerServices;

[assembly: InternalsVisibleTo("Worldsmith.Editor.Tests")]
