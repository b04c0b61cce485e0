// The editor tests reach the windows' internal helpers (the generation stream follower, slugs).
using System.Runtime.CompilerServices;

[assembly: InternalsVisibleTo("Worldsmith.Editor.Tests")]
