// Stands in for the generated Worldsmith.V1.VisemeEvent (its Google.Protobuf runtime does not install here): the
// fields VisemeTrack reads, with the generated types.
namespace Worldsmith.V1
{
    public sealed class VisemeEvent
    {
        public string Name { get; set; } = "";
        public double StartMs { get; set; }
        public double EndMs { get; set; }
        public float Weight { get; set; }
    }
}
